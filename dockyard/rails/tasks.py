"""One-off work on the Rails flow's ECS services, driven by the stack outputs
(`railsTasks`, `railsClusterArn`): a shell or console in a running web task (ECS Exec),
a one-off task from the web task definition (`bin/rails db:migrate`), and loading a
`mysqldump` into `appdb` through the dump loader's task.

One-off tasks are not part of Service Connect (only services are), so `appdb` does not
resolve in them: they get the database task's private address in the seed's link
variable (APPDB_PORT_3306_TCP_ADDR) or DB_HOST instead.

What AWS answers badly (no such cluster, a region that does not exist, no network, no
credentials) is an `AwsError`: one line naming the problem and the fix, not botocore's
traceback.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.errors import DockyardError, UsageError
from dockyard.rails.outputs import OUTPUT, RailsTasks

DEFAULT_EXEC_COMMAND = "bin/rails console"
PRESIGN_SECONDS = 900
WAIT_SECONDS = 3600
LOG_TAIL_LINES = 20
SQL_STARTS = (
    "-- mysql dump",
    "-- mariadb dump",
    "/*!",
    "/*m!",  # mariadb-dump 10.11.8+ opens with /*M!999999\- enable the sandbox mode */
    "set ",
    "create ",
    "drop ",
    "insert ",
    "lock tables",
    "use ",
    "start transaction",
)
"""What a mysqldump / mariadb-dump file's first statement or comment looks like."""

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """Where the one-off work runs, read from the stack outputs."""

    cluster: str
    region: str
    tasks: RailsTasks

    def log_group(self, container: str) -> str:
        """railsTasks.logGroups[container] (web or db), or a UsageError naming it."""
        groups: dict[str, str] = self.tasks.need("logGroups")
        if container not in groups:
            raise UsageError(
                f"the stack output {OUTPUT}.logGroups has no {container} log group: run "
                "`pulumi up` with this version of dockyard, then try again"
            )
        return groups[container]

    def require(self, *keys: str) -> None:
        """UsageError for the first of `keys` the outputs lack: checked before any AWS call,
        so a stale stack fails at once, not after a dump is uploaded or a task started."""
        for key in keys:
            self.tasks.need(key)


class AwsError(DockyardError):
    """An AWS call failed; the message names the call or the setting, and the fix."""


def _refused(where: Target, err: Any) -> str:
    """The message for botocore's ClientError (AWS answered with an error)."""
    error = err.response.get("Error", {})
    code = str(error.get("Code", "?"))
    if code == "ClusterNotFoundException":
        return (
            f"ECS has no cluster {where.cluster} in {where.region}: deploy the stack "
            "(pulumi up), or use AWS credentials of the stack's account (AWS_PROFILE)"
        )
    message = (str(error.get("Message") or "").strip().splitlines() or [""])[0][:200]
    return (
        f"AWS refused {err.operation_name} in {where.region} ({code}: {message}); check that "
        "the stack outputs are current (pulumi up) and the credentials are the stack's account"
    )


@contextlib.contextmanager
def aws_errors(where: Target) -> Iterator[None]:
    """botocore's and boto3's errors from the calls inside, as one AwsError."""
    import boto3.exceptions
    import botocore.exceptions as aws

    try:
        yield
    except aws.ClientError as err:
        raise AwsError(_refused(where, err)) from None
    except (aws.InvalidRegionError, aws.UnknownRegionError, aws.NoRegionError):
        raise AwsError(
            f"railsClusterArn names the region {where.region!r}, which AWS does not have: "
            "pipe in the outputs of the deployed stack (pulumi stack output --json "
            "--show-secrets)"
        ) from None
    except aws.EndpointConnectionError as err:
        raise AwsError(
            f"cannot reach AWS at {err.kwargs.get('endpoint_url')}: check the network (or "
            f"AWS_ENDPOINT_URL), and that {where.region} is the stack's region"
        ) from None
    except aws.NoCredentialsError:
        raise AwsError(
            "no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY) for the stack's account"
        ) from None
    except (aws.BotoCoreError, boto3.exceptions.Boto3Error) as err:
        raise AwsError(f"the AWS call failed in {where.region}: {err}") from None


def client(service: str, where: Target) -> Any:
    """A boto3 client in the cluster's region; AwsError for a region AWS does not have
    (checked against botocore's partitions, so no call goes to a made-up endpoint)."""
    import boto3
    import botocore.session

    with aws_errors(where):
        botocore.session.get_session().get_partition_for_region(where.region)
        return boto3.client(service, region_name=where.region)  # type: ignore[call-overload]


ONE_OFF_KEYS = ("dbService", "logGroups", "capacityProvider", "subnets", "securityGroups")
"""What every one-off task needs from railsTasks (the database's address, logs, network)."""
RUN_KEYS = ("webTaskDefinition", "webContainer", *ONE_OFF_KEYS)
IMPORT_KEYS = ("importBucket", "importTaskDefinition", "importContainer", *ONE_OFF_KEYS)


def target(outputs: dict[str, Any]) -> Target:
    """The cluster, region and task settings from the stack outputs."""
    tasks = outputs.get(OUTPUT)
    cluster = outputs.get("railsClusterArn")
    if not isinstance(tasks, dict) or not isinstance(cluster, str):
        missing = OUTPUT if not isinstance(tasks, dict) else "railsClusterArn"
        raise UsageError(
            f"the stack outputs have no {missing}: is the Rails flow on (dockyard:rails true) "
            "and the stack up to date (pulumi up)?"
        )
    parts = cluster.split(":")
    if len(parts) < 6 or parts[2] != "ecs":
        raise UsageError(f"railsClusterArn {cluster!r} is not an ECS cluster ARN")
    return Target(cluster=cluster, region=parts[3], tasks=RailsTasks.from_output(tasks))


def network_configuration(where: Target) -> dict[str, Any]:
    """The web service's network configuration (subnets, security group, public IP)."""
    return {
        "awsvpcConfiguration": {
            "subnets": list(where.tasks.need("subnets")),
            "securityGroups": list(where.tasks.need("securityGroups")),
            "assignPublicIp": "ENABLED" if where.tasks.assign_public_ip else "DISABLED",
        }
    }


def run_task_params(
    where: Target,
    task_definition_key: str,
    container_key: str,
    command: Sequence[str],
    environment: dict[str, str],
) -> dict[str, Any]:
    """RunTask's parameters for a one-off task (one container's command and environment)."""
    return {
        "cluster": where.cluster,
        "taskDefinition": where.tasks.need(task_definition_key),
        "count": 1,
        "capacityProviderStrategy": [
            {"capacityProvider": str(where.tasks.need("capacityProvider")), "weight": 1, "base": 1}
        ],
        "networkConfiguration": network_configuration(where),
        "overrides": {
            "containerOverrides": [
                {
                    "name": where.tasks.need(container_key),
                    "command": list(command),
                    "environment": [
                        {"name": k, "value": v} for k, v in sorted(environment.items())
                    ],
                }
            ]
        },
        "startedBy": "dockyard-rails",
    }


def running_task(ecs: Any, where: Target, service_key: str) -> dict[str, Any]:
    """A running task of a service (DescribeTasks' shape)."""
    service = where.tasks.need(service_key)
    with aws_errors(where):
        arns = ecs.list_tasks(cluster=where.cluster, serviceName=service, desiredStatus="RUNNING")[
            "taskArns"
        ]
        if not arns:
            raise UsageError(f"service {service} has no running task in {where.cluster}")
        tasks = ecs.describe_tasks(cluster=where.cluster, tasks=arns[:1])["tasks"]
    if not tasks:
        raise UsageError(f"service {service}'s task {arns[0]} is gone; try again")
    return dict(tasks[0])


def private_address(task: dict[str, Any]) -> str:
    """The private IPv4 address of an awsvpc task."""
    for attachment in task.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address" and detail.get("value"):
                return str(detail["value"])
    for container in task.get("containers", []):
        for interface in container.get("networkInterfaces", []):
            if interface.get("privateIpv4Address"):
                return str(interface["privateIpv4Address"])
    raise UsageError(f"task {task.get('taskArn')} has no private address yet; try again")


def exec_argv(where: Target, task_arn: str, command: str) -> list[str]:
    """`aws ecs execute-command` for an interactive session in the web container."""
    aws = shutil.which("aws")
    if aws is None:
        raise UsageError("the AWS CLI (aws) is not on PATH; install it to use rails exec")
    if shutil.which("session-manager-plugin") is None:
        raise UsageError(
            "session-manager-plugin is not on PATH: `aws ecs execute-command` needs AWS's "
            "Session Manager plugin (https://docs.aws.amazon.com/systems-manager/latest/"
            "userguide/session-manager-working-with-install-plugin.html)"
        )
    return [
        aws,
        "ecs",
        "execute-command",
        "--region",
        where.region,
        "--cluster",
        where.cluster,
        "--task",
        task_arn,
        "--container",
        str(where.tasks.need("webContainer")),
        "--interactive",
        "--command",
        command,
    ]


def wait_stopped(
    ecs: Any, where: Target, task_arn: str, echo: Echo, *, poll: float = 6.0
) -> dict[str, Any]:
    """Poll until the task stops (printing its status as it changes); the stopped task."""
    deadline = time.monotonic() + WAIT_SECONDS
    last = ""
    while True:
        (task,) = ecs.describe_tasks(cluster=where.cluster, tasks=[task_arn])["tasks"]
        status = str(task.get("lastStatus", ""))
        if status != last:
            echo(f"task {task_arn.rsplit('/', 1)[-1]}: {status}")
            last = status
        if status == "STOPPED":
            return dict(task)
        if time.monotonic() > deadline:
            raise UsageError(f"task {task_arn} did not stop within {WAIT_SECONDS} s")
        time.sleep(poll)


def exit_code(task: dict[str, Any], container: str) -> int:
    """The container's exit code (1 when ECS reports none: it never ran)."""
    for item in task.get("containers", []):
        if item.get("name") == container and item.get("exitCode") is not None:
            return int(item["exitCode"])
    return 1


def log_tail(logs: Any, group: str, stream: str, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last lines of a task's CloudWatch Logs stream (none when it has none)."""
    try:
        events = logs.get_log_events(
            logGroupName=group, logStreamName=stream, limit=lines, startFromHead=False
        )["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [str(e["message"]).rstrip("\n") for e in events]


def run_one_off(
    ecs: Any,
    logs: Any,
    where: Target,
    params: dict[str, Any],
    log_group: str,
    stream_prefix: str,
    echo: Echo,
    *,
    poll: float = 6.0,
) -> int:
    """Start the task, wait for it, print its exit code and log tail; the exit code."""
    with aws_errors(where):
        answer = ecs.run_task(**params)
        if answer.get("failures") or not answer.get("tasks"):
            reasons = "; ".join(str(f.get("reason")) for f in answer.get("failures", []))
            raise UsageError(f"ECS did not start the task: {reasons or 'no task returned'}")
        task_arn = str(answer["tasks"][0]["taskArn"])
        echo(f"started {task_arn}")
        stopped = wait_stopped(ecs, where, task_arn, echo, poll=poll)
        container = params["overrides"]["containerOverrides"][0]["name"]
        code = exit_code(stopped, container)
        stream = f"{stream_prefix}/{container}/{task_arn.rsplit('/', 1)[-1]}"
        for line in log_tail(logs, log_group, stream):
            echo(f"  | {line}")
    echo(
        f"exit code {code}"
        + (f" ({stopped['stoppedReason']})" if code and stopped.get("stoppedReason") else "")
    )
    return code


def check_dump(path: Path) -> None:
    """A readable mysqldump (plain or gzip) or UsageError naming what it is instead."""
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    try:
        with path.open("rb") as raw:
            magic = raw.read(2)
        opener = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as stream:
            head = stream.read(4096)
    except (OSError, EOFError) as err:
        raise UsageError(f"{path} cannot be read as a dump: {err}") from None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:
            raise UsageError(f"{path} is not a SQL dump (not text)") from None
        text = head[: err.start].decode("utf-8")
    first = next((line.strip().lower() for line in text.splitlines() if line.strip()), "")
    if not first.startswith(SQL_STARTS):
        raise UsageError(
            f"{path} is not a SQL dump (it starts {first[:40]!r}); make one with "
            "mysqldump --single-transaction DATABASE > dump.sql"
        )


def import_override(
    url: str, database_address: str, *, replace: bool
) -> tuple[list[str], dict[str, str]]:
    """The loader's command and environment on top of its task definition's container
    (dockyard.rails.ecs.import_container): where the dump and the database are."""
    return (["--replace"] if replace else []), {"DUMP_URL": url, "DB_HOST": database_address}


def run_loader(
    clients: tuple[Any, Any, Any],
    where: Target,
    s3_object: tuple[str, str, str],
    override: Callable[[str], tuple[list[str], dict[str, str]]],
    echo: Echo,
    *,
    poll: float,
) -> int:
    """The loader task (importTaskDefinition) with a URL presigned for `s3_object`
    ((method, bucket, key): get_object for an import, put_object for an export) and the
    command and environment `override(url)` gives; its exit code, its log followed."""
    s3, ecs, logs = clients
    method, bucket, key = s3_object
    url = s3.generate_presigned_url(
        method, Params={"Bucket": bucket, "Key": key}, ExpiresIn=PRESIGN_SECONDS
    )
    params = run_task_params(where, "importTaskDefinition", "importContainer", *override(url))
    return run_one_off(ecs, logs, where, params, where.log_group("db"), "import", echo, poll=poll)


def import_dump(
    s3: Any,
    ecs: Any,
    logs: Any,
    where: Target,
    path: Path,
    *,
    replace: bool,
    echo: Echo,
    poll: float = 6.0,
) -> int:
    """Upload the dump, load it with the loader task, remove it; the loader's exit code."""
    check_dump(path)
    where.require(*IMPORT_KEYS)
    with aws_errors(where):
        bucket = str(where.tasks.need("importBucket"))
        suffix = ".sql.gz" if path.name.endswith(".gz") else ".sql"
        key = f"imports/{uuid.uuid4().hex}{suffix}"
        database_address = private_address(running_task(ecs, where, "dbService"))
        echo(f"uploading {path} ({path.stat().st_size} bytes) to s3://{bucket}/{key}")
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ServerSideEncryption": "AES256"})
        version = s3.head_object(Bucket=bucket, Key=key).get("VersionId")
        try:
            echo(f"loading into appdb at {database_address} (a one-off task)")
            return run_loader(
                (s3, ecs, logs),
                where,
                ("get_object", bucket, key),
                lambda url: import_override(url, database_address, replace=replace),
                echo,
                poll=poll,
            )
        finally:
            # the version itself, not a delete marker over it (the bucket is versioned)
            s3.delete_object(Bucket=bucket, Key=key, **({"VersionId": version} if version else {}))
            echo(f"removed s3://{bucket}/{key}")
