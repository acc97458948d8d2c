"""Issue 21: `bench run` with container limits, for real: fio in the fio-tool image under
podman, on a loop-mounted ext4; the device limit holds, the memory limit is in the
container's cgroup, and both are in metadata.json and on the page."""

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
    """Two runs in containers on one loop-mounted ext4: `--memory 256m`, and the same with
    `--device-read-iops 500`; returns the data dir."""
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
        {bench} -n free --memory 256m
        {bench} -n limited --memory 256m --device-read-iops 500
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
    labels = sorted(run["label"] for run in listing)
    assert labels[0].endswith("limits memory=256m"), labels
    assert labels[1].endswith("limits memory=256m device_read_iops=500"), labels
