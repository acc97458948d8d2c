"""Day 2 of the Rails app's HTTPS: what the next `pulumi up` of the dev stack does when
railsDomain (and railsHostedZoneId) is set, set without a zone, or taken away again, and
that an up with nothing changed does nothing, also once the hosts' certificates were
renewed (ACM renews its own certificate in place: same ARN, no input changes)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.day2 import evaluate_changed, next_up, replaced
from tests.harness.pulumi_program import RecordingMocks
from tests.harness.update_plan import ADD, DELETE, UPDATE

LISTENER = "aws:lb/listener:Listener"
HTTPS_WITH_ZONE = {
    "dockyard:railsDomain": "www.example.com",
    "dockyard:railsHostedZoneId": "Z0123456789EXAMPLE",
}
HTTPS_WITHOUT_ZONE = {"dockyard:railsDomain": "www.example.com"}
OFF: dict[str, Any] = {"dockyard:railsDomain": None, "dockyard:railsHostedZoneId": None}
HTTPS_PIECES = {
    ("aws:acm/certificate:Certificate", "rails-certificate"),
    ("aws:acm/certificateValidation:CertificateValidation", "rails-certificate"),
    (LISTENER, "rails-https"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "rails-alb-https-0-0-0-0-0"),
}
ZONE_RECORDS = {
    ("aws:route53/record:Record", "rails-validation"),
    ("aws:route53/record:Record", "rails-alias"),
}
REDIRECT_INPUTS = {
    "defaultActions[0].type",
    "defaultActions[0].targetGroupArn",
    "defaultActions[0].redirect.port",
    "defaultActions[0].redirect.protocol",
    "defaultActions[0].redirect.statusCode",
}


@pytest.mark.parametrize(
    ("https", "added"),
    [(HTTPS_WITH_ZONE, HTTPS_PIECES | ZONE_RECORDS), (HTTPS_WITHOUT_ZONE, HTTPS_PIECES)],
    ids=["with-zone", "without-zone"],
)
def test_turning_https_on(https: dict[str, str], added: set[tuple[str, str]]) -> None:
    """The certificate, its validation, the 443 listener and its ingress rule are added
    (and with a zone the validation and alias records); the port-80 listener is updated
    in place from forwarding to a redirect. Nothing is replaced or deleted: not the
    load balancer, its security group, the target group or the web service."""
    changes = next_up(OFF, https)
    assert {(c.typ, c.name) for c in changes if c.op == ADD} == added
    assert {(c.typ, c.name): set(c.inputs) for c in changes if c.op == UPDATE} == {
        (LISTENER, "rails-http"): REDIRECT_INPUTS
    }
    assert replaced(changes) == []
    assert [c for c in changes if c.op == DELETE] == []


def test_turning_https_off_again() -> None:
    """Taking railsDomain away deletes what turning it on added and puts the forward back
    on port 80, again without replacing anything."""
    changes = next_up(HTTPS_WITH_ZONE, OFF)
    assert {(c.typ, c.name) for c in changes if c.op == DELETE} == HTTPS_PIECES | ZONE_RECORDS
    assert {(c.typ, c.name) for c in changes if c.op == UPDATE} == {(LISTENER, "rails-http")}
    assert replaced(changes) == []
    assert [c for c in changes if c.op == ADD] == []


@pytest.mark.parametrize("https", [HTTPS_WITH_ZONE, HTTPS_WITHOUT_ZONE], ids=["zone", "no-zone"])
def test_railsurl_follows(https: dict[str, str]) -> None:
    """railsUrl becomes the domain over HTTPS; railsAlbDnsName stays the balancer's name."""
    before = evaluate_changed("dev", OFF)
    after = evaluate_changed("dev", https)
    assert before.outputs["railsUrl"].startswith("http://")
    assert after.outputs["railsUrl"] == "https://www.example.com"
    assert after.outputs["railsAlbDnsName"] == before.outputs["railsAlbDnsName"]


@pytest.mark.parametrize(
    "mocks",
    [None, RecordingMocks(cert_serial=2)],
    ids=["same-world", "host-certificates-renewed"],
)
def test_second_up_with_https_changes_nothing(mocks: RecordingMocks | None) -> None:
    """With HTTPS on, an up with the same config changes nothing of the load balancer,
    the certificate or the records (no perpetual diff), also after the Docker hosts'
    TLS certificates were renewed (those belong to the hosts, not to HTTPS)."""
    changes = next_up(HTTPS_WITH_ZONE, HTTPS_WITH_ZONE, after_mocks=mocks)
    https_types = ("aws:acm/", "aws:lb/", "aws:route53/", "aws:ecs/", "aws:vpc/")
    assert [str(c) for c in changes if c.typ.startswith(https_types)] == []
    if mocks is None:
        assert changes == []
