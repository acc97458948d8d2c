"""Day 2 of the web service's scaling, deployment alarms, the app's settings and stored
secrets, and the database's connection limit (dev stack): what the next `pulumi up` does
when each is turned on and off. None replaces a service or a data resource (the database's
file system, its access point and mount targets, the backup vault); the replacement rules
are terraform-provider-aws's (tests/harness/replacements.py: appautoscaling/target.go,
policy.go, cloudwatch/metric_alarm.go, ecs/service.go)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from tests.harness.day2 import replaced
from tests.harness.stacks import document, evaluate_stack, stack_config
from tests.harness.update_plan import ADD, DELETE, REPLACE, UPDATE, Change, plan

SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
DATA = {
    "aws:efs/fileSystem:FileSystem",
    "aws:efs/accessPoint:AccessPoint",
    "aws:efs/mountTarget:MountTarget",
    "aws:backup/vault:Vault",
}
VALUES = "dockyard:railsSecretValues"
SCALING = {"dockyard:railsMaxCount": 3}
SCALING_PARTS = {
    ("dockyard:rails_scaling:WebScaling", "rails-web-scaling"),
    ("aws:appautoscaling/target:Target", "rails-web-scaling-target"),
    ("aws:appautoscaling/policy:Policy", "rails-web-scaling-cpu"),
    ("aws:appautoscaling/policy:Policy", "rails-web-scaling-requests"),
}
ALARMS = {"dockyard:railsDeploymentAlarms": True}
ALARM_PARTS = {
    ("dockyard:rails_alarms:DeploymentAlarms", "rails-web-alarms"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "rails-web-alarms-5xx"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "rails-web-alarms-unhealthy"),
}
SETTINGS = {
    "dockyard:railsEnv": {"APP_HOST": "www.example.com"},
    "dockyard:railsSecrets": {"SMTP_PASS": "arn:aws:ssm:us-east-1:123456789012:parameter/smtp"},
    VALUES: {"API_KEY": "s3cr3t-value"},
}


def _up(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The next up of the dev stack from `before` to `after` overlaid on its file, with
    railsSecretValues a secret key (as `pulumi config set --secret --path` makes it)."""
    base = stack_config("dev")

    def graph(overlay: Mapping[str, Any]) -> dict[str, Any]:
        keys = (*base.secret_keys, VALUES) if VALUES in overlay else base.secret_keys
        values = replace(base, values={**base.values, **overlay}, secret_keys=keys)
        return document(evaluate_stack("dev", values), mask=False)

    return plan(graph(before), graph(after))


def _no_service_or_data_replaced(changes: list[Change]) -> None:
    assert not [c for c in replaced(changes) if c.typ == SERVICE or c.typ in DATA]
    assert not [c for c in changes if c.op == DELETE and (c.typ == SERVICE or c.typ in DATA)]


@pytest.mark.parametrize(("before", "after", "op"), [({}, SCALING, ADD), (SCALING, {}, DELETE)])
def test_turning_autoscaling_on_and_off_touches_only_the_scaler(
    before: dict[str, Any], after: dict[str, Any], op: str
) -> None:
    """Autoscaling on (off): the scalable target and its two policies are added (deleted)
    and nothing else changes: the web service's desiredCount stays as it was and only its
    ignoreChanges option (state, not an input) follows."""
    changes = _up(before, after)
    assert {(c.op, c.typ, c.name) for c in changes} == {(op, *part) for part in SCALING_PARTS}


def test_changing_the_range_updates_the_target_in_place() -> None:
    """A new maximum or targets are in-place updates of the target and the policies."""
    changes = _up(SCALING, {"dockyard:railsMaxCount": 2, "dockyard:railsScaleCpuPercent": 50})
    assert {(c.op, c.name, c.inputs) for c in changes} == {
        (UPDATE, "rails-web-scaling-target", ("maxCapacity",)),
        (
            UPDATE,
            "rails-web-scaling-cpu",
            ("targetTrackingScalingPolicyConfiguration.targetValue",),
        ),
    }


def test_desired_count_is_not_pushed_while_the_scaler_owns_it() -> None:
    """With autoscaling on, a new railsDesiredCount moves the scaler's minimum; the
    service's desiredCount is under ignoreChanges, so `up` leaves the scaler's count."""
    changes = _up(
        {**SCALING, "dockyard:railsDesiredCount": 1}, {**SCALING, "dockyard:railsDesiredCount": 2}
    )
    assert [(c.op, c.name, c.inputs) for c in changes] == [
        (UPDATE, "rails-web-scaling-target", ("minCapacity",))
    ]


@pytest.mark.parametrize(("before", "after", "op"), [({}, ALARMS, ADD), (ALARMS, {}, DELETE)])
def test_turning_alarms_on_and_off_updates_the_service_in_place(
    before: dict[str, Any], after: dict[str, Any], op: str
) -> None:
    """Alarms on (off): the two alarms are added (deleted) and the web service's `alarms`
    is updated in place (the block has no ForceNew); nothing is replaced."""
    changes = _up(before, after)
    _no_service_or_data_replaced(changes)
    assert {(c.op, c.typ, c.name) for c in changes if c.typ != SERVICE} == {
        (op, *part) for part in ALARM_PARTS
    }
    (service,) = [c for c in changes if c.typ == SERVICE]
    assert (service.op, service.name) == (UPDATE, "rails-web")
    assert all(i.startswith("alarms") for i in service.inputs), service.inputs


@pytest.mark.parametrize(("before", "after"), [({}, SETTINGS), (SETTINGS, {})])
def test_settings_and_stored_secrets_on_and_off_replace_no_service_or_data(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    """The app's variables, secret ARNs and stored secrets added (removed): the stored
    secret and its version are added (deleted), the web task gets a new revision (every
    input of a task definition forces one) and the service and the execution role's policy
    are updated in place; no service and no data resource is replaced."""
    changes = _up(before, after)
    _no_service_or_data_replaced(changes)
    assert {c.typ for c in replaced(changes)} == {TASK}
    op = ADD if after else DELETE
    stored = {(c.op, c.typ) for c in changes if c.name == "rails-app-secret-API_KEY"}
    assert stored == {
        (op, "aws:secretsmanager/secret:Secret"),
        (op, "aws:secretsmanager/secretVersion:SecretVersion"),
    }
    assert (UPDATE, "rails-execution-secrets") in {(c.op, c.name) for c in changes}


def test_a_new_connection_limit_restarts_the_database_without_replacing_it() -> None:
    """railsDbMaxConnections raised: a new database task revision (its command), which the
    database service then deploys (an update: the service follows its task definition's
    new ARN); nothing else changes, no data resource and no service is replaced."""
    changes = _up({}, {"dockyard:railsDbMaxConnections": 80})
    _no_service_or_data_replaced(changes)
    assert [(c.op, c.typ, c.name) for c in changes] == [(REPLACE, TASK, "rails-db")]
    assert changes[0].forcing == ("containerDefinitions",)
