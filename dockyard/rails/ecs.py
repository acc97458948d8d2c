"""ECS task definitions for the Rails + MySQL flow (flow 3), as plain data.

The seed's two containers, for current ECS: the database task (MariaDB/MySQL with
its data on EFS) and the web task (Rails on 3000). The web task reaches the
database through Service Connect as `appdb:3306` and gets the seed's docker-link
variables (`APPDB_PORT_3306_TCP_ADDR`, `APPDB_PORT_3306_TCP_PORT`) pointing there.
Passwords are never in `environment`: ECS injects them from Secrets Manager
(`secrets`, `valueFrom` an ARN). The dicts returned are RegisterTaskDefinition's
shapes (camelCase), so botocore's own model can check them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The seed's compose limits: cpu_shares 100, mem_limit 117964800 bytes (112.5 MiB;
# ECS takes whole MiB, so 112).
SEED_CPU = 100
SEED_MEMORY_MIB = 112
SEED_MEMORY_BYTES = 117_964_800

APPDB_ALIAS = "appdb"
APP_DB_USER = "rails"
"""The app's own database account: all rights on APP_DATABASE, nothing else."""
APP_DATABASE = "appdb_production"
"""The app's database (the name the sample's database.yml uses in production)."""
DB_PORT = 3306
APP_PORT = 3000
PUBLIC_PORT = 80
DB_PORT_NAME = "mysql"
APP_PORT_NAME = "http"
DB_CONTAINER = "appdb"
APP_CONTAINER = "app"
DB_DATA_VOLUME = "appdb-data"
DB_DATA_PATH = "/var/lib/mysql"
HEALTH_PATH = "/health"

# containers/mysql runs MariaDB as uid/gid 999; the EFS access point uses them.
MYSQL_UID = 999
MYSQL_GID = 999

# The health checks: the images' own scripts, or a portable one for the official
# mysql / mariadb images (ping answers 0 even on "access denied": no password).
BUILT_DB_HEALTH_COMMAND = ("CMD", "/usr/local/bin/db-healthcheck")
OFFICIAL_DB_HEALTH_COMMAND = (
    "CMD-SHELL",
    "mariadb-admin --protocol=tcp -h 127.0.0.1 ping >/dev/null 2>&1"
    " || mysqladmin --protocol=tcp -h 127.0.0.1 ping",
)
APP_HEALTH_COMMAND = ("CMD", "/usr/local/bin/app-healthcheck")

MAX_START_PERIOD = 300

# ECS's smallest container memory, and the Fargate task sizes (cpu units -> MiB).
MIN_CONTAINER_MEMORY_MIB = 6
_FARGATE_SIZES: tuple[tuple[int, tuple[int, ...]], ...] = (
    (256, (512, 1024, 2048)),
    (512, tuple(range(1024, 4097, 1024))),
    (1024, tuple(range(2048, 8193, 1024))),
    (2048, tuple(range(4096, 16385, 1024))),
    (4096, tuple(range(8192, 30721, 1024))),
)

_SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "PRIVATE_KEY", "DATABASE_URL")


class RailsEcsError(ValueError):
    """Bad input to a definition builder; the message names the problem and the fix."""


@dataclass(frozen=True)
class Logs:
    """Where a container's output goes (the awslogs driver)."""

    group: str
    region: str
    stream_prefix: str


@dataclass(frozen=True)
class Limits:
    """A container's cpu units and hard memory limit (MiB); the stack config sets them
    (railsCpu, railsMemory, railsDbCpu, railsDbMemory: 512 for the web container's cpu, the
    load-tested size, and the seed's 100 and 112 otherwise, by default)."""

    cpu: int
    memory: int

    def __post_init__(self) -> None:
        if self.cpu < 0 or self.cpu > 10 * 1024:
            raise RailsEcsError(f"cpu {self.cpu} is outside 0..10240 units; the seed used 100")
        if self.memory < MIN_CONTAINER_MEMORY_MIB:
            raise RailsEcsError(
                f"memory {self.memory} MiB is below ECS's minimum of "
                f"{MIN_CONTAINER_MEMORY_MIB} MiB; the seed used {SEED_MEMORY_MIB}"
            )


WEB_RESERVED = frozenset(
    {
        "APPDB_PORT_3306_TCP_ADDR",
        "APPDB_PORT_3306_TCP_PORT",
        "APPDB_ENV_MYSQL_USER",
        "APPDB_ENV_MYSQL_DATABASE",
        "APPDB_ENV_MYSQL_PASSWORD",
        "SECRET_KEY_BASE",
        "RAILS_ENV",
        "RAILS_LOG_TO_STDOUT",
        "PORT",
        "DB_WAIT_TIMEOUT",
    }
)
"""Variables the web container sets itself (railsEnv and railsSecrets may not)."""
_SECRET_ARN = re.compile(
    r"arn:aws[a-z-]*:(?:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+(?::[^:]*:[^:]*:[^:]*)?"
    r"|ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9/_.-]+)"
)


def is_secret_arn(arn: str) -> bool:
    """A Secrets Manager secret ARN (optionally with ECS's :json-key:stage:version) or
    an SSM parameter ARN."""
    return _SECRET_ARN.fullmatch(arn) is not None


def execution_secret_statements(
    generated: Sequence[str], user: Sequence[str]
) -> list[dict[str, Any]]:
    """What the execution role may read: the generated secrets and exactly the ARNs in
    railsSecrets (a Secrets Manager ARN without ECS's json-key suffix, SSM through
    ssm:GetParameters)."""
    managed = [a for a in user if ":secretsmanager:" in a]
    parameters = sorted({a for a in user if ":ssm:" in a})
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [*generated, *sorted({":".join(a.split(":")[:7]) for a in managed})],
        }
    ]
    if parameters:
        statements.append(
            {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": parameters}
        )
    return statements


def looks_secret(name: str) -> bool:
    """Does an environment variable's name say it holds a secret?"""
    upper = name.upper()
    return any(word in upper for word in _SECRET_WORDS)


def log_configuration(logs: Logs) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": logs.group,
            "awslogs-region": logs.region,
            "awslogs-stream-prefix": logs.stream_prefix,
        },
    }


def _environment(values: Mapping[str, str]) -> list[dict[str, str]]:
    for name in values:
        if looks_secret(name):
            raise RailsEcsError(
                f"{name} looks like a secret and may not go into a task's environment; "
                "store it in Secrets Manager and pass it through `secrets`"
            )
    # AWS drops entries with empty values from the stored definition: one left in would
    # replace the task definition on every `pulumi up`. A missing variable reads as empty.
    return [{"name": k, "value": str(v)} for k, v in sorted(values.items()) if str(v)]


def _secrets(values: Mapping[str, str]) -> list[dict[str, str]]:
    for name, arn in values.items():
        if not arn.startswith("arn:"):
            raise RailsEcsError(
                f"secret {name} must name a Secrets Manager or SSM ARN (valueFrom), not a value"
            )
    return [{"name": k, "valueFrom": v} for k, v in sorted(values.items())]


def _health_check(command: Sequence[str], start_period: int) -> dict[str, Any]:
    if not command or command[0] not in {"CMD", "CMD-SHELL"}:
        raise RailsEcsError(
            f"health check command {list(command)!r} must start with CMD or CMD-SHELL"
        )
    return {
        "command": list(command),
        "interval": 10,
        "timeout": 5,
        "retries": 3,
        "startPeriod": start_period,
    }


def db_container(
    *,
    image: str,
    password_secret_arn: str,
    app_password_secret_arn: str,
    logs: Logs,
    limits: Limits,
    max_connections: int,
    health_command: Sequence[str] = BUILT_DB_HEALTH_COMMAND,
    database: str = APP_DATABASE,
    app_user: str = APP_DB_USER,
) -> dict[str, Any]:
    """The database container: root's password and the app user's (MYSQL_USER with all
    rights on MYSQL_DATABASE only) from Secrets Manager, data on the EFS volume, and
    `max_connections` (railsDbMaxConnections) as the server's option: an argument starting
    with `-` is handed to the server by containers/mysql's entrypoint and the official
    MySQL and MariaDB images' alike."""
    if max_connections < 1:
        raise RailsEcsError(f"max_connections {max_connections} must be at least 1")
    return {
        "name": DB_CONTAINER,
        "image": image,
        "essential": True,
        "command": [f"--max-connections={max_connections}"],
        "cpu": limits.cpu,
        "memory": limits.memory,
        "portMappings": [
            {"name": DB_PORT_NAME, "containerPort": DB_PORT, "protocol": "tcp"},
        ],
        "environment": _environment({"MYSQL_DATABASE": database, "MYSQL_USER": app_user}),
        "secrets": _secrets(
            {"MYSQL_ROOT_PASSWORD": password_secret_arn, "MYSQL_PASSWORD": app_password_secret_arn}
        ),
        "mountPoints": [
            {"sourceVolume": DB_DATA_VOLUME, "containerPath": DB_DATA_PATH, "readOnly": False}
        ],
        "healthCheck": _health_check(health_command, start_period=60),
        "logConfiguration": log_configuration(logs),
        "stopTimeout": 60,
    }


def web_container(
    *,
    image: str,
    app_password_secret_arn: str,
    secret_key_base_arn: str,
    logs: Logs,
    limits: Limits,
    db_wait_timeout: int,
    db_host: str = APPDB_ALIAS,
    db_port: int = DB_PORT,
    database: str = APP_DATABASE,
    app_user: str = APP_DB_USER,
    environment: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Rails container: the seed's APPDB_* link variables and the app user's account
    as a docker link names the database container's (APPDB_ENV_MYSQL_USER, _PASSWORD,
    _DATABASE), passwords through `secrets`. Root's password is not given to it;
    `db_wait_timeout` (railsDbWaitTimeout) bounds the entrypoint's wait for the database."""
    if db_wait_timeout < 1:
        raise RailsEcsError(f"db_wait_timeout {db_wait_timeout} must be at least 1 second")
    env = {
        "APPDB_PORT_3306_TCP_ADDR": db_host,
        "APPDB_PORT_3306_TCP_PORT": str(db_port),
        "APPDB_ENV_MYSQL_USER": app_user,
        "APPDB_ENV_MYSQL_DATABASE": database,
        "RAILS_ENV": "production",
        "RAILS_LOG_TO_STDOUT": "1",
        "PORT": str(APP_PORT),
        "DB_WAIT_TIMEOUT": str(db_wait_timeout),
        **(environment or {}),
    }
    return {
        "name": APP_CONTAINER,
        "image": image,
        "essential": True,
        "cpu": limits.cpu,
        "memory": limits.memory,
        "portMappings": [
            {
                "name": APP_PORT_NAME,
                "containerPort": APP_PORT,
                "protocol": "tcp",
                "appProtocol": "http",
            }
        ],
        "environment": _environment(env),
        "secrets": _secrets(
            {
                **(secrets or {}),
                "APPDB_ENV_MYSQL_PASSWORD": app_password_secret_arn,
                "SECRET_KEY_BASE": secret_key_base_arn,
            }
        ),
        # ECS allows a start period of at most 300 s.
        "healthCheck": _health_check(
            APP_HEALTH_COMMAND, start_period=min(MAX_START_PERIOD, db_wait_timeout + 60)
        ),
        "logConfiguration": log_configuration(logs),
    }


def efs_volume(file_system_id: str, access_point_id: str) -> dict[str, Any]:
    """The database's data volume: EFS through an access point, TLS and IAM on."""
    return {
        "name": DB_DATA_VOLUME,
        "efsVolumeConfiguration": {
            "fileSystemId": file_system_id,
            "transitEncryption": "ENABLED",
            "authorizationConfig": {"accessPointId": access_point_id, "iam": "ENABLED"},
        },
    }


def efs_client_statement(
    file_system_arn: str, access_point_arn: str, principal_arn: str | None = None
) -> dict[str, Any]:
    """Mount and write the file system, only through the access point (an IAM statement;
    with `principal_arn`, a file system policy statement for that principal)."""
    statement: dict[str, Any] = {"Effect": "Allow"}
    if principal_arn is not None:
        statement = {"Sid": "DbTaskThroughAccessPoint", **statement}
        statement["Principal"] = {"AWS": principal_arn}
    statement["Action"] = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    statement["Resource"] = file_system_arn
    statement["Condition"] = {
        "StringEquals": {"elasticfilesystem:AccessPointArn": access_point_arn}
    }
    return statement


def efs_file_system_policy(
    file_system_arn: str, access_point_arn: str, principal_arn: str
) -> dict[str, Any]:
    """TLS only, and the database task only through its access point."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyUnencryptedTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": file_system_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            efs_client_statement(file_system_arn, access_point_arn, principal_arn),
        ],
    }


def fargate_task_size(cpu: int, memory: int) -> tuple[int, int]:
    """The smallest Fargate task size (cpu units, MiB) holding the given container totals."""
    for task_cpu, memories in _FARGATE_SIZES:
        if task_cpu < cpu:
            continue
        for task_memory in memories:
            if task_memory >= memory:
                return task_cpu, task_memory
    raise RailsEcsError(
        f"no Fargate task size holds {cpu} cpu units and {memory} MiB; lower the limits "
        "or use EC2 capacity"
    )


def task_definition(
    *,
    family: str,
    containers: Sequence[Mapping[str, Any]],
    limits: Limits,
    execution_role_arn: str,
    task_role_arn: str | None = None,
    fargate: bool = False,
    volumes: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """RegisterTaskDefinition's parameters for one task (awsvpc networking on EC2 and Fargate).

    `limits` is what the containers take in all (a Fargate task is sized to hold it), so the
    containers are held as given and never read: a caller may pass values it resolves
    later. Without `volumes` the request has none (not an empty list)."""
    if not containers:
        raise RailsEcsError(f"task {family} needs at least one container")
    params: dict[str, Any] = {
        "family": family,
        "networkMode": "awsvpc",
        "containerDefinitions": list(containers),
        "executionRoleArn": execution_role_arn,
        "requiresCompatibilities": ["FARGATE" if fargate else "EC2"],
    }
    if volumes is not None:
        params["volumes"] = list(volumes)
    if task_role_arn:
        params["taskRoleArn"] = task_role_arn
    if fargate:
        cpu, memory = fargate_task_size(limits.cpu, limits.memory)
        params["cpu"] = str(cpu)
        params["memory"] = str(memory)
        params["runtimePlatform"] = {
            "cpuArchitecture": "X86_64",
            "operatingSystemFamily": "LINUX",
        }
    return params


def environment_values(task: Mapping[str, Any]) -> list[str]:
    """Every value in every container's `environment` (to check none is a secret)."""
    return [
        str(item["value"])
        for container in task.get("containerDefinitions", [])
        for item in container.get("environment", [])
    ]


# --- one-off tasks: ECS Exec and dump imports (`dockyard rails exec/run/import-db`) ---

IMPORT_CONTAINER = "import"
IMPORT_COMMAND = "/usr/local/bin/db-import"
"""containers/mysql's loader: a dump (DUMP_URL or stdin, plain or gzip) into DB_NAME."""
EXEC_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
"""What the SSM agent in a task needs for ECS Exec (AWS's ECS Exec documentation)."""
EXEC_LOG_GROUP_ACTIONS = ("logs:DescribeLogGroups",)
"""Session logging to CloudWatch: what the agent calls on every group (Resource "*")."""
EXEC_LOG_STREAM_ACTIONS = (
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)
"""Session logging to CloudWatch: what the agent calls on the cluster's exec log group
(the list aws-containers/amazon-ecs-exec-checker's check-ecs-exec.sh simulates)."""


def exec_task_policy(log_group_arn: str) -> dict[str, Any]:
    """The task role policy ECS Exec needs: the SSM channels (no resource ARNs), and the
    session log's writes to `log_group_arn` (the cluster's executeCommandConfiguration
    logs there, logging OVERRIDE)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": list(EXEC_ACTIONS), "Resource": "*"},
            {"Effect": "Allow", "Action": list(EXEC_LOG_GROUP_ACTIONS), "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": list(EXEC_LOG_STREAM_ACTIONS),
                "Resource": f"{log_group_arn}:*",
            },
        ],
    }


def import_container(
    *, image: str, password_secret_arn: str, logs: Logs, limits: Limits
) -> dict[str, Any]:
    """The dump loader: the database image's client, root's password from Secrets Manager;
    the CLI supplies DUMP_URL, DB_HOST and the command (with or without --replace)."""
    return {
        "name": IMPORT_CONTAINER,
        "image": image,
        "essential": True,
        "cpu": limits.cpu,
        "memory": limits.memory,
        "entryPoint": [IMPORT_COMMAND],
        "command": [],
        "environment": _environment(
            {
                "DB_HOST": APPDB_ALIAS,
                "DB_PORT": str(DB_PORT),
                "DB_NAME": APP_DATABASE,
                "DB_USER": "root",
            }
        ),
        "secrets": _secrets({"MYSQL_PWD": password_secret_arn}),
        "logConfiguration": log_configuration(logs),
    }
