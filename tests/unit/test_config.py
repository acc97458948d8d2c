"""Stack config validation: each bad value stops the program with a message naming key and fix."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.pulumi_program import config_error, evaluate


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        ({"dockyard:adminCidrs": ["10.0.0.0/33"]}, "dockyard:adminCidrs", "not a CIDR"),
        ({"dockyard:adminCidrs": ["10.0.0.1/16"]}, "dockyard:adminCidrs", "host bits"),
        ({"dockyard:hostCount": "0"}, "dockyard:hostCount", "at least 1"),
        ({"dockyard:hostCount": "three"}, "dockyard:hostCount", "whole number"),
        ({"dockyard:subnetIds": ["subnet-0fff9999"]}, "dockyard:subnetIds", "not a subnet of"),
        ({"dockyard:subnetIds": []}, "dockyard:subnetIds", "at least one subnet"),
        ({"dockyard:vpcId": None}, "dockyard:vpcId", "required"),
        ({"dockyard:sshPublicKey": None}, "dockyard:sshPublicKey", "exactly one"),
        ({"dockyard:keyName": "ops"}, "dockyard:sshPublicKey", "exactly one"),
        ({"dockyard:sshPublicKey": "not a key"}, "dockyard:sshPublicKey", "OpenSSH"),
        (
            {"dockyard:runAnsible": "true", "dockyard:sshPrivateKeyPath": None},
            "dockyard:sshPrivateKeyPath",
            "required when runAnsible",
        ),
        (
            {"dockyard:runAnsible": "true", "dockyard:sshPrivateKeyPath": "/nonexistent/id"},
            "dockyard:sshPrivateKeyPath",
            "does not exist",
        ),
        (
            {"dockyard:runAnsible": "true", "dockyard:playbook": "ansible/missing.yml"},
            "dockyard:playbook",
            "does not exist",
        ),
        ({"dockyard:ansibleAddress": "elastic"}, "dockyard:ansibleAddress", "one of public"),
        ({"dockyard:rootVolumeSize": "4"}, "dockyard:rootVolumeSize", "at least 8"),
        ({"dockyard:flockerZone": "eu-west-1a"}, "dockyard:flockerZone", "not a zone of"),
        ({"dockyard:flockerAccessKeyId": "AKIA1"}, "dockyard:flockerSecretAccessKey", "pair"),
        ({"dockyard:namePrefix": "bad prefix!"}, "dockyard:namePrefix", "name prefix"),
        ({"dockyard:runAnsible": "maybe"}, "dockyard:runAnsible", "true or false"),
    ],
)
def test_bad_config_names_key_and_fix(overrides: dict[str, Any], key: str, words: str) -> None:
    """Each invalid value raises ConfigError whose message names the key, the problem and a fix."""
    assert "Fix: " in config_error(lambda: evaluate(overrides), key, words)


def test_valid_config_with_defaults_evaluates() -> None:
    """The minimal config evaluates: defaults fill in prefix, count, type and sizes."""
    result = evaluate()
    instances = result.of_type("aws:ec2/instance:Instance")
    assert len(instances) == 3
    assert {i.inputs["instanceType"] for i in instances} == {"t3.medium"}
    assert {i.inputs["tags"]["Name"] for i in instances} == {
        "my-prefix-1",
        "my-prefix-2",
        "my-prefix-3",
    }


def test_world_open_admin_cidr_only_when_listed() -> None:
    """0.0.0.0/0 is accepted only because the stack lists it explicitly."""
    result = evaluate({"dockyard:adminCidrs": ["0.0.0.0/0"]})
    world = [
        r
        for r in result.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("cidrIpv4") == "0.0.0.0/0"
    ]
    assert {r.inputs["fromPort"] for r in world} == {22, 2376}
