"""Every name and value the program sends AWS is one AWS takes (tests/harness/aws_rules.py:
botocore's models, the provider's validators, auto-name suffixes added), in the committed
stacks and in what-ifs; two stacks with one prefix share no name; fio's names carry the
stack."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError
from tests.harness import aws_rules
from tests.harness.pulumi_program import Evaluation, Resource
from tests.harness.stacks import StackValues, evaluate_stack, stack_config, stack_names

WHAT_IFS: list[tuple[str, str, dict[str, Any]]] = [
    # (stack, stack file it starts from, config overrides)
    *[(stack, stack, {}) for stack in stack_names()],
    ("dev", "dev", {"dockyard:namePrefix": "Dev"}),
    ("My_Stack.1", "dev", {}),
    ("dev", "dev", {"dockyard:namePrefix": "d" * 32}),
    ("dev", "dev", {"dockyard:namePrefix": "d" * 33}),
    # the longest: a prefix of 32 and a stack name of 100 (Pulumi's limit)
    ("p" * 100, "dev", {"dockyard:namePrefix": "d" * 32}),
    ("prod", "prod", {"dockyard:namePrefix": "ecs"}),
    ("dev", "dev", {"dockyard:namePrefix": "sthree"}),
    ("dev", "dev", {"dockyard:namePrefix": "sg"}),
    ("dev", "dev", {"dockyard:namePrefix": "dev-"}),
    ("prod", "prod", {"dockyard:fioBench": True, "dockyard:fioLaunchType": "FARGATE"}),
    (
        "prod",
        "prod",
        {
            "dockyard:fioBench": True,
            "dockyard:fioLaunchType": "EC2",
            "dockyard:fioVolume": "host",
            "dockyard:fioHostPath": "/mnt/volume-under-test",
            "dockyard:fioPerHost": True,
            "dockyard:fioClusterArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/bench",
        },
    ),
    ("prod", "prod", {"dockyard:railsDomain": "app.example.com"}),
    ("dev", "dev", {"dockyard:fioInstanceStoreType": "m5d.large"}),
    (
        "p" * 100,
        "dev",
        {"dockyard:namePrefix": "d" * 32, "dockyard:fioInstanceStoreType": "i4i.large"},
    ),
]


def _evaluate(stack: str, base: str, overrides: dict[str, Any]) -> Evaluation:
    config = stack_config(base)
    values = {**config.values, **overrides}
    return evaluate_stack(stack, StackValues(values, config.secret_keys))


def _label(case: tuple[str, str, dict[str, Any]]) -> str:
    stack, base, overrides = case
    shown = ",".join(f"{k.split(':')[-1]}={str(v)[:12]}" for k, v in overrides.items())
    return f"{stack[:12]}<-{base}" + (f"[{shown}]" if shown else "")


@pytest.mark.parametrize("case", WHAT_IFS, ids=[_label(c) for c in WHAT_IFS])
def test_every_name_is_one_aws_takes(case: tuple[str, str, dict[str, Any]]) -> None:
    """The program either stops with a ConfigError naming namePrefix or the stack, or
    every name and value of every AWS resource it registers passes the rule of the API
    field it becomes (and every AWS resource type is in the harness's table)."""
    try:
        evaluation = _evaluate(*case)
    except ConfigError as error:
        assert error.key in ("dockyard:namePrefix", "pulumi:stack"), error
        assert "Fix: " in str(error), error
        return
    assert aws_rules.unmapped(evaluation) == []
    found = aws_rules.violations(evaluation)
    assert not found, "AWS would refuse:\n" + aws_rules.report(found)


def _resource(typ: str, resource_name: str, **inputs: Any) -> Resource:
    return Resource(typ, resource_name, urn="", parent="", inputs=inputs, secret_inputs=frozenset())


@pytest.mark.parametrize(
    ("resource", "refused"),
    [
        (_resource("aws:ecr/repository:Repository", "r", name="Dev-fiotools-aio"), True),
        (_resource("aws:ecr/repository:Repository", "r", name="dev-fiotools-aio"), False),
        (_resource("aws:s3/bucket:Bucket", "b", bucketPrefix="a" * 38), True),
        (_resource("aws:s3/bucket:Bucket", "b", bucketPrefix="a" * 37), False),
        (_resource("aws:s3/bucket:Bucket", "b", bucketPrefix="sthree-x-"), True),
        (_resource("aws:lb/loadBalancer:LoadBalancer", "lb", namePrefix="fio-pl"), False),
        (_resource("aws:lb/loadBalancer:LoadBalancer", "lb", namePrefix="fio-plo"), True),
        (_resource("aws:lb/targetGroup:TargetGroup", "a-target-group-name-of-25"), True),
        (_resource("aws:ecs/cluster:Cluster", "c", name="dev-My_Stack.1"), True),
        (_resource("aws:ec2/securityGroup:SecurityGroup", "g", namePrefix="sg-"), True),
        (_resource("aws:iam/role:Role", "r", namePrefix="r" * 39), True),
        (_resource("aws:iam/role:Role", "role-" + "r" * 52), True),
        (_resource("aws:iam/role:Role", "role-" + "r" * 51), False),
        (_resource("aws:cloudwatch/logGroup:LogGroup", "l", retentionInDays=8.0), True),
        (_resource("aws:cloudwatch/logGroup:LogGroup", "l", name="/dockyard/dev-dev/fio"), False),
    ],
    ids=lambda value: value.name if isinstance(value, Resource) else str(value),
)
def test_the_rules_refuse_what_aws_refuses(resource: Resource, refused: bool) -> None:
    """The harness itself: values AWS (or the provider) refuses are refused, prefixes
    completed with the provider's 26 characters, autonames with Pulumi's 8."""
    assert bool(aws_rules.check_resource(resource)) is refused, aws_rules.check_resource(resource)


ACCOUNT_WIDE_NAMES = {
    # type -> the input naming it uniquely in an account and region
    "aws:ecr/repository:Repository": "name",
    "aws:ecs/cluster:Cluster": "name",
    "aws:ecs/taskDefinition:TaskDefinition": "family",
    "aws:ecs/capacityProvider:CapacityProvider": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:secretsmanager/secret:Secret": "name",
    "aws:servicediscovery/httpNamespace:HttpNamespace": "name",
    "aws:iam/role:Role": "name",
    "aws:s3/bucket:Bucket": "bucket",
}


def _fixed_names(evaluation: Evaluation) -> set[tuple[str, str]]:
    return {
        (r.typ, r.inputs[ACCOUNT_WIDE_NAMES[r.typ]])
        for r in evaluation.resources
        if r.typ in ACCOUNT_WIDE_NAMES and r.inputs.get(ACCOUNT_WIDE_NAMES[r.typ])
    }


def test_two_stacks_with_one_prefix_share_no_name() -> None:
    """dev and a personal stack with dev's config (same namePrefix, same account) give no
    account-wide name twice: each would fail to create, or take over the other's."""
    dev = _fixed_names(_evaluate("dev", "dev", {}))
    alice = _fixed_names(_evaluate("alice", "dev", {}))
    assert dev and alice
    assert dev & alice == set()


NAME_INPUTS = ("name", "namePrefix", "family", "bucketPrefix")
SIX_CHARACTERS = {"aws:lb/loadBalancer:LoadBalancer", "aws:lb/targetGroup:TargetGroup"}
"""ELB name prefixes: at most 6 characters, no room for the stack."""


@pytest.mark.parametrize("stack", ["dev", "alice"])
def test_fio_physical_names_carry_the_stack(stack: str) -> None:
    """Every name fio gives an AWS resource has `<prefix>-<stack>` in it, as the Rails ones
    do, but the ELB name prefixes (6 characters) and the results bucket: it is retained
    data (retainOnDelete), and a new bucket_prefix would replace it, so it keeps
    `<prefix>-fio-`."""
    evaluation = _evaluate(stack, "dev", {})
    fio = {r.urn for r in evaluation.resources if r.name == "fio"}
    named = [
        (r, key, r.inputs[key])
        for r in evaluation.resources
        if r.typ.startswith("aws:") and (r.parent in fio or r.name.startswith("fio-"))
        for key in NAME_INPUTS
        if isinstance(r.inputs.get(key), str)
    ]
    assert len(named) >= 8
    bucket = evaluation.named("fio-results")
    assert bucket.inputs["bucketPrefix"] == "dev-fio-"
    assert bucket.options.get("retainOnDelete") is True
    missing = [
        f"{r.typ}::{r.name} {key}={value!r}"
        for r, key, value in named
        if f"dev-{stack}" not in value and r.typ not in SIX_CHARACTERS and r is not bucket
    ]
    assert missing == []
