"""Issue 21: `bench run` and `bench sweep` with container limits, for real: fio in the
fio-tool image under podman, on a loop-mounted ext4; the device limit holds, the memory
limit is in the container's cgroup, the device limits are in its cgroup for the loop
device's MAJ:MIN (io.max on cgroup v2, blkio.throttle.* on v1), all in metadata.json
(per point for a sweep) and on the page."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from dockyard.fio.results import load_result
from tests.harness.fio import served
from tests.harness.podman import Podman
from tests.harness.tools import REPO, require_root, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]

IMAGE = "localhost/i21-fio-tool:test"
JOB = """\
[global]
ioengine=libaio
direct=1
filename=limits.dat
size=64M
runtime=4
time_based
ramp_time=1

[randread-qd8]
rw=randread
bs=4k
iodepth=8
"""


@pytest.fixture(scope="module")
def limited_runs(podman: Podman, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs in containers on one loop-mounted ext4: `--memory 256m`, the same with
    `--device-read-iops 500`, and a 2-point sweep with all four device limits; returns
    the data dir (the loop device's MAJ:MIN, as lsblk gives it, in majmin.txt beside it)."""
    require_root()
    require_tool("fio")
    require_tool("mkfs.ext4")
    require_tool("unshare")
    podman.build(
        REPO, IMAGE, target="fio-tool", dockerfile=REPO / "containers" / "fio" / "Dockerfile"
    )
    tmp = tmp_path_factory.mktemp("limits")
    (tmp / "job.fio").write_text(JOB, encoding="utf-8")
    bench = f'"$PY" -m dockyard bench run ext4 -d data -j job.fio --no-serve --image {IMAGE}'
    script = textwrap.dedent(
        f"""\
        truncate -s 300M disk.img
        mkfs.ext4 -q -F disk.img
        mkdir ext4
        mount -o loop disk.img ext4
        trap 'umount ext4 || true' EXIT
        lsblk -dno MAJ:MIN "$(findmnt -no SOURCE ext4)" > majmin.txt
        {bench} -n free --memory 256m
        {bench} -n limited --memory 256m --device-read-iops 500
        "$PY" -m dockyard bench sweep ext4 -d data -n sweeplimited --no-serve --image {IMAGE} \
          --rw randread,randwrite --bs 4k --iodepth 4 --numjobs 1 --size 32M --runtime 2 \
          --ramp 0 --cpus 1 --device-read-iops 300 --device-write-iops 200 \
          --device-read-bps 20m --device-write-bps 10m
        """
    )
    env = {
        **podman.env,
        "PYTHONPATH": str(REPO),
        "PY": sys.executable,
        "DOCKYARD_CONTAINER_ENGINE": shlex.join(podman.argv()),
    }
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "bash", "-euo", "pipefail", "-c", script],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return tmp / "data"


def _run(data: Path, name: str) -> tuple[dict[str, object], float]:
    (run_dir,) = (data / "runs").glob(f"*-{name}")
    meta = json.loads((run_dir / "metadata.json").read_text(encoding="utf-8"))
    result = load_result(run_dir)
    assert result is not None
    (job,) = result["jobs"]
    return meta, float(job["read"]["iops"])


def test_device_read_iops_limit_holds(limited_runs: Path) -> None:
    """At most ~550 read IOPS with --device-read-iops 500; clearly more without it."""
    _, free = _run(limited_runs, "free")
    meta, limited = _run(limited_runs, "limited")
    print(f"read IOPS: without the limit {free:.0f}, with --device-read-iops 500 {limited:.0f}")
    assert limited <= 550, limited
    assert free > 2 * 550, free
    limits = meta["limits"]
    assert isinstance(limits, dict)
    assert limits["device_read_iops"] == "500" and limits["device"].startswith("/dev/loop")
    assert limits["engine"] == "podman" and limits["image"] == IMAGE
    seen = limits["seen"]
    assert seen["blkio/blkio.throttle.read_iops_device"].endswith(" 500")


def test_memory_limit_is_in_the_containers_cgroup_and_on_the_page(
    limited_runs: Path,
) -> None:
    """--memory 256m: the container's own cgroup says 268435456 bytes, metadata.json
    records it, the page and runs.json show the limits."""
    for name in ("free", "limited"):
        meta, _ = _run(limited_runs, name)
        limits = meta["limits"]
        assert isinstance(limits, dict) and limits["memory"] == "256m"
        seen = limits["seen"]
        limit = seen.get("memory/memory.limit_in_bytes") or seen.get("memory.max")
        assert limit == str(256 * 1024 * 1024), seen
    with served(limited_runs) as port:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as answer:
            page = answer.read().decode("utf-8")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/runs.json", timeout=60) as answer:
            listing = json.loads(answer.read())
    assert "container limits: memory=256m device_read_iops=500" in page
    labels = sorted(run["label"] for run in listing if "memory=" in run["label"])
    assert labels[0].endswith("limits memory=256m"), labels
    assert labels[1].endswith("limits memory=256m device_read_iops=500"), labels


def test_sweep_device_limits_land_in_the_cgroup_for_the_loop_device(limited_runs: Path) -> None:
    """`bench sweep` takes run's limits: the container's cgroup holds all four for the loop
    device's MAJ:MIN (io.max where the engine gives cgroup v2, blkio.throttle.* on v1; bps
    in bytes), metadata.json records them per point and as applied, the page shows them,
    and the points stay under their IOPS limits."""
    majmin = (limited_runs.parent / "majmin.txt").read_text(encoding="utf-8").strip()
    (run_dir,) = (limited_runs / "runs").glob("*-sweeplimited")
    meta = json.loads((run_dir / "metadata.json").read_text(encoding="utf-8"))
    limits = meta["limits"]
    assert limits["device_number"] == majmin and limits["device"].startswith("/dev/loop")
    wanted = {
        "device_read_iops": "300",
        "device_write_iops": "200",
        "device_read_bps": str(20 * 1024 * 1024),
        "device_write_bps": str(10 * 1024 * 1024),
    }
    assert limits["applied"] == wanted, limits["seen"]
    seen = limits["seen"]
    if limits["cgroup"] == "v2":
        assert seen["io.max"].startswith(f"{majmin} "), seen
    else:
        assert seen["blkio/blkio.throttle.write_iops_device"] == f"{majmin} 200", seen
    for point in meta["sweep"]["points"]:
        assert point["limits"]["device_read_iops"] == "300", point
        assert point["limits"]["cpus"] == "1" and point["limits"]["device"] == limits["device"]
    result = load_result(run_dir)
    assert result is not None
    by_name = {job["jobname"]: job for job in result["jobs"]}
    assert by_name["randread-4k-iodepth-4-numjobs-1"]["read"]["iops"] <= 330
    assert by_name["randwrite-4k-iodepth-4-numjobs-1"]["write"]["iops"] <= 220
    with (
        served(limited_runs) as port,
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as answer,
    ):
        page = answer.read().decode("utf-8")
    label = "cpus=1 device_read_iops=300 device_write_iops=200 device_read_bps=20m"
    assert page.count(f'<td class="point-limits">{label} device_write_bps=10m</td>') == 2
