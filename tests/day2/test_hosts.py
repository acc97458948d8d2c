"""Day 2 of flow 1: what the next `pulumi up` does to the Docker hosts after a change."""

from __future__ import annotations

from tests.harness.day2 import INSTANCE, next_up, replaced
from tests.harness.update_plan import ADD, REPLACE

HOST_3 = {
    ("aws:ec2/eip:Eip", "docker-eip-3"),
    ("aws:ec2/instance:Instance", "docker-host-3"),
    ("aws:ec2/networkInterface:NetworkInterface", "docker-eni-3"),
    ("tls:index/certRequest:CertRequest", "docker-server-3-csr"),
    ("tls:index/locallySignedCert:LocallySignedCert", "docker-server-3-cert"),
    ("tls:index/privateKey:PrivateKey", "docker-server-key-3"),
}


def test_one_more_host_adds_only_its_resources_and_reruns_ansible() -> None:
    """hostCount 2 -> 3: the third host's resources are added, Ansible runs again (its
    Command's triggers hold the inventory), and nothing else changes."""
    changes = next_up({"dockyard:hostCount": 2}, {"dockyard:hostCount": 3})
    assert {(c.typ, c.name) for c in changes if c.op == ADD} == HOST_3
    others = [c for c in changes if c.op != ADD]
    assert [(c.op, c.typ, c.name) for c in others] == [
        (REPLACE, "command:local:Command", "ansible-playbook")
    ]
    assert not replaced(changes, INSTANCE)


def test_an_ansible_variable_reruns_only_ansible() -> None:
    """A changed ansibleExtraVars value re-runs the playbook and touches nothing else."""
    changes = next_up(
        {"dockyard:ansibleExtraVars": {"docker_swarm_advertise": "eth0"}},
        {"dockyard:ansibleExtraVars": {"docker_swarm_advertise": "ens5"}},
    )
    assert [(c.op, c.typ, c.name) for c in changes] == [
        (REPLACE, "command:local:Command", "ansible-playbook")
    ]


def test_switching_ssm_on_reruns_ansible_and_replaces_no_host() -> None:
    """ssm false -> true: the managed policy is attached to the instance role (a new
    RolePolicyAttachment; the instances' inputs, their profile among them, are unchanged, so
    no host is replaced) and the playbook runs again through Session Manager: the inventory
    in its triggers now carries ansible_host = instance id and the ProxyCommand."""
    changes = next_up({"dockyard:ssm": "false"}, {"dockyard:ssm": "true"})
    assert [(c.op, c.typ, c.name) for c in changes] == [
        (ADD, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "docker-ssm"),
        (REPLACE, "command:local:Command", "ansible-playbook"),
    ]
    assert not replaced(changes, INSTANCE)
