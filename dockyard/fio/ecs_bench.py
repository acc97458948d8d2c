"""`dockyard bench ecs`: one one-off task per volume on the stack's cluster, waited for.

Every RunTask input is built (and every value checked) before the first call; then the
tasks are started, polled until all have stopped (bounded), and a task whose bench
container did not exit 0 is reported by its volume. The runs they copied to the results
bucket are then pulled like `bench pull` does and compared.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.fio import instance_store
from dockyard.fio.ecs import BENCH_CONTAINER, EbsVolume, run_task_params, volume_slug
from dockyard.fio.instance_store import InstanceStore
from dockyard.fio.jobs import FioError
from dockyard.fio.run import RUNS, check_plotname


@dataclass(frozen=True)
class Launch:
    """One volume's task: what it measures, its run name, its RunTask input."""

    volume: EbsVolume | InstanceStore
    plotname: str
    params: dict[str, Any]


def plan(
    volumes: Sequence[EbsVolume | InstanceStore],
    name: str,
    ebs: Mapping[str, Any],
    ec2: Mapping[str, Any] | None = None,
) -> list[Launch]:
    """The RunTask inputs, one per volume, plotname `<name>-<volume>` (checked first):
    EBS volumes with `ebs`'s where (Fargate), instance store with `ec2`'s (EC2 capacity)."""
    launches = []
    for volume in volumes:
        if isinstance(volume, InstanceStore):
            plotname = check_plotname(f"{name}-{instance_store.slug(volume)}")
            params = instance_store.run_task_params(store=volume, plotname=plotname, **(ec2 or {}))
        else:
            plotname = check_plotname(f"{name}-{volume_slug(volume)}")
            params = run_task_params(volume=volume, plotname=plotname, **ebs)
        launches.append(Launch(volume, plotname, params))
    if len({launch.plotname for launch in launches}) != len(launches):
        raise FioError("the same --volume is given twice; give each volume once")
    return launches


def start(ecs: Any, launches: Sequence[Launch]) -> list[str]:
    """Start every task; FioError naming the volume whose task ECS refused."""
    arns = []
    for launch in launches:
        answer = ecs.run_task(**launch.params)
        if answer.get("failures") or not answer.get("tasks"):
            reasons = "; ".join(str(f.get("reason")) for f in answer.get("failures", []))
            raise FioError(f"ECS did not start the {launch.plotname} task: {reasons or '?'}")
        arns.append(str(answer["tasks"][0]["taskArn"]))
    return arns


def wait_stopped(
    ecs: Any,
    cluster: str,
    arns: Sequence[str],
    *,
    timeout: float,
    poll: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """Poll DescribeTasks until every task is STOPPED; FioError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        tasks = ecs.describe_tasks(cluster=cluster, tasks=list(arns))["tasks"]
        if len(tasks) == len(arns) and all(t.get("lastStatus") == "STOPPED" for t in tasks):
            return list(tasks)
        if time.monotonic() >= deadline:
            waiting = [t["taskArn"] for t in tasks if t.get("lastStatus") != "STOPPED"]
            raise FioError(
                f"{len(waiting)} task(s) still running after {timeout:.0f} s "
                f"({', '.join(waiting)}); their results "
                "reach the bucket when they end: `dockyard bench pull` then"
            )
        sleep(poll)


def failed(tasks: Sequence[dict[str, Any]]) -> list[str]:
    """Tasks whose bench container did not exit 0, with ECS's reason."""
    problems = []
    for task in tasks:
        bench = [c for c in task.get("containers", []) if c.get("name") == BENCH_CONTAINER]
        code = bench[0].get("exitCode") if bench else None
        if code not in (0, None):
            problems.append(f"{task['taskArn']} exited {code} ({task.get('stoppedReason', '?')})")
    return problems


def newest_runs(data_dir: Path, plotnames: Sequence[str]) -> list[str]:
    """The newest run directory of each plotname (`<UTC time>-<plotname>`), in order."""
    runs = data_dir / RUNS
    names = sorted(p.name for p in runs.iterdir()) if runs.is_dir() else []
    chosen = []
    for plotname in plotnames:
        pattern = re.compile(rf"^\d{{8}}T\d{{6}}Z-{re.escape(plotname)}(\.\d+)?$")
        matching = [n for n in names if pattern.match(n)]
        if not matching:
            raise FioError(f"no run named {plotname} came back in the bucket")
        chosen.append(matching[-1])
    return chosen
