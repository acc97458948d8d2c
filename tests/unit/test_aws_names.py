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
    ("p" * 48, "dev", {"dockyard:namePrefix": "d" * 32}),
    ("p" * 49, "dev", {"dockyard:namePrefix": "d" * 32}),
    ("prod", "prod", {"dockyard:namePrefix": "ecs"}),
    ("dev", "dev", {"dockyard:namePrefix": "sthree"}),
    ("dev", "dev", {"dockyard:namePrefix": "sg"}),
    ("dev", "dev", {"dockyard:namePrefix": "dev-"}),
    ("prod", "prod", {"dockyard:fioBench": True, "dockyard:fioLaunchType": "FARGATE"}),
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
