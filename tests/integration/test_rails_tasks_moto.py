"""`dockyard rails run/import-db/export-db/exec` against moto server: the calls it makes (RunTask,
DescribeTasks, ListTasks, CloudWatch Logs, S3) are real HTTP requests to an ECS/S3/Logs
emulator, and every RunTask's parameters are checked against botocore's model."""

from __future__ import annotations

import gzip
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dockyard.errors import UsageError
from dockyard.rails import ecs as rails_ecs
from dockyard.rails import export as rails_export
from dockyard.rails import tasks as rt
from tests.harness.botocore_model import ecs_input_errors
from tests.harness.moto import MotoServer

pytestmark = pytest.mark.integration

LOGS = {"web": "/dockyard/demo/web", "db": "/dockyard/demo/appdb"}


def stack(moto: MotoServer) -> tuple[rt.Target, dict[str, Any]]:
    """A cluster with a running appdb service and a web task definition, as the stack
    makes them, and the outputs document naming them."""
    ec2, ecs, s3 = moto.client("ec2"), moto.client("ecs"), moto.client("s3")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    # as in a default VPC (moto names a task's interface only with DNS hostnames on)
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    cluster = ecs.create_cluster(clusterName="demo")["cluster"]["clusterArn"]
    logs = rails_ecs.Logs(group=LOGS["web"], region="us-east-1", stream_prefix="web")
    limits = rails_ecs.Limits(cpu=rails_ecs.SEED_CPU, memory=rails_ecs.SEED_MEMORY_MIB)
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pw"
    web = ecs.register_task_definition(
        **rails_ecs.task_definition(
            family="demo-web",
            containers=[
                rails_ecs.web_container(
                    image="web:1",
                    app_password_secret_arn=secret,
                    secret_key_base_arn=secret,
                    logs=logs,
                    limits=limits,
                    db_wait_timeout=120,
                )
            ],
            limits=limits,
            execution_role_arn="arn:aws:iam::123456789012:role/exec",
            fargate=True,
        )
    )["taskDefinition"]["taskDefinitionArn"]
    loader = ecs.register_task_definition(
        **rails_ecs.task_definition(
            family="demo-db-import",
            containers=[
                rails_ecs.import_container(
                    image="db:1", password_secret_arn=secret, logs=logs, limits=limits
                )
            ],
            limits=limits,
            execution_role_arn="arn:aws:iam::123456789012:role/exec",
            fargate=True,
        )
    )["taskDefinition"]["taskDefinitionArn"]
    network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}}
    ecs.create_service(
        cluster="demo",
        serviceName="appdb",
        taskDefinition=web,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=network,
    )
    # moto's services start no tasks: start the database's as ECS would (moto's ListTasks
    # ignores serviceName, so this is the task the service filter answers)
    ecs.run_task(
        cluster="demo",
        taskDefinition=web,
        launchType="FARGATE",
        networkConfiguration=network,
        startedBy="ecs-svc/appdb",
    )
    s3.create_bucket(Bucket="demo-imports")
    s3.put_bucket_versioning(Bucket="demo-imports", VersioningConfiguration={"Status": "Enabled"})
    moto.client("logs").create_log_group(logGroupName=LOGS["web"])
    moto.client("logs").create_log_group(logGroupName=LOGS["db"])
    outputs = {
        "railsClusterArn": cluster,
        "railsTasks": {
            "webService": "web",
            "dbService": "appdb",
            "webTaskDefinition": web,
            "webContainer": "app",
            "importTaskDefinition": loader,
            "importContainer": "import",
            "importBucket": "demo-imports",
            "logGroups": LOGS,
            "subnets": [subnet],
            "securityGroups": [group],
            "assignPublicIp": False,
            "capacityProvider": "FARGATE",
        },
    }
    return rt.target(outputs), outputs


class Recording:
    """boto3 clients whose calls are recorded (operation, params) on the way to moto."""

    def __init__(self, moto: MotoServer) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.clients = {name: moto.client(name) for name in ("ecs", "logs", "s3")}
        for client in self.clients.values():
            client.meta.events.register("provide-client-params.*.*", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, dict(params)))


def finish_tasks(
    moto: MotoServer,
    cluster: str,
    group: str,
    lines: list[str],
    act: Callable[[dict[str, Any]], None] | None = None,
) -> threading.Thread:
    """Play ECS's part for one-off tasks: each new task does `act` (with the task as
    DescribeTasks shows it), writes its log lines and stops."""

    def worker() -> None:
        ecs, logs = moto.client("ecs"), moto.client("logs")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            arns = ecs.list_tasks(cluster=cluster, startedBy="dockyard-rails")["taskArns"]
            if arns:
                task = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"][0]
                if act is not None:
                    act(task)
                name = task["overrides"]["containerOverrides"][0]["name"]
                prefix = "import" if name == "import" else "web"
                stream = f"{prefix}/{name}/{arns[0].rsplit('/', 1)[-1]}"
                logs.create_log_stream(logGroupName=group, logStreamName=stream)
                logs.put_log_events(
                    logGroupName=group,
                    logStreamName=stream,
                    logEvents=[{"timestamp": int(time.time() * 1000), "message": m} for m in lines],
                )
                ecs.stop_task(cluster=cluster, task=arns[0], reason="done")
                return
            time.sleep(0.05)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    return thread


def test_run_starts_waits_and_prints_the_log_tail(moto_server: MotoServer) -> None:
    """`rails run -- bin/rails db:migrate`: RunTask from the web task definition with the
    service's network, the db task's address, botocore-valid; waits for STOPPED; prints the
    log tail."""
    where, _ = stack(moto_server)
    clients = Recording(moto_server)
    worker = finish_tasks(moto_server, where.cluster, LOGS["web"], ["== migrating", "done"])
    database = rt.private_address(rt.running_task(clients.clients["ecs"], where, "dbService"))
    params = rt.run_task_params(
        where, "webTaskDefinition", "webContainer", ["bin/rails", "db:migrate"],
        {"APPDB_PORT_3306_TCP_ADDR": database},
    )  # fmt: skip
    printed: list[str] = []
    code = rt.run_one_off(
        clients.clients["ecs"], clients.clients["logs"], where, params, LOGS["web"], "web",
        printed.append, poll=0.1,
    )  # fmt: skip
    worker.join()
    (run_task,) = [p for op, p in clients.calls if op == "RunTask"]
    assert ecs_input_errors(run_task, "RunTask") == ""
    override = run_task["overrides"]["containerOverrides"][0]
    assert override["command"] == ["bin/rails", "db:migrate"]
    assert override["environment"] == [{"name": "APPDB_PORT_3306_TCP_ADDR", "value": database}]
    assert database.count(".") == 3
    assert run_task["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == where.tasks.subnets
    assert "  | == migrating" in printed and "  | done" in printed
    stopped = clients.clients["ecs"].describe_tasks(
        cluster=where.cluster, tasks=[run_task_arn(clients)]
    )["tasks"][0]
    assert code == rt.exit_code(stopped, "app")
    assert printed[-1] == f"exit code {code}"


def run_task_arn(clients: Recording) -> str:
    (arn,) = [
        p["tasks"][0] for op, p in clients.calls if op == "DescribeTasks" and len(p["tasks"]) == 1
    ][-1:]
    return str(arn)


def test_import_uploads_loads_and_removes(moto_server: MotoServer, tmp_path: Path) -> None:
    """`rails import-db dump.sql.gz --replace`: uploaded privately, the loader gets a
    presigned URL and the db address, --replace reaches it, the object is gone after."""
    where, _ = stack(moto_server)
    clients = Recording(moto_server)
    dump = tmp_path / "dump.sql.gz"
    dump.write_bytes(gzip.compress(b"-- MariaDB dump 10.19\nCREATE TABLE notes (id int);\n"))
    worker = finish_tasks(moto_server, where.cluster, LOGS["db"], ["loaded 1 table"])
    printed: list[str] = []
    rt.import_dump(
        clients.clients["s3"], clients.clients["ecs"], clients.clients["logs"], where, dump,
        replace=True, echo=printed.append, poll=0.1,
    )  # fmt: skip
    worker.join()
    (run_task,) = [p for op, p in clients.calls if op == "RunTask"]
    assert ecs_input_errors(run_task, "RunTask") == ""
    override = run_task["overrides"]["containerOverrides"][0]
    assert (override["name"], override["command"]) == ("import", ["--replace"])
    env = {e["name"]: e["value"] for e in override["environment"]}
    assert "X-Amz-Signature=" in env["DUMP_URL"] or "Signature=" in env["DUMP_URL"]
    assert env["DB_HOST"].count(".") == 3
    (put,) = [p for op, p in clients.calls if op in ("PutObject", "CreateMultipartUpload")]
    assert put["ServerSideEncryption"] == "AES256"
    versions = moto_server.client("s3").list_object_versions(Bucket="demo-imports")
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")
    assert "  | loaded 1 table" in printed and printed[-1].startswith("removed s3://")


@pytest.mark.parametrize(
    ("outputs", "words"),
    [
        ({}, "no railsTasks"),
        (
            {"railsTasks": {}, "railsClusterArn": "arn:aws:ecs:us-east-1:1:cluster/x"},
            "no webTaskDefinition",
        ),
    ],
    ids=["no-outputs", "no-task-definition"],
)
def test_bad_outputs(outputs: dict[str, Any], words: str) -> None:
    """A stack without the outputs, or outputs without a task definition: one clear line."""
    with pytest.raises(UsageError, match=words):
        where = rt.target(outputs)
        rt.run_task_params(where, "webTaskDefinition", "webContainer", ["true"], {})


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00", b"hello, this is a letter\n", gzip.compress(b"PK\x03\x04zip")],
    ids=["binary", "text", "gzip-of-not-sql"],
)
def test_not_a_dump_is_refused(tmp_path: Path, content: bytes) -> None:
    """A file that is not a SQL dump (plain or gzip) is refused before anything is uploaded."""
    dump = tmp_path / "dump.sql"
    dump.write_bytes(content)
    with pytest.raises(UsageError, match="is not a SQL dump"):
        rt.check_dump(dump)


def test_exec_needs_the_session_manager_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the AWS CLI but no session-manager-plugin on PATH, exec says what is missing."""
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    aws = fake_bin / "aws"
    aws.write_text("#!/bin/sh\nexit 0\n")
    aws.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_bin))
    where = rt.target(
        {
            "railsClusterArn": "arn:aws:ecs:us-east-1:1:cluster/x",
            "railsTasks": {"webContainer": "app"},
        }
    )
    with pytest.raises(UsageError, match="session-manager-plugin is not on PATH"):
        rt.exec_argv(where, "arn:aws:ecs:us-east-1:1:task/x/abc", "bin/rails console")


DUMP = b"-- MariaDB dump 10.19\nCREATE TABLE `notes` (`id` int);\nINSERT INTO `notes` VALUES (1);\n"


def put_dump(body: bytes, tmp_path: Path) -> Callable[[dict[str, Any]], None]:
    """The export task's part: PUT the dump to the presigned URL its override carries,
    with curl as containers/mysql/db-export does (no Content-Type, the length up front)."""

    def act(task: dict[str, Any]) -> None:
        env = task["overrides"]["containerOverrides"][0]["environment"]
        url = {e["name"]: e["value"] for e in env}["DUMP_PUT_URL"]
        dump = tmp_path / "task-dump.sql.gz"
        dump.write_bytes(body)
        subprocess.run(
            ["curl", "--fail", "--silent", "--show-error", "--proto", "=https,http",
             "--upload-file", str(dump), url],
            check=True, timeout=30,
        )  # fmt: skip
        dump.unlink()

    return act


@pytest.mark.parametrize("name", ["out.sql.gz", "out.sql"])
def test_export_to_a_local_file(moto_server: MotoServer, tmp_path: Path, name: str) -> None:
    """`rails export-db out.sql[.gz]`: the loader task runs with --export, a presigned PUT
    URL for a fresh exports/ key of the import bucket and the db address (botocore-valid
    RunTask); what it PUT lands in the file (gunzipped for .sql), 0600, and no version of
    the object is left in the bucket."""
    where, _ = stack(moto_server)
    clients = Recording(moto_server)
    worker = finish_tasks(moto_server, where.cluster, LOGS["db"], ["uploading the dump"],
                          put_dump(gzip.compress(DUMP), tmp_path))  # fmt: skip
    printed: list[str] = []
    dest = rails_export.destination(str(tmp_path / name))
    code = rails_export.export_dump(
        clients.clients["s3"], clients.clients["ecs"], clients.clients["logs"], where, dest,
        echo=printed.append, poll=0.1,
    )  # fmt: skip
    worker.join()
    assert code == 0, printed
    (run_task,) = [p for op, p in clients.calls if op == "RunTask"]
    assert ecs_input_errors(run_task, "RunTask") == ""
    override = run_task["overrides"]["containerOverrides"][0]
    assert (override["name"], override["command"]) == ("import", ["--export"])
    env = {e["name"]: e["value"] for e in override["environment"]}
    assert "/demo-imports/exports/" in env["DUMP_PUT_URL"] or "exports/" in env["DUMP_PUT_URL"]
    assert "Signature=" in env["DUMP_PUT_URL"] and env["DB_HOST"].count(".") == 3
    written = tmp_path / name
    content = written.read_bytes()
    assert (gzip.decompress(content) if name.endswith(".gz") else content) == DUMP
    assert written.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [name], "no temp file left"
    versions = moto_server.client("s3").list_object_versions(Bucket="demo-imports")
    assert not versions.get("Versions") and not versions.get("DeleteMarkers")
    assert "  | uploading the dump" in printed and printed[-1].startswith("removed s3://")


def test_export_to_s3_is_left_there(moto_server: MotoServer, tmp_path: Path) -> None:
    """`rails export-db s3://bucket/backups/x.sql.gz`: the task PUTs to that object, which
    stays; the import bucket is not used."""
    where, _ = stack(moto_server)
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="my-backups")
    clients = Recording(moto_server)
    worker = finish_tasks(moto_server, where.cluster, LOGS["db"], ["done"],
                          put_dump(gzip.compress(DUMP), tmp_path))  # fmt: skip
    printed: list[str] = []
    code = rails_export.export_dump(
        clients.clients["s3"], clients.clients["ecs"], clients.clients["logs"], where,
        rails_export.destination("s3://my-backups/backups/x.sql.gz"),
        echo=printed.append, poll=0.1,
    )  # fmt: skip
    worker.join()
    assert code == 0
    body = s3.get_object(Bucket="my-backups", Key="backups/x.sql.gz")["Body"].read()
    assert gzip.decompress(body) == DUMP
    assert not s3.list_object_versions(Bucket="demo-imports").get("Versions")
    assert printed[-1] == "wrote s3://my-backups/backups/x.sql.gz"


def test_export_that_uploads_no_dump_writes_nothing(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """A task that PUT something that is not a dump: the local file is not written (one
    line naming it), and the object is removed all the same."""
    where, _ = stack(moto_server)
    clients = Recording(moto_server)
    worker = finish_tasks(moto_server, where.cluster, LOGS["db"], ["?"],
                          put_dump(gzip.compress(b"<html>denied</html>"), tmp_path))  # fmt: skip
    printed: list[str] = []
    with pytest.raises(UsageError, match="is not a SQL dump"):
        rails_export.export_dump(
            clients.clients["s3"], clients.clients["ecs"], clients.clients["logs"], where,
            rails_export.destination(str(tmp_path / "x.sql.gz")), echo=printed.append, poll=0.1,
        )  # fmt: skip
    worker.join()
    assert list(tmp_path.iterdir()) == []
    assert not moto_server.client("s3").list_object_versions(Bucket="demo-imports").get("Versions")


def test_export_task_that_uploads_nothing(moto_server: MotoServer, tmp_path: Path) -> None:
    """A task that exits 0 without a PUT (an image without db-export): one line saying so,
    no file written."""
    where, _ = stack(moto_server)
    clients = Recording(moto_server)
    worker = finish_tasks(moto_server, where.cluster, LOGS["db"], ["?"])
    with pytest.raises(UsageError, match="exited 0 but left no dump at s3://demo-imports/exports/"):
        rails_export.export_dump(
            clients.clients["s3"], clients.clients["ecs"], clients.clients["logs"], where,
            rails_export.destination(str(tmp_path / "x.sql")), echo=lambda _: None, poll=0.1,
        )  # fmt: skip
    worker.join()
    assert list(tmp_path.iterdir()) == []
