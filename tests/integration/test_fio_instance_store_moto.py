"""Issue 21: `bench ecs --volume instance-store`: the instance type checked by moto's
DescribeInstanceTypes (InstanceStorageInfo), the EC2 task definition's host path by
DescribeTaskDefinition, the RunTask input by botocore's model, and the run end to end on
moto: a task on the cluster's EC2 container host of that type beside a gp3 task, both
pulled and compared, labelled with volume type, disks and instance type."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dockyard.fio.ecs import (
    BENCH_CONTAINER,
    HostPath,
    container_definitions,
    task_definition,
)
from dockyard.fio.instance_store import InstanceStore, check_instance_type, run_task_params
from dockyard.fio.jobs import FioError
from dockyard.fio.outputs import FioTasks
from tests.harness.botocore_model import ecs_input_errors
from tests.harness.fio_ecs import answer_tasks, fio_stack, state_manager
from tests.harness.moto import MotoServer
from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration

STORE_PATH = "/mnt/instance-store"
ROLE = "arn:aws:iam::123456789012:role/ebs"
STORE = InstanceStore("m5d.large", "1 x 75 GB ssd, NVMe required", STORE_PATH)


def _ec2_capacity(moto_server: MotoServer, cluster: str, instance_type: str) -> str:
    """The fio task definition for EC2 (fioVolume host at the instance store's mount) and
    one container host of `instance_type` registered in the cluster; returns the
    definition's ARN."""
    ecs, ec2 = moto_server.client("ecs"), moto_server.client("ec2")
    containers = container_definitions(
        "fio:1", jobfiles=["job.fio"], remotefiles=[], plotname="p", bucket="b",
        region="us-east-1", log_group="/fio", host_port=8000,
    )  # fmt: skip
    definition = task_definition(
        "fio-ec2", containers, target=HostPath(STORE_PATH), launch_type="EC2",
        execution_role_arn="arn:aws:iam::123456789012:role/x",
        task_role_arn="arn:aws:iam::123456789012:role/y", cpu=512, memory=1024,
    )  # fmt: skip
    arn = str(ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"])
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    (instance,) = ec2.run_instances(
        ImageId=image, InstanceType=instance_type, MinCount=1, MaxCount=1
    )["Instances"]
    document = (
        f'{{"instanceId": "{instance["InstanceId"]}", "instanceType": "{instance_type}", '
        '"region": "us-east-1"}'
    )
    ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=document)
    return arn


@pytest.mark.parametrize("capacity_provider", [None, "fio-nvme-hosts"])
def test_run_task_input_is_valid_and_placed_on_the_type(capacity_provider: str | None) -> None:
    """Launch type EC2 or the cluster's capacity provider, placed on the instance type,
    the container told volume type, disks, host path and instance type: botocore's
    model accepts it."""
    params = run_task_params(
        cluster="fio", task_definition="fio-ec2:2", store=STORE, plotname="cmp-nvme",
        capacity_provider=capacity_provider, cpu=1024, memory=2048,
    )  # fmt: skip
    assert ecs_input_errors(params, "RunTask") == ""
    assert params["placementConstraints"] == [
        {"type": "memberOf", "expression": "attribute:ecs.instance-type == m5d.large"}
    ]
    assert ("launchType" in params) is (capacity_provider is None)
    assert "volumeConfigurations" not in params and "networkConfiguration" not in params
    (override,) = params["overrides"]["containerOverrides"]
    env = {e["name"]: e["value"] for e in override["environment"]}
    assert override["name"] == BENCH_CONTAINER
    assert env["FIO_VOLUME_TYPE"] == "instance-store" and env["FIO_INSTANCE_TYPE"] == "m5d.large"
    assert env["FIO_VOLUME_HOST_PATH"] == STORE_PATH and env["FIO_TASK_CPU"] == "1024"


def test_instance_types_are_checked_by_describe_instance_types(moto_server: MotoServer) -> None:
    """m5d.large and i4i.large have instance store (their disks named); t3.micro has none
    and zz.large does not exist: each refused naming the type."""
    ec2 = moto_server.client("ec2")
    assert check_instance_type(ec2, "m5d.large") == "1 x 75 GB ssd, NVMe required"
    assert check_instance_type(ec2, "i4i.large").startswith("1 x 468 GB ssd")
    with pytest.raises(FioError, match=r"t3\.micro has no instance store"):
        check_instance_type(ec2, "t3.micro")
    with pytest.raises(FioError, match=r"zz\.large: EC2 does not know it"):
        check_instance_type(ec2, "zz.large")
    with pytest.raises(FioError, match="is not an instance type"):
        check_instance_type(ec2, "m5d.large; x")


def _bench_ecs(
    moto_server: MotoServer,
    *args: str,
    stdin: Any = subprocess.DEVNULL,
    results: bool = True,
    path: str | None = None,
) -> subprocess.Popen[str]:
    """`dockyard bench ecs ARGS` against moto, stdin `stdin` (never the test runner's),
    PATH `path` when given."""
    env = {**moto_server.env, "PYTHONPATH": str(REPO), "AWS_DEFAULT_REGION": "us-east-1"}
    env |= {"PATH": path} if path is not None else {}
    argv = [sys.executable, "-m", "dockyard", "bench", "ecs", *args,
            *(["--results", "s3://fio-results"] if results else []),
            "--endpoint-url", moto_server.endpoint]  # fmt: skip
    return subprocess.Popen(
        argv, env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _path_without_pulumi() -> str:
    """This PATH without any directory holding a `pulumi`."""
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(d for d in dirs if d and shutil.which("pulumi", path=d) is None)


@pytest.mark.parametrize("given", ["flags", "outputs"])
def test_bench_ecs_instance_store_beside_gp3_on_moto(
    moto_server: MotoServer, tmp_path: Path, given: str
) -> None:
    """`--volume gp3 --volume instance-store`: the gp3 task on Fargate, the instance-store
    task from the EC2 definition on the m5d.large host, waited for, pulled and compared
    with their labels. `flags`: every value a flag, stdin a terminal and no Pulumi CLI on
    PATH (the outputs are not read). `outputs`: no flag but the volumes, everything from
    the fioTasks output piped in (FioTasks(...).to_output(), as the stack exports it),
    the capacity provider and assignPublicIp too."""
    require_tool("fio")
    where = fio_stack(moto_server, f"fio-nvme-{given}")
    ec2_arn = _ec2_capacity(moto_server, where["cluster"], "m5d.large")
    moto_server.client("s3").create_bucket(Bucket="fio-results")
    data = tmp_path / "fio-data"
    run = ["--volume", "gp3", "--volume", "instance-store", "-n", "cmp", "-d", str(data),
           "--poll", "0.2", "--timeout", "120"]  # fmt: skip
    flags = ["--instance-type", "m5d.large", "--ec2-task-definition", ec2_arn,
             "--cluster", where["cluster"], "--task-definition", where["arn"],
             "--role-arn", ROLE, "--subnet", where["subnet"],
             "--security-group", where["group"]]  # fmt: skip
    outputs = FioTasks(
        cluster=where["cluster"], results="s3://fio-results", task_definition=where["arn"],
        volume_role=ROLE, subnets=[where["subnet"]], security_groups=[where["group"]],
        assign_public_ip=True, instance_type="m5d.large",
        instance_store_task_definition=ec2_arn, capacity_provider="fio-nvme-hosts",
    ).to_output()  # fmt: skip
    state_manager(moto_server, "set-transition", {"progression": "manual", "times": 10**9})
    terminal, terminal_end = os.openpty()
    try:
        if given == "flags":
            bench = _bench_ecs(
                moto_server, *run, *flags, stdin=terminal_end, path=_path_without_pulumi()
            )
        else:
            document = tmp_path / "outputs.json"
            document.write_text(json.dumps({"fioTasks": outputs, "fioPlotUrl": "http://x/"}))
            with document.open("rb") as piped:
                bench = _bench_ecs(moto_server, *run, stdin=piped, results=False)
        try:
            plotnames = answer_tasks(moto_server, where["cluster"], tmp_path, 2)
            out, err = bench.communicate(timeout=120)
        finally:
            bench.kill()
    finally:
        os.close(terminal)
        os.close(terminal_end)
        state_manager(moto_server, "unset-transition", None)
    assert bench.returncode == 0, err
    assert sorted(plotnames) == ["cmp-gp3", "cmp-instance-store-m5d.large"]
    ecs: Any = moto_server.client("ecs")
    arns = ecs.list_tasks(cluster=where["cluster"], desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster=where["cluster"], tasks=arns, include=["TAGS"])["tasks"]
    by_tag = {t["tags"][0]["value"]: t for t in tasks}
    assert by_tag["instance-store-m5d.large"]["taskDefinitionArn"] == ec2_arn
    assert by_tag["instance-store-m5d.large"]["containerInstanceArn"]
    assert by_tag["gp3"]["taskDefinitionArn"] == where["arn"]
    assert "(instance-store (1 x 75 GB ssd, NVMe required), EC2, m5d.large," in out
    (attachment,) = by_tag["gp3"]["attachments"]
    assert {"name": "subnetId", "value": where["subnet"]} in attachment["details"]
    # the capacity provider from fioTasks; without it (flags), launch type EC2
    expected = "fio-nvme-hosts" if given == "outputs" else None
    assert by_tag["instance-store-m5d.large"].get("capacityProviderName") == expected


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--instance-type", "t3.micro"], "t3.micro has no instance store"),
        (["--instance-type", "m5d.large", "--fargate"], "does not mount a host directory"),
        ([], "needs --instance-type"),
    ],
)
def test_bench_ecs_refuses_instance_store_without_it(
    moto_server: MotoServer, extra: list[str], words: str
) -> None:
    """A type without instance store, a Fargate definition (no host path) or no
    --instance-type: exit 2 naming it, and no task started."""
    where = fio_stack(moto_server, "fio-nvme-bad")
    ec2_arn = _ec2_capacity(moto_server, where["cluster"], "m5d.large")
    definition = where["arn"] if "--fargate" in extra else ec2_arn
    options = [word for word in extra if word != "--fargate"]
    bench = _bench_ecs(
        moto_server, "--volume", "instance-store", "--cluster", where["cluster"],
        "--ec2-task-definition", definition, *options,
    )  # fmt: skip
    _, err = bench.communicate(timeout=60)
    assert bench.returncode == 2 and words in err, err
    ecs: Any = moto_server.client("ecs")
    assert ecs.list_tasks(cluster=where["cluster"])["taskArns"] == []
