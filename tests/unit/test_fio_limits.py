"""`bench run`'s container limits: the values it takes, and the command it builds."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.fio.jobs import FioError
from dockyard.fio.limits import block_device_of, cgroup_seen, check_limits, device_limits_seen
from dockyard.fio.results import run_label

ENGINE = {"DOCKYARD_CONTAINER_ENGINE": "podman --root '/tmp/a b'"}


def test_no_limit_means_no_container() -> None:
    """Without a limit fio runs as before (no engine needed)."""
    assert check_limits({"cpus": None, "memory": ""}, "/dev/nothing", {}) is None


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"cpus": "0"}, "--cpus '0'"),
        ({"cpus": "1; rm -rf /"}, "--cpus"),
        ({"memory": "512mb"}, "--memory '512mb'"),
        ({"memory": "-1"}, "--memory"),
        ({"device_read_iops": "0"}, "--device-read-iops '0'"),
        ({"device_write_bps": "10m:x"}, "--device-write-bps"),
    ],
)
def test_bad_values_are_refused_naming_them(options: dict[str, str], words: str) -> None:
    """Each value goes on the engine's command line: only full matches pass."""
    with pytest.raises(FioError, match=words):
        check_limits(options, "/dev/null", ENGINE)


def test_device_limit_needs_a_block_device(tmp_path: Path) -> None:
    """A target on tmpfs or overlay has no device to throttle: the message says so."""
    with pytest.raises(FioError, match="not a block device"):
        check_limits({"device_read_iops": "500"}, "tmpfs", ENGINE)
    with pytest.raises(FioError, match="not a block device"):
        block_device_of("/dev/null")


def test_command_mounts_only_what_fio_needs_and_names_the_limits(tmp_path: Path) -> None:
    """No network, the caller's uid, the limits as the engine's options, each mount once."""
    limits = check_limits({"cpus": "1.5", "memory": "256m"}, "/dev/null", ENGINE, "fio-tool")
    assert limits is not None
    argv = limits.command([tmp_path, tmp_path / "run", tmp_path], tmp_path, tmp_path / "c.txt")
    assert argv[:4] == ["podman", "--root", "/tmp/a b", "run"]
    joined = " ".join(argv)
    assert "--network none" in joined and "--cpus 1.5" in joined
    assert "--memory 256m --memory-swap 256m" in joined
    assert argv.count("-v") == 2 and "--device-read-iops" not in argv
    assert argv[argv.index("fio-tool") + 1] == "-c"
    meta = limits.as_metadata()
    assert meta["cpus"] == "1.5" and meta["engine"] == "podman"
    assert run_label({"host": "h", "limits": meta}).endswith("limits cpus=1.5 memory=256m")


def test_cgroup_file_reads_back(tmp_path: Path) -> None:
    """What the container wrote about its cgroup, by file name."""
    (tmp_path / "cgroup.txt").write_text(
        "/sys/fs/cgroup/memory.max: 268435456\n/sys/fs/cgroup/io.max: 7:0 riops=500\n",
        encoding="utf-8",
    )
    assert cgroup_seen(tmp_path) == {"memory.max": "268435456", "io.max": "7:0 riops=500"}
    assert cgroup_seen(tmp_path / "missing") == {}


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        (
            # cgroup v2: io.max, one line per device (the kernel's format), flattened to
            # one line by the container's script; `max` is no limit.
            {
                "io.max": "8:0 rbps=max wbps=1048576 riops=max wiops=max "
                "7:0 rbps=20971520 wbps=max riops=500 wiops=400"
            },
            {"device_read_bps": "20971520", "device_read_iops": "500", "device_write_iops": "400"},
        ),
        (
            # cgroup v1: one blkio.throttle file per limit, `MAJ:MIN VALUE` per device.
            {
                "blkio/blkio.throttle.read_iops_device": "8:0 9 7:0 500",
                "blkio/blkio.throttle.write_bps_device": "7:0 10485760",
                "memory/memory.limit_in_bytes": "268435456",
            },
            {"device_read_iops": "500", "device_write_bps": "10485760"},
        ),
        ({"io.max": "7:01 riops=500", "blkio/blkio.throttle.read_iops_device": ""}, {}),
    ],
)
def test_device_limits_seen_for_the_devices_maj_min(
    seen: dict[str, str], expected: dict[str, str]
) -> None:
    """Only the limits on the device under test (7:0) count, from io.max or blkio."""
    assert device_limits_seen(seen, "7:0") == expected
    assert device_limits_seen(seen, None) == {}
