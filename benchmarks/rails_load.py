"""The Rails app under load at the task definition's limits, beside the same run at 1 vCPU.

Runs the web and database containers with podman at exactly what the ECS task
definitions give them: the containers' cpu units as CPU shares, their memory as the hard
limit, and the CPU quota Fargate gives the task holding them (the smallest Fargate size
for those units, `fargate_task_size`) as `--cpus`. The limits, the environment and the
database's account come from dockyard.rails.ecs's container definitions built with the
config defaults in Pulumi.yaml (railsCpu, railsMemory, railsDbCpu, railsDbMemory,
railsDbWaitTimeout), the same functions the Pulumi program registers.

Then `hey` (Debian's package) with 50 concurrent keep-alive clients for 60 s on a read
endpoint (GET /notes: the last 100 notes) and a write endpoint (POST /notes), and prints,
for each size side by side: requests/s, p50, p99, non-2xx answers, failed requests (no
answer), OOM kills and the containers' peak memory. Target at the default task size:
no OOM kill, no 5xx, no failed request, p99 at most 2 s.

    .venv/bin/python benchmarks/rails_load.py [--duration 60] [--clients 50]
        [--web-cpu UNITS ...]

A run at the default size with puma's own keep-alive defaults (max_fast_inline 10,
persistent_timeout 20: the image before issue 24) shows the tail the image's settings
remove. `--web-cpu` adds runs with other railsCpu values (as a stack would set them: shares and
Fargate's quota follow). Needs root, podman and hey (apt-get install hey).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from components.config.reader import declarations  # noqa: E402
from dockyard.rails import ecs  # noqa: E402
from tests.harness.podman import Podman, session_podman  # noqa: E402
from tests.harness.rails import build_images, ip_of, wait_for_200  # noqa: E402

RAILS_IMAGE = "localhost/i24-rails:bench"
MYSQL_IMAGE = "localhost/i24-mysql:bench"
ROOT_PASSWORD = "bench-root-pw"  # noqa: S105 - a throwaway database's
APP_PASSWORD = "bench-app-pw"  # noqa: S105
SECRET_KEY_BASE = "ab" * 64
TARGET_P99 = 2.0
SEED_NOTES = 100


@dataclass(frozen=True)
class Size:
    """One run's limits: each task's container limits and the CPU quota (vCPUs)."""

    label: str
    web: ecs.Limits
    db: ecs.Limits
    web_cpus: float
    db_cpus: float
    web_env: tuple[str, ...] = ()
    """Extra web environment (KEY=VALUE), e.g. puma's own keep-alive defaults."""


@dataclass
class Result:
    rps: float
    p50: float
    p99: float
    non_2xx: int
    fivexx: int
    failed: int
    total: int


def default(key: str) -> int:
    return int(declarations()[key].default)


def fargate_cpus(limits: ecs.Limits) -> float:
    """The vCPUs of the Fargate task holding one container of these limits."""
    return ecs.fargate_task_size(limits.cpu, limits.memory)[0] / 1024


def task_size(label: str, web_cpu: int) -> Size:
    web = ecs.Limits(cpu=web_cpu, memory=default("railsMemory"))
    db = ecs.Limits(cpu=default("railsDbCpu"), memory=default("railsDbMemory"))
    return Size(label, web, db, fargate_cpus(web), fargate_cpus(db))


def limit_args(limits: ecs.Limits, cpus: float) -> list[str]:
    """podman's flags for what ECS gives the container (memory hard limit = memory-swap)."""
    return [
        f"--cpus={cpus:g}",
        f"--cpu-shares={max(limits.cpu, 2)}",
        f"--memory={limits.memory}m",
        f"--memory-swap={limits.memory}m",
    ]


def env_args(definition: dict[str, Any], secrets: dict[str, str]) -> list[str]:
    """The definition's environment, and its secrets' values, as podman -e flags."""
    args = [f"{item['name']}={item['value']}" for item in definition["environment"]]
    args += [f"{item['name']}={secrets[item['name']]}" for item in definition["secrets"]]
    return [flag for value in args for flag in ("-e", value)]


def start(podman: Podman, net: str, size: Size, run: int) -> tuple[str, str]:
    logs = ecs.Logs(group="bench", region="us-east-1", stream_prefix="bench")
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:{}".format
    db_def = ecs.db_container(
        image=MYSQL_IMAGE, password_secret_arn=arn("root"), app_password_secret_arn=arn("app"),
        logs=logs, limits=size.db,
    )  # fmt: skip
    web_def = ecs.web_container(
        image=RAILS_IMAGE, app_password_secret_arn=arn("app"), secret_key_base_arn=arn("key"),
        logs=logs, limits=size.web, db_wait_timeout=default("railsDbWaitTimeout"),
    )  # fmt: skip
    secrets = {
        "MYSQL_ROOT_PASSWORD": ROOT_PASSWORD,
        "MYSQL_PASSWORD": APP_PASSWORD,
        "APPDB_ENV_MYSQL_PASSWORD": APP_PASSWORD,
        "SECRET_KEY_BASE": SECRET_KEY_BASE,
    }
    volume = f"i24-bench-data-{run}"
    podman.run("volume", "rm", "-f", volume, check=False)
    db = podman.start(
        "--network", net, "--network-alias", ecs.APPDB_ALIAS, "-v", f"{volume}:{ecs.DB_DATA_PATH}",
        *limit_args(size.db, size.db_cpus), *env_args(db_def, secrets), MYSQL_IMAGE,
        name=f"i24-bench-db-{run}",
    )  # fmt: skip
    web = podman.start(
        "--network", net, *limit_args(size.web, size.web_cpus), *env_args(web_def, secrets),
        *(flag for value in size.web_env for flag in ("-e", value)),
        RAILS_IMAGE, name=f"i24-bench-web-{run}",
    )  # fmt: skip
    return web, db


def memory_cgroup(podman: Podman, name: str) -> Path:
    pid = podman.run("inspect", "-f", "{{.State.Pid}}", name).stdout.strip()
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(",") or controllers == "":
            base = Path("/sys/fs/cgroup/memory") if controllers else Path("/sys/fs/cgroup")
            return base / path.lstrip("/")
    raise RuntimeError(f"no memory cgroup for {name}")


def oom_kills(podman: Podman, cgroup: Path, name: str) -> int:
    """The kernel's OOM kills in the container's cgroup (v1 oom_control, v2 memory.events)."""
    for file in ("memory.oom_control", "memory.events"):
        if (cgroup / file).exists():
            match = re.search(r"^oom_kill (\d+)", (cgroup / file).read_text(), re.M)
            if match:
                return int(match.group(1))
    killed = podman.run("inspect", "-f", "{{.State.OOMKilled}}", name).stdout.strip()
    return int(killed == "true")


def peak_mib(cgroup: Path) -> float:
    for file in ("memory.max_usage_in_bytes", "memory.peak"):
        if (cgroup / file).exists():
            return int((cgroup / file).read_text()) / 2**20
    return float("nan")


def hey(url: str, clients: int, duration: int, post: bool) -> Result:
    """One hey run (keep-alive is hey's default), parsed from its summary."""
    argv = ["hey", "-z", f"{duration}s", "-c", str(clients), "-t", "30"]
    if post:
        argv += ["-m", "POST", "-T", "application/x-www-form-urlencoded", "-d", "body=load"]
    proc = subprocess.run([*argv, url], capture_output=True, text=True, check=True)
    out = proc.stdout

    def number(pattern: str) -> float:
        match = re.search(pattern, out)
        return float(match.group(1)) if match else float("nan")

    codes = {int(c): int(n) for c, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)}
    errors = out.split("Error distribution:", 1)[1] if "Error distribution:" in out else ""
    failed = sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]\s", errors, re.M))
    ok = sum(n for c, n in codes.items() if 200 <= c < 300)
    return Result(
        rps=number(r"Requests/sec:\s+([\d.]+)"),
        p50=number(r"50% in ([\d.]+) secs"),
        p99=number(r"99% in ([\d.]+) secs"),
        non_2xx=sum(codes.values()) - ok,
        fivexx=sum(n for c, n in codes.items() if c >= 500),
        failed=failed,
        total=sum(codes.values()) + failed,
    )


def one_size(
    podman: Podman, net: str, size: Size, run: int, clients: int, duration: int
) -> dict[str, Any]:
    web, db = start(podman, net, size, run)
    try:
        url = f"http://{ip_of(podman, web)}:{ecs.APP_PORT}"
        wait_for_200(url + ecs.HEALTH_PATH, timeout=180)
        for i in range(SEED_NOTES):
            subprocess.run(
                ["hey", "-n", "1", "-c", "1", "-m", "POST", "-T",
                 "application/x-www-form-urlencoded", "-d", f"body=seed-{i}", url + "/notes"],
                capture_output=True, check=True,
            )  # fmt: skip
        cgroups = {name: memory_cgroup(podman, name) for name in (web, db)}
        read = hey(url + "/notes", clients, duration, post=False)
        write = hey(url + "/notes", clients, duration, post=True)
        running = {
            n: podman.run("inspect", "-f", "{{.State.Running}}", n).stdout.strip() == "true"
            for n in (web, db)
        }
        return {
            "read": read,
            "write": write,
            "oom": sum(oom_kills(podman, cgroups[n], n) for n in (web, db)),
            "web_peak": peak_mib(cgroups[web]),
            "db_peak": peak_mib(cgroups[db]),
            "running": all(running.values()),
        }
    finally:
        podman.remove([web, db])
        podman.run("volume", "rm", "-f", f"i24-bench-data-{run}", check=False)


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def report(sizes: list[Size], results: list[dict[str, Any]]) -> None:
    width = 26
    print()
    print(f"{'':22}" + "".join(f"{s.label:>{width}}" for s in sizes))
    rows = [
        ("web cpu units/quota", lambda s, r: f"{s.web.cpu} / {s.web_cpus:g} vCPU"),
        ("web/db memory MiB", lambda s, r: f"{s.web.memory} / {s.db.memory}"),
    ]
    for endpoint in ("read", "write"):
        rows += [
            (f"{endpoint} req/s", lambda s, r, e=endpoint: f"{r[e].rps:.1f}"),
            (f"{endpoint} p50 s", lambda s, r, e=endpoint: f"{r[e].p50:.3f}"),
            (f"{endpoint} p99 s", lambda s, r, e=endpoint: f"{r[e].p99:.3f}"),
            (f"{endpoint} non-2xx/5xx", lambda s, r, e=endpoint: f"{r[e].non_2xx} / {r[e].fivexx}"),
            (f"{endpoint} failed/total", lambda s, r, e=endpoint: f"{r[e].failed} / {r[e].total}"),
        ]
    rows += [
        ("OOM kills", lambda s, r: str(r["oom"])),
        ("peak MiB web/db", lambda s, r: f"{r['web_peak']:.0f} / {r['db_peak']:.0f}"),
        ("containers running", lambda s, r: "yes" if r["running"] else "NO"),
    ]
    for title, cell in rows:
        cells = (f"{cell(s, r):>{width}}" for s, r in zip(sizes, results, strict=True))
        print(f"{title:22}" + "".join(cells))


def met(result: dict[str, Any]) -> bool:
    return bool(
        result["oom"] == 0
        and result["running"]
        and all(
            r.fivexx == 0 and r.failed == 0 and r.p99 <= TARGET_P99
            for r in (result["read"], result["write"])
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=60, help="seconds per endpoint")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--web-cpu", type=int, action="append", default=[], metavar="UNITS")
    args = parser.parse_args(argv)
    if shutil.which("hey") is None:
        parser.error("hey is not on PATH: apt-get install hey")
    base = task_size(f"default ({default('railsCpu')} units)", default("railsCpu"))
    # puma 5.6's own keep-alive handling, as the image had it before: the tail to compare
    puma_defaults = ("PUMA_MAX_FAST_INLINE=10", "PUMA_PERSISTENT_TIMEOUT=20")
    sizes = [base, replace(base, label="default, puma defaults", web_env=puma_defaults)]
    sizes += [task_size(f"railsCpu {units}", units) for units in args.web_cpu]
    sizes.append(replace(base, label="1 vCPU", web_cpus=1.0, db_cpus=1.0))
    with session_podman() as podman:
        build_images(podman, RAILS_IMAGE, MYSQL_IMAGE)
        net = podman.network("i24-bench")
        print(f"load average at start: {load()}")
        results = []
        for run, size in enumerate(sizes):
            results.append(one_size(podman, net, size, run, args.clients, args.duration))
            print(f"{size.label}: done (load average {load()})", flush=True)
    report(sizes, results)
    ok = met(results[0])
    print(f"\ntarget at the default size (no OOM, no 5xx, no failure, p99 <= {TARGET_P99} s): "
          f"{'met' if ok else 'NOT met'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
