"""Autoscaling, deployment alarms, the database's connection limit and the secrets the
stack stores (railsMaxCount, railsDeploymentAlarms, railsDbMaxConnections,
railsSecretValues), evaluated under mocks: the resources and their wiring, the config
errors, and AWS's naming rules (botocore's models) over everything made."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from dockyard.rails import scaling
from tests.harness import aws_rules
from tests.harness.pulumi_program import REPO, SECRET, Evaluation, config_error, evaluate
from tests.harness.rails_definitions import recording_definitions
from tests.harness.stacks import STACKS_DIR, StackValues, evaluate_stack, stack_config

RAILS_ON = {"dockyard:rails": "true", "dockyard:dockerHosts": "false"}
SCALED = {"dockyard:railsDesiredCount": 2, "dockyard:railsMaxCount": 6}
ALARMS = {"dockyard:railsDeploymentAlarms": "true"}
BIG_DB = {"dockyard:railsDbMaxConnections": 100}
VALUES_KEY = "dockyard:railsSecretValues"
API_KEY = "s3cr3t-api-key-value-0123456789"
TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SERVICE = "aws:ecs/service:Service"


def _evaluate(extra: dict[str, Any], secret_keys: tuple[str, ...] = ()) -> Evaluation:
    return evaluate({**RAILS_ON, **extra}, secret_keys=secret_keys)


def _web(evaluation: Evaluation) -> Any:
    (web,) = [s for s in evaluation.of_type(SERVICE) if s.inputs.get("name") == "web"]
    return web


def test_autoscaling_tracks_cpu_and_requests_per_target() -> None:
    """railsMaxCount: a scalable target on the web service (service/<cluster>/web, its
    desired count between railsDesiredCount and railsMaxCount) and two target tracking
    policies, on average CPU and on ALBRequestCountPerTarget labelled with the load
    balancer's and the target group's ARN suffixes; the service ignores desiredCount."""
    evaluation = _evaluate({**SCALED, **BIG_DB})
    (target,) = evaluation.of_type(TARGET)
    (cluster,) = evaluation.of_type("aws:ecs/cluster:Cluster")
    assert target.inputs["resourceId"] == f"service/{cluster.inputs['name']}/web"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 6)
    assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount"
    assert target.inputs["serviceNamespace"] == "ecs"
    policies = {p.name: p.inputs for p in evaluation.of_type(POLICY)}
    assert set(policies) == {"rails-web-scaling-cpu", "rails-web-scaling-requests"}
    cpu = policies["rails-web-scaling-cpu"]["targetTrackingScalingPolicyConfiguration"]
    assert cpu["predefinedMetricSpecification"] == {
        "predefinedMetricType": "ECSServiceAverageCPUUtilization"
    }
    assert cpu["targetValue"] == 60
    requests = policies["rails-web-scaling-requests"]["targetTrackingScalingPolicyConfiguration"]
    spec = requests["predefinedMetricSpecification"]
    assert spec["predefinedMetricType"] == "ALBRequestCountPerTarget"
    assert re.fullmatch(r"app/[^/]+/[0-9a-f]+/targetgroup/[^/]+/[0-9a-f]+", spec["resourceLabel"])
    assert requests["targetValue"] == 1000
    for inputs in policies.values():
        assert inputs["resourceId"] == target.inputs["resourceId"]
        assert inputs["policyType"] == "TargetTrackingScaling"
    assert _web(evaluation).options["ignoreChanges"] == ["desiredCount"]


def test_no_autoscaling_by_default() -> None:
    """Without railsMaxCount: no scaling resources, and `up` sets the desired count."""
    evaluation = _evaluate({})
    assert not evaluation.of_type(TARGET) and not evaluation.of_type(POLICY)
    assert not _web(evaluation).options.get("ignoreChanges")
    assert not evaluation.of_type(ALARM) and "alarms" not in _web(evaluation).inputs


def test_cpu_only_when_requests_target_is_zero() -> None:
    """railsScaleRequestsPerTarget 0: the CPU policy alone."""
    evaluation = _evaluate({**SCALED, **BIG_DB, "dockyard:railsScaleRequestsPerTarget": 0})
    assert [p.name for p in evaluation.of_type(POLICY)] == ["rails-web-scaling-cpu"]


def test_deployment_alarms_roll_back_a_bad_deploy() -> None:
    """railsDeploymentAlarms: alarms on the target group's 5xx count and unhealthy hosts
    (dimensions LoadBalancer and TargetGroup as CloudWatch names them), listed in the web
    service's alarms with rollback on."""
    evaluation = _evaluate(ALARMS)
    alarms = {a.inputs["metricName"]: a.inputs for a in evaluation.of_type(ALARM)}
    assert set(alarms) == {"HTTPCode_Target_5XX_Count", "UnHealthyHostCount"}
    for alarm in alarms.values():
        assert alarm["namespace"] == "AWS/ApplicationELB"
        assert alarm["dimensions"]["LoadBalancer"].startswith("app/")
        assert alarm["dimensions"]["TargetGroup"].startswith("targetgroup/")
        assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert _web(evaluation).inputs["alarms"] == {
        "alarmNames": sorted(a["name"] for a in alarms.values()),
        "enable": True,
        "rollback": True,
    }


MAX, DESIRED, ENV = "dockyard:railsMaxCount", "dockyard:railsDesiredCount", "dockyard:railsEnv"


@pytest.mark.parametrize(
    ("extra", "key", "words"),
    [
        ({MAX: 1, DESIRED: 2}, "railsMaxCount", "runs between"),
        ({MAX: 3, DESIRED: 0}, "railsMaxCount", "at least 1"),
        ({MAX: 6}, "railsDbMaxConnections", "pulumi config set railsDbMaxConnections 72"),
        ({DESIRED: 4}, "railsDbMaxConnections", "railsDesiredCount 4, twice"),
        ({ENV: {"RAILS_MAX_THREADS": "16"}}, "railsDbMaxConnections", "16 each"),
        ({ENV: {"RAILS_MAX_THREADS": "many"}}, "railsEnv", "RAILS_MAX_THREADS"),
    ],
)
def test_bad_scaling_settings_are_refused(extra: dict[str, Any], key: str, words: str) -> None:
    """A maximum below the minimum, autoscaling from 0 tasks, or more connections than the
    database accepts (the most web tasks twice for a rolling deploy, two one-off Rails tasks,
    the pool each, two single clients) stop the program naming the key and the fix."""
    config_error(lambda: _evaluate(extra), f"dockyard:{key}", words)


def test_max_connections_reach_the_database() -> None:
    """railsDbMaxConnections is the database server's option (the container's command)."""
    with recording_definitions() as definitions:
        _evaluate(BIG_DB)
    (db,) = definitions["rails-db"]["containerDefinitions"]
    assert db["command"] == ["--max-connections=100"]


def test_connection_count_matches_the_image_defaults() -> None:
    """The pool dockyard assumes is the one the image's database.yml and puma.rb default to,
    and the count is (2 x most tasks + 2 one-off) x pool + 2."""
    sample = REPO / "containers" / "rails" / "sample" / "config"
    pattern = r'ENV\.fetch\("RAILS_MAX_THREADS", "(\d+)"\)'
    for name in ("database.yml", "puma.rb"):
        (default,) = re.findall(pattern, (sample / name).read_text())
        assert int(default) == scaling.DEFAULT_POOL, name
    assert scaling.connections(1, 0, 5).needed == 22
    assert scaling.connections(2, 6, 5) == scaling.Connections(web_tasks=12, pool=5, needed=72)


def test_secret_values_are_stored_and_granted_never_plain() -> None:
    """railsSecretValues: one Secrets Manager secret per name (named with the stack), its
    version holding the value as a secret; the web task gets the secret's ARN, the execution
    role may read it; the value is in no resource's readable inputs and no output."""
    with recording_definitions() as definitions:
        evaluation = _evaluate({VALUES_KEY: {"API_KEY": API_KEY}}, (VALUES_KEY,))
    (secret,) = [
        s
        for s in evaluation.of_type("aws:secretsmanager/secret:Secret")
        if s.name == "rails-app-secret-API_KEY"
    ]
    assert secret.inputs["namePrefix"] == "my-prefix/dev/app-API_KEY-"
    (version,) = [
        v
        for v in evaluation.of_type("aws:secretsmanager/secretVersion:SecretVersion")
        if v.name == "rails-app-secret-API_KEY"
    ]
    assert "secretString" in version.secret_inputs
    assert version.plain_inputs["secretString"] == SECRET
    arn = secret.outputs["arn"]
    (web,) = definitions["rails-web"]["containerDefinitions"]
    assert {"name": "API_KEY", "valueFrom": arn} in web["secrets"]
    (policy,) = [p for p in evaluation.of_type("aws:iam/rolePolicy:RolePolicy")
                 if p.name == "rails-execution-secrets"]  # fmt: skip
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert arn in statement["Resource"] and len(statement["Resource"]) == 4
    readable = json.dumps([r.plain_inputs for r in evaluation.resources], default=str)
    assert API_KEY not in readable
    assert API_KEY not in json.dumps(evaluation.outputs, default=str)


@pytest.mark.parametrize(
    ("config", "secret", "words"),
    [
        ({"API_KEY": API_KEY}, False, "plain text"),
        ({"SECRET_KEY_BASE": API_KEY}, True, "set by dockyard"),
        ({"bad-name": API_KEY}, True, "not an environment variable name"),
    ],
)
def test_bad_secret_values_are_refused(config: dict[str, str], secret: bool, words: str) -> None:
    """A value not stored as a secret in the stack file, a name dockyard sets, or a name
    that is no variable name is refused naming railsSecretValues."""
    config_error(
        lambda: _evaluate({VALUES_KEY: config}, (VALUES_KEY,) if secret else ()), VALUES_KEY, words
    )


def test_a_name_in_both_secret_maps_is_refused() -> None:
    """The same variable from an ARN and from a stored value would be ambiguous."""
    arn = "arn:aws:ssm:us-east-1:123456789012:parameter/app/key"
    config_error(
        lambda: _evaluate(
            {VALUES_KEY: {"API_KEY": API_KEY}, "dockyard:railsSecrets": {"API_KEY": arn}},
            (VALUES_KEY,),
        ),
        VALUES_KEY,
        "in railsSecrets too",
    )


def test_everything_on_passes_aws_naming_rules() -> None:
    """With scaling, alarms and stored secrets on, every name and value AWS validates passes
    botocore's rules (aws_rules), and every resource type is known there."""
    evaluation = _evaluate(
        {**SCALED, **BIG_DB, **ALARMS, VALUES_KEY: {"API_KEY": API_KEY}}, (VALUES_KEY,)
    )
    assert aws_rules.unmapped(evaluation) == []
    assert aws_rules.report(aws_rules.violations(evaluation)) == ""


def test_a_stack_file_value_set_with_secret_path_is_stored(tmp_path: Path) -> None:
    """The stack file as `pulumi config set --secret --path 'railsSecretValues.API_KEY'`
    writes it (a `secure:` value inside the map): the key is a secret key, as the CLI marks
    it, and the value is stored; the same map in plain text is refused."""
    dev = yaml.safe_load((STACKS_DIR / "Pulumi.dev.yaml").read_text())
    for value, stored in (({"secure": "v1:c2VjcmV0"}, True), ("plain-value", False)):
        dev["config"][VALUES_KEY] = {"API_KEY": value}
        path = tmp_path / "Pulumi.dev.yaml"
        path.write_text(yaml.safe_dump(dev))
        config = stack_config("dev", path)
        if not stored:
            assert VALUES_KEY not in config.secret_keys
            config_error(lambda c=config: evaluate_stack("dev", c), VALUES_KEY, "plain text")
            continue
        assert VALUES_KEY in config.secret_keys
        evaluation = evaluate_stack("dev", config)
        (version,) = [
            v
            for v in evaluation.of_type("aws:secretsmanager/secretVersion:SecretVersion")
            if v.name == "rails-app-secret-API_KEY"
        ]
        assert version.plain_inputs["secretString"] == SECRET


@pytest.mark.parametrize(
    ("instance", "task_cpu", "per_instance"),
    [((3, 2), 256, 2), ((4, 4), 256, 3), ((8, 2), 1024, 2), ((4, 1), 2048, 0)],
    ids=["t3-medium-interfaces", "m5-xlarge-interfaces", "cpu-bound", "no-room"],
)
def test_ec2_room_counts_interfaces_and_cpu(
    instance: tuple[int, int], task_cpu: int, per_instance: int
) -> None:
    """Per instance: its network interfaces but the primary, at most its CPU units over the
    largest task's; the peak: twice the most web tasks, the database, a one-off task."""
    interfaces, vcpus = instance
    room = scaling.ec2_room(
        desired=2, max_count=3, interfaces=interfaces, vcpus=vcpus,
        largest_task_cpu=task_cpu, instances=4,
    )  # fmt: skip
    assert (room.peak_tasks, room.per_instance) == (8, per_instance)
    assert room.short is (per_instance * 4 < 8)


PROD_SIX = {"dockyard:railsMaxCount": 6}
"""What the prod example had: six web tasks on 2 (up to 4) t3.medium hosts."""


def _warnings(caplog: pytest.LogCaptureFixture, overrides: dict[str, Any]) -> list[str]:
    config = stack_config("prod")
    values = {**config.values, **overrides}
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        evaluate_stack("prod", StackValues(values, config.secret_keys))
    return [m for m in caplog.messages if "awsvpc tasks" in m]


def test_prod_is_warned_when_its_hosts_cannot_hold_a_deploy(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """EC2's answer for t3.medium (moto's DescribeInstanceTypes data: 3 interfaces, 2
    vCPUs): 4 hosts hold 8 tasks; six web tasks deploy as twelve, plus the database and a
    one-off task. The committed prod (3 web tasks, 8 at the peak) fits and is not warned;
    more hosts or Fargate lift the warning."""
    (warning,) = _warnings(caplog, PROD_SIX)
    assert "holds 8 awsvpc tasks (2 each" in warning and "fewer than the 14" in warning
    assert "Lower railsMaxCount, raise railsInstanceCount" in warning
    assert _warnings(caplog, {}) == []
    assert _warnings(caplog, {**PROD_SIX, "dockyard:railsInstanceCount": 4}) == []
    assert _warnings(caplog, {**PROD_SIX, "dockyard:railsCapacity": "fargate"}) == []
