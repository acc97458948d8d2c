"""`bench ecs`'s RunTask input against moto server: one task per volume starts on the
cluster from the fio task definition, tagged with its volume, with the overrides given."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dockyard.fio.ecs import (
    BENCH_CONTAINER,
    parse_volume_spec,
    run_task_params,
)
from tests.harness.fio_ecs import answer_tasks, fio_stack, state_manager
from tests.harness.moto import MotoServer
from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration


def test_one_task_per_volume_runs_on_moto(moto_server: MotoServer) -> None:
    """Three volumes, three tasks from the same definition, each with its own overrides."""
    ecs = moto_server.client("ecs")
    where = fio_stack(moto_server, "fio-rt")
    cluster, arn, subnet, group = where["cluster"], where["arn"], where["subnet"], where["group"]
    started = []
    for spec in ("gp3", "gp3:6000:250", "io2:16000"):
        params = run_task_params(
            cluster=cluster,
            task_definition=arn,
            volume=parse_volume_spec(spec),
            role_arn="arn:aws:iam::123456789012:role/ebs",
            subnets=[subnet],
            security_groups=[group],
            plotname=f"cmp-{spec.replace(':', '-')}",
            cpu=1024,
            memory=2048,
        )
        answer = ecs.run_task(**params)
        assert not answer["failures"], answer["failures"]
        started.append(answer["tasks"][0]["taskArn"])
    tasks = ecs.describe_tasks(cluster=cluster, tasks=started, include=["TAGS"])["tasks"]
    assert len(tasks) == 3 and {t["taskDefinitionArn"] for t in tasks} == {arn}
    overrides = [t["overrides"]["containerOverrides"][0] for t in tasks]
    assert {o["name"] for o in overrides} == {BENCH_CONTAINER}
    plotnames = sorted(
        e["value"] for o in overrides for e in o["environment"] if e["name"] == "PLOTNAME"
    )
    assert plotnames == ["cmp-gp3", "cmp-gp3-6000-250", "cmp-io2-16000"]


def test_bench_ecs_runs_waits_pulls_and_compares(moto_server: MotoServer, tmp_path: Path) -> None:
    """`dockyard bench ecs --volume gp3 --volume io2:16000`: two tasks started on moto,
    waited for, their runs pulled from the bucket and compared, each labelled with its
    volume and the task's CPU and memory."""
    require_tool("fio")
    # moto moves a task on to STOPPED by itself after a few DescribeTasks; here a task
    # stops only when StopTask says so, as a real one ends when its fio run has.
    state_manager(moto_server, "set-transition", {"progression": "manual", "times": 10**9})
    try:
        _bench_ecs_end_to_end(moto_server, tmp_path)
    finally:
        state_manager(moto_server, "unset-transition", None)


def _bench_ecs_end_to_end(moto_server: MotoServer, tmp_path: Path) -> None:
    where = fio_stack(moto_server, "fio-e2e")
    moto_server.client("s3").create_bucket(Bucket="fio-results")
    data = tmp_path / "fio-data"
    argv = [
        sys.executable,
        "-m",
        "dockyard",
        "bench",
        "ecs",
        "--volume",
        "gp3",
        "--volume",
        "io2:16000",
        "--cluster",
        where["cluster"],
        "--task-definition",
        where["arn"],
        "--role-arn",
        "arn:aws:iam::123456789012:role/ebs",
        "--subnet",
        where["subnet"],
        "--security-group",
        where["group"],
        "--results",
        "s3://fio-results",
        "--cpu",
        "1024",
        "--memory",
        "2048",
        "-n",
        "cmp",
        "-d",
        str(data),
        "--poll",
        "0.5",
        "--timeout",
        "120",
        "--endpoint-url",
        moto_server.endpoint,
    ]
    env = {**moto_server.env, "PYTHONPATH": str(REPO), "AWS_DEFAULT_REGION": "us-east-1"}
    bench = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        plotnames = answer_tasks(moto_server, where["cluster"], tmp_path, 2)
        out, err = bench.communicate(timeout=120)
    finally:
        bench.kill()
    assert bench.returncode == 0, err
    assert sorted(plotnames) == ["cmp-gp3", "cmp-io2-16000"]
    assert out.count("started cmp-") == 2
    assert "(gp3 20 GiB, Fargate, task cpu 1024, memory 2048 MiB," in out
    assert "(io2 20 GiB 16000 IOPS, Fargate, task cpu 1024, memory 2048 MiB," in out
    assert sorted(p.name.split("-", 1)[1] for p in (data / "runs").iterdir()) == sorted(plotnames)


def test_bench_ecs_refuses_bad_input_before_any_call(moto_server: MotoServer) -> None:
    """A bad --volume or subnet exits 2 naming it, and no task is started."""
    where = fio_stack(moto_server, "fio-bad")
    base = [
        "--cluster",
        where["cluster"],
        "--task-definition",
        where["arn"],
        "--role-arn",
        "arn:aws:iam::123456789012:role/ebs",
        "--security-group",
        where["group"],
        "--results",
        "s3://fio-results",
        "--endpoint-url",
        moto_server.endpoint,
    ]
    env = {**moto_server.env, "PYTHONPATH": str(REPO), "AWS_DEFAULT_REGION": "us-east-1"}
    cases: list[tuple[list[str], str]] = [
        (["--volume", "gp3", "--volume", "io2", "--subnet", where["subnet"]], "io2 needs iops"),
        (["--volume", "gp3", "--subnet", "subnet-x"], "subnet 'subnet-x'"),
    ]
    for extra, words in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "dockyard", "bench", "ecs", *base, *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    ecs: Any = moto_server.client("ecs")
    assert ecs.list_tasks(cluster=where["cluster"])["taskArns"] == []
