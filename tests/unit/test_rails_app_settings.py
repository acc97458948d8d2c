"""railsEnv and railsSecrets: the app's own settings reach the web task (which the one-off
tasks run too), the execution role may read exactly the given ARNs, and a secret-looking
plain value is refused."""

from __future__ import annotations

import json
from typing import Any

from tests.harness.botocore_model import ecs_input_errors
from tests.harness.day2 import next_up, replaced
from tests.harness.pulumi_program import Evaluation, config_error, evaluate
from tests.harness.rails_definitions import recording_definitions

RAILS_ON = {"dockyard:rails": "true", "dockyard:dockerHosts": "false"}
SM = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/api-key-AbCdEf"
SSM = "arn:aws:ssm:us-east-1:123456789012:parameter/app/smtp-pass"
SETTINGS = {
    "dockyard:railsEnv": {"FEATURE_X": "on", "APP_HOST": "example.org"},
    "dockyard:railsSecrets": {"API_KEY": SM + ":key::", "SMTP_PASS": SSM},
}


def _run(extra: dict[str, Any]) -> tuple[Evaluation, dict[str, dict[str, Any]]]:
    with recording_definitions() as definitions:
        evaluation = evaluate({**RAILS_ON, **extra})
    return evaluation, definitions


def test_env_and_secrets_reach_the_web_task() -> None:
    """Both maps are in the web container (environment and `secrets` valueFrom), and the
    registered definition still passes botocore's RegisterTaskDefinition model."""
    _, definitions = _run(SETTINGS)
    request = definitions["rails-web"]
    assert ecs_input_errors(request) == ""
    (container,) = request["containerDefinitions"]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert (env["FEATURE_X"], env["APP_HOST"]) == ("on", "example.org")
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert (secrets["API_KEY"], secrets["SMTP_PASS"]) == (SM + ":key::", SSM)


def test_execution_role_reads_exactly_those_arns() -> None:
    """The execution role's policy: the three generated secrets plus the Secrets Manager
    ARN (its json-key suffix cut), and the SSM parameter through ssm:GetParameters."""
    evaluation, _ = _run(SETTINGS)
    (policy,) = [p for p in evaluation.of_type("aws:iam/rolePolicy:RolePolicy")
                 if p.name == "rails-execution-secrets"]  # fmt: skip
    sm, ssm = json.loads(policy.inputs["policy"])["Statement"]
    assert sm["Action"] == ["secretsmanager:GetSecretValue"]
    assert len(sm["Resource"]) == 4 and sm["Resource"][3] == SM
    assert ssm == {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": [SSM]}


def test_secret_looking_plain_value_refused() -> None:
    """A railsEnv name that says it is a secret is a config error pointing at railsSecrets."""
    config_error(
        lambda: evaluate({**RAILS_ON, "dockyard:railsEnv": {"STRIPE_TOKEN": "sk_live_x"}}),
        "dockyard:railsEnv",
        "railsSecrets",
    )


def test_secret_must_be_an_arn() -> None:
    """A railsSecrets value that is not an ARN (a value pasted in) is refused."""
    config_error(
        lambda: evaluate({**RAILS_ON, "dockyard:railsSecrets": {"API_KEY": "hunter2"}}),
        "dockyard:railsSecrets",
        "ARN",
    )


def test_reserved_name_refused() -> None:
    """railsEnv may not override what dockyard sets (the database host)."""
    config_error(
        lambda: evaluate({**RAILS_ON, "dockyard:railsEnv": {"APPDB_PORT_3306_TCP_ADDR": "x"}}),
        "dockyard:railsEnv",
        "set by dockyard",
    )


def test_adding_settings_replaces_no_service_or_data() -> None:
    """Day 2: settings added to a running stack register a new web task definition (every
    input of one forces a revision) and its dump loader's, update the execution role's
    policy and the web service in place; no service and no data resource is replaced."""
    changes = next_up(after={k: v for k, v in SETTINGS.items()})
    assert {c.name for c in replaced(changes)} <= {"rails-web", "rails-db-import"}
    assert "rails-web" in {c.name for c in replaced(changes)}
    for change in replaced(changes):
        assert change.typ == "aws:ecs/taskDefinition:TaskDefinition"
