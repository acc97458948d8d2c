"""Day 2 of flow 1: the world changes under a running stack (a newer AMI is published,
certificates renew) and the one explicit act that moves hosts to a new image."""

from __future__ import annotations

from typing import Any

from tests.harness.day2 import INSTANCE, evaluate_changed, next_up, replaced
from tests.harness.pulumi_program import RecordingMocks
from tests.harness.update_plan import REPLACE

COMMAND = "command:local:Command"
SIGNED_CERT = "tls:index/locallySignedCert:LocallySignedCert"
NEWER_AMI = "ami-0fedcba9876543210"
LOOKED_UP_AMI = RecordingMocks().newest_ami


def _mocks(**answers: Any) -> RecordingMocks:
    """Mocks answering dev's lookups (its default VPC) and `answers` (newest_ami, ...)."""
    return RecordingMocks(**answers)


def test_a_newer_ami_changes_nothing() -> None:
    """The lookup answers a newer image: the instances' `ami` input differs, but it is
    ignored after creation, so the next `up` changes nothing at all."""
    before = evaluate_changed("dev", mocks=_mocks())
    after = evaluate_changed("dev", mocks=_mocks(newest_ami=NEWER_AMI))
    assert {i.inputs["ami"] for i in before.of_type(INSTANCE)} == {LOOKED_UP_AMI}
    assert {i.inputs["ami"] for i in after.of_type(INSTANCE)} == {NEWER_AMI}
    assert next_up(before_mocks=_mocks(), after_mocks=_mocks(newest_ami=NEWER_AMI)) == []


def test_renewed_certificates_rotate_through_ansible_only() -> None:
    """Certificates renew (a new CA certificate): the certificates it signs are re-issued
    and the Ansible Command runs again (a trigger holds their digest) with the new PEMs in
    its environment; no instance is replaced or even updated."""
    changes = next_up(before_mocks=_mocks(), after_mocks=_mocks(cert_serial=1))
    assert [(c.op, c.typ, c.name) for c in changes] == [
        (REPLACE, COMMAND, "ansible-playbook"),
        (REPLACE, SIGNED_CERT, "docker-client-cert"),
        (REPLACE, SIGNED_CERT, "docker-server-1-cert"),
        (REPLACE, SIGNED_CERT, "docker-server-2-cert"),
    ]
    [command] = [c for c in changes if c.typ == COMMAND]
    assert command.forcing == ("triggers[4]",)
    assert command.inputs == (
        "environment.DOCKYARD_HOST_1_TLS_CA",
        "environment.DOCKYARD_HOST_1_TLS_CERT",
        "environment.DOCKYARD_HOST_2_TLS_CA",
        "environment.DOCKYARD_HOST_2_TLS_CERT",
        "triggers[4]",
    )
    assert not [c for c in changes if c.typ == INSTANCE]


def test_pinning_the_current_ami_changes_nothing() -> None:
    """Setting amiId to the image the hosts run (the first step of a planned move) is
    not a change."""
    assert next_up(after={"dockyard:amiId": LOOKED_UP_AMI}) == []


def test_a_new_ami_id_replaces_the_hosts() -> None:
    """Setting amiId to a new image is the explicit act that moves hosts to it: every
    instance is replaced because `ami` forces it, and nothing else is replaced."""
    changes = next_up({"dockyard:amiId": LOOKED_UP_AMI}, {"dockyard:amiId": NEWER_AMI})
    assert [(c.op, c.name, c.forcing) for c in changes] == [
        (REPLACE, "docker-host-1", ("ami",)),
        (REPLACE, "docker-host-2", ("ami",)),
    ]
    assert replaced(changes, INSTANCE) == changes
