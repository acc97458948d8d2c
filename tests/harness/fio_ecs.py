"""moto as the fio flow's ECS: the stack's cluster and task definition, and the tasks'
part in `bench ecs` (each run made for real with fio and copied to the bucket)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from dockyard.fio.ecs import EbsVolume, HostPath, container_definitions, task_definition
from dockyard.fio.upload import upload_run
from tests.harness.fio import TINY_JOB
from tests.harness.moto import MotoServer
from tests.harness.tools import REPO


def fio_definition(
    family: str, target: EbsVolume | HostPath, launch_type: Any, host_port: int | None = None
) -> dict[str, Any]:
    """The fio task definition as the stack registers it (RegisterTaskDefinition's
    parameters), with placeholder roles, bucket and log group."""
    containers = container_definitions(
        "fio:1",
        jobfiles=["job.fio"],
        remotefiles=[],
        plotname="p",
        bucket="b",
        region="us-east-1",
        log_group="/fio",
        host_port=host_port,
    )
    return task_definition(
        family,
        containers,
        target=target,
        launch_type=launch_type,
        execution_role_arn="arn:aws:iam::123456789012:role/x",
        task_role_arn="arn:aws:iam::123456789012:role/y",
        cpu=512,
        memory=1024,
    )


def fio_stack(moto_server: MotoServer, name: str) -> dict[str, str]:
    """What the stack would have made: a cluster, the fio task definition, a subnet and a
    security group (in a VPC with DNS hostnames, which moto's awsvpc tasks need)."""
    ecs = moto_server.client("ecs")
    ec2 = moto_server.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    # moto's awsvpc tasks need DNS hostnames on (it names each task's ENI)
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=name, Description="x", VpcId=vpc)["GroupId"]
    cluster = ecs.create_cluster(clusterName=name)["cluster"]["clusterArn"]
    definition = fio_definition("fio-rt", EbsVolume(), "FARGATE")
    arn = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
    return {"cluster": cluster, "arn": arn, "subnet": subnet, "group": group}


def answer_tasks(moto_server: MotoServer, cluster: str, work: Path, count: int) -> list[str]:
    """Play the tasks' part: once `count` are running, make each one's run for real with
    fio (its PLOTNAME and volume from the task's overrides), copy it to the bucket as the
    aio container does, and stop the task."""
    ecs, s3 = moto_server.client("ecs"), moto_server.client("s3")
    deadline = time.monotonic() + 60
    while len(arns := ecs.list_tasks(cluster=cluster)["taskArns"]) < count:
        assert time.monotonic() < deadline, "bench ecs started no tasks"
        time.sleep(0.2)
    plotnames = []
    for task in ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]:
        env = {
            e["name"]: e["value"] for e in task["overrides"]["containerOverrides"][0]["environment"]
        }
        data = work / env["PLOTNAME"]
        data.mkdir()
        (data / "tiny.fio").write_text(TINY_JOB, encoding="utf-8")
        proc = subprocess.run(
            [sys.executable, "-m", "dockyard.fio", "tool"],
            env={
                **os.environ,
                **env,
                "PYTHONPATH": str(REPO),
                "DATA_DIR": str(data),
                "JOBFILES": "tiny.fio",
                "FIO_LOG_MSEC": "250",
            },
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        (run_dir,) = (data / "runs").iterdir()
        upload_run(run_dir, "fio-results", "", client=s3)
        ecs.stop_task(cluster=cluster, task=task["taskArn"], reason="done")
        plotnames.append(env["PLOTNAME"])
    return plotnames


def state_manager(moto_server: MotoServer, action: str, transition: object) -> None:
    body = {"model_name": "ecs::task", **({"transition": transition} if transition else {})}
    request = urllib.request.Request(  # noqa: S310 - moto's http://127.0.0.1 endpoint
        f"{moto_server.endpoint}/moto-api/state-manager/{action}",
        data=json.dumps(body).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass
