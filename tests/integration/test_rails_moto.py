"""The Rails flow's task definitions registered with a real ECS API emulator (moto server).

The secrets are created in moto's Secrets Manager first, so the task definitions
carry real secret ARNs; what ECS stores and returns keeps the passwords in
`secrets` (ARNs only) and nothing secret in `environment`.
"""

from __future__ import annotations

import pytest

from dockyard.rails import ecs as r
from tests.harness.moto import MotoServer

pytestmark = pytest.mark.integration

PASSWORD = "moto-root-pw-Qx7"
APP_PASSWORD = "moto-app-pw-Rt4"
KEY_BASE = "moto-key-base-" + "f" * 50


@pytest.mark.parametrize("fargate", [False, True], ids=["ec2", "fargate"])
def test_register_and_read_back(moto_server: MotoServer, fargate: bool) -> None:
    """Both task definitions register; read back, passwords are ARNs in `secrets` only."""
    sm = moto_server.client("secretsmanager")
    suffix = "fargate" if fargate else "ec2"
    pw_arn = sm.create_secret(Name=f"appdb-root-{suffix}", SecretString=PASSWORD)["ARN"]
    app_arn = sm.create_secret(Name=f"appdb-app-{suffix}", SecretString=APP_PASSWORD)["ARN"]
    kb_arn = sm.create_secret(Name=f"key-base-{suffix}", SecretString=KEY_BASE)["ARN"]
    logs = r.Logs(group="/dockyard/test", region="us-east-1", stream_prefix="x")
    role = "arn:aws:iam::123456789012:role/exec"
    tasks = [
        r.task_definition(
            family=f"appdb-{suffix}",
            containers=[
                r.db_container(
                    image="mariadb:10.11",
                    password_secret_arn=pw_arn,
                    app_password_secret_arn=app_arn,
                    logs=logs,
                )
            ],
            execution_role_arn=role,
            fargate=fargate,
            volumes=[r.efs_volume("fs-0123456789abcdef0", "fsap-0123456789abcdef0")],
        ),
        r.task_definition(
            family=f"web-{suffix}",
            containers=[
                r.web_container(
                    image="web:1",
                    app_password_secret_arn=app_arn,
                    secret_key_base_arn=kb_arn,
                    logs=logs,
                )
            ],
            execution_role_arn=role,
            fargate=fargate,
        ),
    ]
    ecs = moto_server.client("ecs")
    for task in tasks:
        registered = ecs.register_task_definition(**task)["taskDefinition"]
        stored = ecs.describe_task_definition(taskDefinition=registered["taskDefinitionArn"])
        definition = stored["taskDefinition"]
        assert definition["networkMode"] == "awsvpc"
        for container in definition["containerDefinitions"]:
            values = [e["value"] for e in container.get("environment", [])]
            assert not {PASSWORD, APP_PASSWORD, KEY_BASE} & set(values)
            assert {s["valueFrom"] for s in container["secrets"]} <= {pw_arn, app_arn, kb_arn}
            assert (container["cpu"], container["memory"]) == (100, 112)
        if fargate:
            assert (definition["cpu"], definition["memory"]) == ("256", "512")
    assert sm.get_secret_value(SecretId=pw_arn)["SecretString"] == PASSWORD
