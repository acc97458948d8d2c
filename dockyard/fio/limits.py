"""fio in a container with CPU, memory and block I/O limits on the device under test.

`check_limits` turns `bench run`'s options into a `Limits` (every value checked with a
full-match pattern before anything runs); `Limits.command` is the podman (or docker)
command that runs fio under them: no network, the caller's uid, only the test, run and
job directories mounted, the device limits on the block device holding the target (the
whole disk for a partition: cgroups throttle disks). The engine applies them through
cgroup v1's `blkio.throttle.*` or v2's `io.max`. Before fio, the container writes what
its own cgroup says (memory and CPU limits, the throttle settings) to `cgroup.txt` in the
run directory, and metadata.json records both the limits asked for and those seen.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.fio.jobs import FioError

ENGINE_ENV = "DOCKYARD_CONTAINER_ENGINE"
"""A command line for the container engine (default: podman, else docker, on PATH)."""
DEFAULT_IMAGE = "fio-tool"
CGROUP_FILE = "cgroup.txt"
_CPUS = re.compile(r"^(?=.*[1-9])[0-9]{1,3}(\.[0-9]{1,3})?$")
_SIZE = re.compile(r"^[1-9][0-9]{0,14}[bBkKmMgG]?$")
_IOPS = re.compile(r"^[1-9][0-9]{0,8}$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}$")
# What the container's cgroup says (v1 and v2 paths; the missing ones are skipped).
_CGROUP_FILES = (
    "memory/memory.limit_in_bytes",
    "memory.max",
    "cpu/cpu.cfs_quota_us",
    "cpu/cpu.cfs_period_us",
    "cpu.max",
    "blkio/blkio.throttle.read_iops_device",
    "blkio/blkio.throttle.write_iops_device",
    "blkio/blkio.throttle.read_bps_device",
    "blkio/blkio.throttle.write_bps_device",
    "io.max",
)
_SCRIPT = (
    'out="$1"; shift; for f in ' + " ".join(f"/sys/fs/cgroup/{f}" for f in _CGROUP_FILES) + "; "
    'do if [ -r "$f" ]; then printf "%s: %s\\n" "$f" "$(tr "\\n" " " < "$f")"; fi; '
    'done > "$out"; '
    'exec "$@"'
)
DEVICE_OPTIONS = ("device_read_iops", "device_write_iops", "device_read_bps", "device_write_bps")
# Where each device limit lands: cgroup v1's blkio.throttle files, v2's io.max keys.
_V1_FILES = {
    f"blkio/blkio.throttle.{key.removeprefix('device_')}_device": key for key in DEVICE_OPTIONS
}
_IO_MAX_KEYS = {
    "riops": "device_read_iops",
    "wiops": "device_write_iops",
    "rbps": "device_read_bps",
    "wbps": "device_write_bps",
}
_MAJ_MIN = re.compile(r"^[0-9]{1,10}:[0-9]{1,10}$")


@dataclass(frozen=True)
class Limits:
    """The container's limits, and how to start it."""

    engine: tuple[str, ...]
    image: str = DEFAULT_IMAGE
    cpus: str | None = None
    memory: str | None = None
    device: str | None = None
    device_limits: Mapping[str, str] = field(default_factory=dict)
    device_number: str | None = None
    """The device's MAJ:MIN, as its cgroup's io.max / blkio.throttle.* name it."""

    def as_metadata(self) -> dict[str, Any]:
        return {
            "engine": Path(self.engine[0]).name,
            "image": self.image,
            "cpus": self.cpus,
            "memory": self.memory,
            "device": self.device,
            "device_number": self.device_number,
            **{key: self.device_limits.get(key) for key in DEVICE_OPTIONS},
            "cgroup": "v2" if Path("/sys/fs/cgroup/cgroup.controllers").exists() else "v1",
        }

    def command(self, mounts: Sequence[Path], workdir: Path, cgroup_out: Path) -> list[str]:
        """The engine's `run` prefix: what follows it is fio's command line."""
        argv = [*self.engine, "run", "--rm", "--network", "none", "--pull", "never"]
        argv += ["--user", f"{os.getuid()}:{os.getgid()}", "--entrypoint", "sh"]
        if self.cpus:
            argv += ["--cpus", self.cpus]
        if self.memory:
            argv += ["--memory", self.memory, "--memory-swap", self.memory]
        for key, value in self.device_limits.items():
            argv += [f"--{key.replace('_', '-')}", f"{self.device}:{value}"]
        for path in dict.fromkeys(str(p) for p in mounts):
            argv += ["-v", f"{path}:{path}"]
        return [*argv, "-w", str(workdir), self.image, "-c", _SCRIPT, "sh", str(cgroup_out)]


def cgroup_seen(run_dir: Path) -> dict[str, str]:
    """What the container's cgroup said (`cgroup.txt`), file name -> value."""
    try:
        text = (run_dir / CGROUP_FILE).read_text(encoding="utf-8")
    except OSError:
        return {}
    seen = {}
    for line in text.splitlines():
        name, _, value = line.partition(": ")
        seen[name.removeprefix("/sys/fs/cgroup/")] = value.strip()
    return seen


def device_limits_seen(seen: Mapping[str, str], device_number: str | None) -> dict[str, str]:
    """The device limits the container's cgroup holds for MAJ:MIN `device_number`, by
    option name (`device_read_iops` -> `500`; rates in bytes/s): from v2's `io.max`
    (`7:0 rbps=max wbps=max riops=500 wiops=max`, `max` = none) or v1's
    `blkio.throttle.*_device` (`7:0 500`)."""
    found: dict[str, str] = {}
    for name, text in seen.items():
        option = _V1_FILES.get(name)
        if option is None and name != "io.max":
            continue
        current = None
        for token in text.split():
            if _MAJ_MIN.match(token):
                current = token
            elif current != device_number or device_number is None:
                continue
            elif option is not None:
                found[option] = token
            else:
                key, _, value = token.partition("=")
                if key in _IO_MAX_KEYS and value != "max":
                    found[_IO_MAX_KEYS[key]] = value
    return found


def device_number_of(device: str) -> str:
    """MAJ:MIN of a block device node."""
    rdev = Path(device).stat().st_rdev
    return f"{os.major(rdev)}:{os.minor(rdev)}"


def block_device_of(source: str) -> str:
    """The disk a file system's source is on (/dev/sda for /dev/sda1); FioError if none."""
    fix = "run it against a directory on a block device (a disk, a loop device)"
    try:
        info = Path(source).stat() if source.startswith("/dev/") else None
    except OSError:
        info = None
    if info is None or not stat.S_ISBLK(info.st_mode):
        raise FioError(
            f"the target is on {source!r}, not a block device, so the device limits "
            f"have nothing to apply to: {fix}"
        )
    rdev = info.st_rdev
    sysfs = Path(f"/sys/dev/block/{os.major(rdev)}:{os.minor(rdev)}")
    if (sysfs / "partition").exists():
        return f"/dev/{sysfs.resolve().parent.name}"
    return source


def default_engine(environ: Mapping[str, str]) -> tuple[str, ...]:
    if environ.get(ENGINE_ENV):
        return tuple(shlex.split(environ[ENGINE_ENV]))
    for name in ("podman", "docker"):
        if found := shutil.which(name):
            return (found,)
    raise FioError("container limits need podman or docker on PATH (or DOCKYARD_CONTAINER_ENGINE)")


def check_limits(
    options: Mapping[str, str | None],
    source: str,
    environ: Mapping[str, str],
    image: str = DEFAULT_IMAGE,
) -> Limits | None:
    """Limits from `bench run`'s options (None when none is given); FioError names a bad
    value and what is allowed. `source` is the target's file system source."""
    given = {key: value for key, value in options.items() if value not in (None, "")}
    if not given:
        return None
    patterns = {
        "cpus": (_CPUS, "a number of CPUs such as 1 or 0.5"),
        "memory": (_SIZE, "a size such as 512m or 2g"),
    }
    for key in DEVICE_OPTIONS:
        patterns[key] = (
            (_IOPS, "a whole number")
            if key.endswith("iops")
            else (_SIZE, "a rate in bytes such as 10m")
        )
    for key, value in given.items():
        pattern, what = patterns[key]
        if not pattern.match(str(value)):
            raise FioError(f"--{key.replace('_', '-')} {str(value)[:20]!r}: give {what}")
    if not _IMAGE.match(image):
        raise FioError(f"--image {image[:40]!r} is not an image name")
    devices = {key: str(given[key]) for key in DEVICE_OPTIONS if key in given}
    device = block_device_of(source) if devices else None
    return Limits(
        default_engine(environ),
        image,
        given.get("cpus"),
        given.get("memory"),
        device,
        devices,
        device_number_of(device) if device else None,
    )
