"""Stack config validation: each bad value stops the program with a message naming key and fix."""

from __future__ import annotations

import json
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
        ({"dockyard:vpcId": None}, "dockyard:vpcId", "subnetIds is"),
        ({"dockyard:keyName": "ops"}, "dockyard:sshPublicKey", "at most one"),
        ({"dockyard:sshPublicKey": "not a key"}, "dockyard:sshPublicKey", "OpenSSH"),
        (
            {"dockyard:runAnsible": "true", "dockyard:sshPrivateKeyPath": None},
            "dockyard:sshPrivateKeyPath",
            "required when runAnsible",
        ),
        (
            {
                "dockyard:runAnsible": "true",
                "dockyard:sshPublicKey": None,
                "dockyard:sshPrivateKeyPath": "/home/me/.ssh/id",
            },
            "dockyard:sshPrivateKeyPath",
            "generates its own key",
        ),
        (
            {
                "dockyard:sshPrivateKeyPath": "/home/me/.ssh/id",
                "dockyard:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----",
            },
            "dockyard:sshPrivateKey",
            "together with sshPrivateKeyPath",
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
        ({"dockyard:namePrefix": "Dev"}, "dockyard:namePrefix", "only lowercase letters"),
        ({"dockyard:namePrefix": "dev-"}, "dockyard:namePrefix", "ending with a letter"),
        ({"dockyard:namePrefix": "d" * 33}, "dockyard:namePrefix", "33 characters, at most 32"),
        ({"dockyard:namePrefix": "sthree"}, "dockyard:namePrefix", "S3 refuses"),
        ({"dockyard:namePrefix": "sg"}, "dockyard:namePrefix", "security group"),
        ({"dockyard:namePrefix": "ecs-bench"}, "dockyard:namePrefix", "capacity provider"),
        ({"dockyard:runAnsible": "maybe"}, "dockyard:runAnsible", "true or false"),
        ({"aws:region": "us east 1"}, "aws:region", "not a region name"),
        # the two-zone rule, stated once (components.config.network.require_two_zones)
        (
            {"dockyard:rails": "true", "dockyard:railsSubnetIds": ["subnet-0aaa1111"] * 2},
            "dockyard:railsSubnetIds",
            "the Rails load balancer needs subnets in two zones, and railsSubnetIds",
        ),
        (
            {"dockyard:fioBench": "true", "dockyard:subnetIds": ["subnet-0aaa1111"]},
            "dockyard:subnetIds",
            "the fio plots' load balancer needs subnets in two zones, and it lists 1 subnet",
        ),
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


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        ({"dockyard:hostcount": "5"}, "dockyard:hostcount", "did you mean hostCount?"),
        ({"dockyard:HostCount": "5"}, "dockyard:HostCount", "did you mean hostCount?"),
        ({"dockyard:railsImages": "app:1"}, "dockyard:railsImages", "did you mean railsImage?"),
        ({"dockyard:tag": {"Owner": "me"}}, "dockyard:tag", "did you mean tags?"),
        ({"dockyard:zzzz": "1"}, "dockyard:zzzz", "pulumi config rm zzzz"),
        (
            {"dockyard:zzzz": "1", "dockyard:hostcount": "5"},
            "dockyard:hostcount",
            "nor is dockyard:zzzz",
        ),
    ],
)
def test_unknown_key_names_the_closest_known_key(
    overrides: dict[str, Any], key: str, words: str
) -> None:
    """A dockyard: key Pulumi.yaml does not declare stops the program before anything is
    read, naming the first unknown key and the closest declared one (or how to remove it)."""
    message = config_error(lambda: evaluate(overrides), key, words)
    assert "is not a known key" in message and "Fix: " in message


def test_unknown_key_from_the_cli_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Pulumi CLI hands the stack's config to the program in PULUMI_CONFIG; a typo there
    stops the program too (the runtime's own map is what mocks fill)."""
    monkeypatch.setenv("PULUMI_CONFIG", '{"dockyard:hostcount": "5", "aws:region": "us-east-1"}')
    config_error(evaluate, "dockyard:hostcount", "did you mean hostCount?")


def test_other_namespaces_are_not_checked() -> None:
    """Keys of other namespaces (providers, other projects) are not dockyard's to judge."""
    result = evaluate({"aws:profile": "ops", "acme:anything": "1"})
    assert len(result.of_type("aws:ec2/instance:Instance")) == 3


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        (
            {"dockyard:adminCidrs": "203.0.113.7/32"},
            "dockyard:adminCidrs",
            "must be a list of CIDR strings, e.g. [203.0.113.7/32] (got plain text)",
        ),
        (
            {"dockyard:adminCidrs": {"office": "203.0.113.7/32"}},
            "dockyard:adminCidrs",
            "must be a list of CIDR strings, e.g. [203.0.113.7/32] (got a map)",
        ),
        (
            {"dockyard:subnetIds": "subnet-0aaa1111,subnet-0bbb2222"},
            "dockyard:subnetIds",
            "must be a list of subnet ids, e.g. [subnet-",
        ),
        (
            {"dockyard:railsSubnetIds": [1, 2], "dockyard:rails": "true"},
            "dockyard:railsSubnetIds",
            "must be a list of subnet ids",
        ),
        (
            {"dockyard:fioBench": "true", "dockyard:fioRemoteFiles": {"a": "https://x/j.fio"}},
            "dockyard:fioRemoteFiles",
            "must be a list of https URLs",
        ),
        (
            {"dockyard:fioBench": "true", "dockyard:fioJobFiles": "randread-4k.fio seq.fio"},
            "dockyard:fioJobFiles",
            "must be a list of job file names, e.g. [randread-4k.fio]",
        ),
        (
            {"dockyard:tags": ["Owner=me"]},
            "dockyard:tags",
            "must be a map of strings, e.g. {Owner: platform-team} (got a list)",
        ),
        ({"dockyard:tags": {"Cost": 5}}, "dockyard:tags", "must be a map of strings"),
        (
            {"dockyard:tags": "Owner=me"},
            "dockyard:tags",
            "must be a map of strings, e.g. {Owner: platform-team} (got plain text)",
        ),
        (
            {"dockyard:ansibleExtraVars": ["a=1"]},
            "dockyard:ansibleExtraVars",
            "must be a map of names to values",
        ),
        (
            {"dockyard:vpcId": ["vpc-0123456789abcdef0"]},
            "dockyard:vpcId",
            "must be a single string, not a list",
        ),
        (
            {"dockyard:instanceType": {"size": "t3.small"}},
            "dockyard:instanceType",
            "must be a single string, not a map",
        ),
        ({"dockyard:hostCount": [3]}, "dockyard:hostCount", "must be a whole number"),
        ({"dockyard:publicIp": ["true"]}, "dockyard:publicIp", "must be true or false"),
    ],
)
def test_wrong_shape_names_the_expected_shape(
    overrides: dict[str, Any], key: str, words: str
) -> None:
    """A value of the wrong shape (a map or a line of text for a list, a list for a map or a
    string) fails naming the shape the key takes, with an example, and the fix."""
    assert "Fix: " in config_error(lambda: evaluate(overrides), key, words)


def test_no_region_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without aws:region, AWS_REGION or AWS_DEFAULT_REGION the program stops naming aws:region
    (the AWS provider could not make anything either)."""
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    message = config_error(lambda: evaluate({"aws:region": None}), "aws:region", "is not set")
    assert "pulumi config set aws:region" in message


def test_region_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_REGION stands in for aws:region, as the provider takes it."""
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    result = evaluate({"aws:region": None, "dockyard:fioBench": "true"})
    groups = [r for r in result.resources if r.typ == "aws:ecs/taskDefinition:TaskDefinition"]
    assert groups
    assert "eu-west-1" in json.dumps([g.inputs for g in groups])
    assert "us-east-1" not in json.dumps([g.inputs for g in groups])


def test_every_flow_in_the_stacks_region_not_flockers() -> None:
    """flockerRegion names Flocker's dataset region only: the Rails and fio containers log to
    the stack's own region (aws:region), where their log groups are."""
    result = evaluate(
        {
            "aws:region": "eu-west-1",
            "dockyard:flockerRegion": "us-west-2",
            "dockyard:dockerHosts": "false",
            "dockyard:rails": "true",
            "dockyard:fioBench": "true",
        }
    )
    regions = {
        container["logConfiguration"]["options"]["awslogs-region"]
        for r in result.resources
        if r.typ == "aws:ecs/taskDefinition:TaskDefinition"
        for container in json.loads(r.inputs["containerDefinitions"])
    }
    assert regions == {"eu-west-1"}


@pytest.mark.parametrize(
    ("stack", "prefix", "words"),
    [
        ("My_Stack.1", "dev", "pulumi stack rename my-stack-1"),
        ("Dev", "dev", "only lowercase letters"),
    ],
)
def test_stack_name_aws_would_refuse(stack: str, prefix: str, words: str) -> None:
    """A stack name that would break the names built from it (ECR, S3, the ECS cluster's)
    stops the program, naming the stack and `pulumi stack rename`."""
    message = config_error(
        lambda: evaluate({"dockyard:namePrefix": prefix}, stack=stack), "pulumi:stack", words
    )
    assert repr(stack) in message and "pulumi stack rename" in message, message
