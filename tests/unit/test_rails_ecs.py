"""dockyard.rails.ecs: the Rails flow's ECS task definitions, checked by botocore's model."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.rails import ecs as r
from tests.harness.botocore_model import ecs_input_errors

PW_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:appdb-root-AbCdEf"
APP_PW_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:appdb-app-MnOpQr"
SKB_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:secret-key-base-GhIjKl"
EXEC_ROLE = "arn:aws:iam::123456789012:role/exec"
TASK_ROLE = "arn:aws:iam::123456789012:role/task"
LOGS = r.Logs(group="/dockyard/dev/rails", region="us-east-1", stream_prefix="app")
SEED = r.Limits(cpu=r.SEED_CPU, memory=r.SEED_MEMORY_MIB)
WAIT = 120


def db_task(fargate: bool) -> dict[str, Any]:
    return r.task_definition(
        family="dockyard-appdb",
        containers=[
            r.db_container(
                image="mariadb:10.11",
                password_secret_arn=PW_ARN,
                app_password_secret_arn=APP_PW_ARN,
                logs=LOGS,
                limits=SEED,
                max_connections=50,
            )
        ],
        limits=SEED,
        execution_role_arn=EXEC_ROLE,
        task_role_arn=TASK_ROLE,
        fargate=fargate,
        volumes=[r.efs_volume("fs-0123456789abcdef0", "fsap-0123456789abcdef0")],
    )


def web_task(fargate: bool) -> dict[str, Any]:
    return r.task_definition(
        family="dockyard-web",
        containers=[
            r.web_container(
                image="123456789012.dkr.ecr.us-east-1.amazonaws.com/web:latest",
                app_password_secret_arn=APP_PW_ARN,
                secret_key_base_arn=SKB_ARN,
                logs=LOGS,
                limits=SEED,
                db_wait_timeout=WAIT,
            )
        ],
        limits=SEED,
        execution_role_arn=EXEC_ROLE,
        fargate=fargate,
    )


@pytest.mark.parametrize("fargate", [False, True], ids=["ec2", "fargate"])
@pytest.mark.parametrize("build", [db_task, web_task], ids=["db", "web"])
def test_task_definitions_pass_botocore_model(build: Any, fargate: bool) -> None:
    """Each task definition, on EC2 and on Fargate, is valid RegisterTaskDefinition input."""
    assert ecs_input_errors(build(fargate)) == ""


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda t: t["containerDefinitions"][0].update(cpu="100"), "Invalid type"),
        (lambda t: t["containerDefinitions"][0].update(memry=112), "Unknown parameter"),
        (lambda t: t.pop("containerDefinitions"), "Missing required parameter"),
    ],
    ids=["cpu-as-string", "misspelt-key", "no-containers"],
)
def test_botocore_model_catches_broken_definitions(break_it: Any, expected: str) -> None:
    """The model check can fail: a wrong type, an unknown key, a missing container list."""
    task = web_task(False)
    break_it(task)
    assert expected in ecs_input_errors(task)


@pytest.mark.parametrize("build", [db_task, web_task], ids=["db", "web"])
def test_containers_carry_their_limits(build: Any) -> None:
    """Containers take the limits they are given, here the seed's cpu 100 and 112 MiB
    (mem_limit 117964800 bytes); the stack config's defaults are those (Pulumi.yaml), but
    the web container's cpu (512, test_config_defaults)."""
    (container,) = build(False)["containerDefinitions"]
    assert (container["cpu"], container["memory"]) == (100, 112)
    # 117964800 bytes are 112.5 MiB; ECS takes whole MiB and the design rounds down.
    assert r.SEED_MEMORY_BYTES // (1024 * 1024) == r.SEED_MEMORY_MIB


@pytest.mark.parametrize("build", [db_task, web_task], ids=["db", "web"])
def test_passwords_only_through_secrets(build: Any) -> None:
    """No ARN or password-like name in `environment`; the app user's password comes via
    `secrets` to both containers."""
    (container,) = build(False)["containerDefinitions"]
    names = {e["name"] for e in container["environment"]}
    assert not any(r.looks_secret(n) for n in names)
    assert not {PW_ARN, APP_PW_ARN} & set(r.environment_values(build(False)))
    assert APP_PW_ARN in {s["valueFrom"] for s in container["secrets"]}


def test_web_gets_link_variables_for_service_connect_alias() -> None:
    """The web container's APPDB_* variables point at the Service Connect alias appdb:3306."""
    (container,) = web_task(False)["containerDefinitions"]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["APPDB_PORT_3306_TCP_ADDR"] == "appdb"
    assert env["APPDB_PORT_3306_TCP_PORT"] == "3306"
    assert (env["APPDB_ENV_MYSQL_USER"], env["APPDB_ENV_MYSQL_DATABASE"]) == (
        "rails",
        "appdb_production",
    )
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets == {"APPDB_ENV_MYSQL_PASSWORD": APP_PW_ARN, "SECRET_KEY_BASE": SKB_ARN}
    assert PW_ARN not in str(container), "root's password stays with the database container"
    assert container["portMappings"][0]["containerPort"] == 3000


def test_db_has_named_port_health_check_and_efs_data() -> None:
    """The db container has the port name Service Connect needs, a health check and EFS data."""
    task = db_task(False)
    (container,) = task["containerDefinitions"]
    assert container["portMappings"] == [
        {"name": "mysql", "containerPort": 3306, "protocol": "tcp"}
    ]
    assert container["healthCheck"]["command"] == ["CMD", "/usr/local/bin/db-healthcheck"]
    assert container["mountPoints"][0]["containerPath"] == "/var/lib/mysql"
    efs = task["volumes"][0]["efsVolumeConfiguration"]
    assert efs["transitEncryption"] == "ENABLED"
    assert efs["authorizationConfig"]["iam"] == "ENABLED"
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env == {"MYSQL_DATABASE": "appdb_production", "MYSQL_USER": "rails"}
    secrets = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert secrets == {"MYSQL_ROOT_PASSWORD": PW_ARN, "MYSQL_PASSWORD": APP_PW_ARN}


@pytest.mark.parametrize(
    "name", ["DB_PASSWORD", "SECRET_KEY_BASE", "API_TOKEN", "DATABASE_URL", "my_private_key"]
)
def test_secret_looking_environment_is_refused(name: str) -> None:
    """A secret-looking extra variable cannot be put into `environment`."""
    with pytest.raises(r.RailsEcsError, match="Secrets Manager"):
        r.web_container(
            image="x",
            app_password_secret_arn=APP_PW_ARN,
            secret_key_base_arn=SKB_ARN,
            logs=LOGS,
            limits=SEED,
            db_wait_timeout=WAIT,
            environment={name: "v"},
        )


def test_secret_must_be_an_arn() -> None:
    """A plain value where an ARN belongs is refused (it would be a plaintext password)."""
    with pytest.raises(r.RailsEcsError, match="ARN"):
        r.db_container(
            image="x",
            password_secret_arn="hunter2",
            app_password_secret_arn=APP_PW_ARN,
            logs=LOGS,
            limits=SEED,
            max_connections=50,
        )


@pytest.mark.parametrize(
    ("cpu", "memory", "expected"),
    [(100, 112, (256, 512)), (200, 224, (256, 512)), (300, 600, (512, 1024)),
     (1024, 2048, (1024, 2048)), (2048, 9000, (2048, 9216))],
)  # fmt: skip
def test_fargate_task_size(cpu: int, memory: int, expected: tuple[int, int]) -> None:
    """The smallest valid Fargate size that holds the containers' totals."""
    assert r.fargate_task_size(cpu, memory) == expected


def test_fargate_too_big() -> None:
    """Totals beyond Fargate's largest size are an error naming the fix."""
    with pytest.raises(r.RailsEcsError, match="EC2 capacity"):
        r.fargate_task_size(8192, 1024)


@pytest.mark.parametrize(("cpu", "memory"), [(-1, 112), (100, 4), (20000, 112)])
def test_bad_limits(cpu: int, memory: int) -> None:
    """Limits outside what ECS accepts are refused up front."""
    with pytest.raises(r.RailsEcsError):
        r.Limits(cpu=cpu, memory=memory)


@pytest.mark.parametrize(("wait", "start_period"), [(120, 180), (240, 300), (3600, 300)])
def test_web_health_start_period_covers_wait_within_ecs_limit(wait: int, start_period: int) -> None:
    """The web health check's grace covers the db wait plus boot, capped at ECS's 300 s."""
    container = r.web_container(
        image="x",
        app_password_secret_arn=APP_PW_ARN,
        secret_key_base_arn=SKB_ARN,
        logs=LOGS,
        limits=SEED,
        db_wait_timeout=wait,
    )
    assert container["healthCheck"]["startPeriod"] == start_period
