"""One fio run in its own directory: DATA_DIR/runs/<UTC time>-<PLOTNAME>/.

The directory holds results only: the job files used (jobs/), fio's json+ result
(result.json), bandwidth / IOPS / latency logs and clat histogram logs, fio's console
output (fio.log) and metadata.json (fio version, host, kernel, job hashes, the target's
file system, the volume under test, exit status). fio runs in the target directory,
and every job of every job file is given that directory and the logs: dockyard puts
its own `[global]` section at the top of each file (fio adds later `[global]` sections
to it, so a job file's own settings still win). Nothing outside the run directory is
ever deleted; fio's exit status is the run's.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from dockyard.files import write_file
from dockyard.fio.jobs import FioError, JobFile, parse_only
from dockyard.fio.limits import CGROUP_FILE, Limits, cgroup_seen, device_limits_seen

RUNS = "runs"
RESULT = "result.json"
METADATA = "metadata.json"
LOG_PREFIX = "fio"
SCRATCH = ".dockyard-scratch"
# The task environment's description of the volume under test (dockyard/fio/ecs.py sets
# these on ECS); recorded in metadata.json as "volume" to label comparisons.
VOLUME_ENV = {
    "FIO_VOLUME_TYPE": "type",
    "FIO_VOLUME_SIZE_GIB": "size_gib",
    "FIO_VOLUME_IOPS": "iops",
    "FIO_VOLUME_THROUGHPUT": "throughput_mib_s",
    "FIO_VOLUME_DISKS": "disks",
    "FIO_VOLUME_HOST_PATH": "host_path",
    "FIO_COMPUTE": "compute",
    "FIO_INSTANCE_TYPE": "instance_type",
    "FIO_TASK_CPU": "task_cpu",
    "FIO_TASK_MEMORY": "task_memory_mib",
    "AWS_REGION": "region",
    "AWS_DEFAULT_REGION": "region",
}
_DIRECT = re.compile(r"^\s*(direct\s*=\s*1|buffered\s*=\s*0)\s*$", re.MULTILINE)
_SECTION = re.compile(r"^\s*\[(?P<name>[^\]]+)\]")
_OPTION = re.compile(r"^\s*(?P<key>[A-Za-z_]+)\s*(=\s*(?P<value>.*?))?\s*$")
_PLOTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_WHOLE_NUMBER = re.compile(r"^[+-]?[0-9]{1,18}$")
MAX_LOG_MSEC = 3_600_000
_ETA = re.compile(r"\[eta\s+([^\]]+)\]")


@dataclass(frozen=True)
class RunOptions:
    """How to run: where results go, the name, fio's log interval, the volume's labels.

    `target_dir` is where fio's test files go (None: a hidden scratch directory in the
    data dir, removed after the run); with `create_target` it is made once the jobs
    have been checked (`dockyard bench`'s DIR/.dockyard-fio).
    """

    data_dir: Path
    plotname: str = "fio"
    target_dir: Path | None = None
    log_msec: int = 1000
    fio: str = "fio"
    extra_args: Sequence[str] = field(default_factory=tuple)
    create_target: bool = False
    volume: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    limits: Limits | None = None
    """Run fio in a container with these limits (dockyard/fio/limits.py)."""
    """More for metadata.json: a sweep's parameters ("sweep"), a container's limits."""


def volume_from_env(env: Mapping[str, str]) -> dict[str, str]:
    """The volume under test as the task's environment describes it (VOLUME_ENV)."""
    return {key: env[name] for name, key in VOLUME_ENV.items() if env.get(name)}


@dataclass(frozen=True)
class RunResult:
    """Where the run went and how fio ended."""

    run_dir: Path
    returncode: int


def check_plotname(name: str) -> str:
    if not _PLOTNAME.match(name):
        raise FioError(
            f"PLOTNAME {name!r} is not usable in a directory name: use letters, digits, "
            "'.', '_' or '-' (at most 64, starting with a letter or digit)"
        )
    return name


def check_number(text: str, what: str, low: int, high: int) -> int:
    """A whole number from `low` to `high` given as text (an argument or an environment
    value); anything else is a FioError naming `what` and the range."""
    value = text.strip()
    if _WHOLE_NUMBER.match(value) and low <= int(value) <= high:
        return int(value)
    shown = text if len(text) <= 20 else text[:20] + "..."
    raise FioError(f"{what} must be a whole number from {low} to {high}, not {shown!r}")


def fio_version(fio: str = "fio") -> str:
    try:
        proc = subprocess.run([fio, "--version"], capture_output=True, text=True, check=False)
    except FileNotFoundError as err:
        raise FioError(f"fio is not installed ({fio}); install Debian's fio package") from err
    return proc.stdout.strip()


def utc_stamp(now: dt.datetime | None = None) -> str:
    moment = now or dt.datetime.now(dt.UTC)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def make_run_dir(data_dir: Path, plotname: str, now: dt.datetime | None = None) -> Path:
    """Create a fresh run directory; concurrent runs get distinct ones (mkdir is atomic)."""
    runs = data_dir / RUNS
    base = f"{utc_stamp(now)}-{plotname}"
    try:
        runs.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, 1000):
            candidate = runs / (base if attempt == 1 else f"{base}.{attempt}")
            try:
                candidate.mkdir()
            except FileExistsError:
                continue
            return candidate
    except OSError as err:
        raise FioError(
            f"cannot create a run directory under {runs}: {err.strerror}; "
            "the data directory must be a writable directory"
        ) from err
    raise FioError(f"could not create a run directory under {runs}")


def uses_direct_io(jobs: Sequence[JobFile]) -> bool:
    """Whether a job asks for O_DIRECT (`direct=1` or `buffered=0`)."""
    return any(_DIRECT.search(job.content) for job in jobs)


def _fio_path(path: Path) -> str:
    # fio splits directory= on ':' (several directories); a literal one is escaped.
    return str(path).replace(":", "\\:")


def prepared_job(content: str, run_dir: Path, target: Path, log_msec: int) -> str:
    """The job file as fio runs it: dockyard's `[global]` first, then the file as written.

    fio adds a file's later `[global]` sections to the first one, so every job of the
    file gets the directory and the logs, and the file's own settings still override
    them. Where a section sets `log_avg_msec` (and not `log_hist_msec`), the latency
    histogram log takes the same interval, so the latency graph follows the job.
    """
    prefix = _fio_path(run_dir / LOG_PREFIX)
    lines = [
        "; added by dockyard: where the test files go, and the logs every job writes",
        "[global]",
        f"directory={_fio_path(target)}",
        *(f"write_{kind}_log={prefix}" for kind in ("bw", "iops", "lat", "hist")),
        f"log_avg_msec={log_msec}",
        f"log_hist_msec={log_msec}",
        "",
    ]
    sections: list[list[str]] = [[]]
    for line in content.splitlines():
        if _SECTION.match(line):
            sections.append([])
        sections[-1].append(line)
    for section in sections:
        keys = {m.group("key") for m in map(_OPTION.match, section) if m}
        for line in section:
            lines.append(line)
            match = _OPTION.match(line)
            if match and match.group("key") == "log_avg_msec" and "log_hist_msec" not in keys:
                lines.append(f"log_hist_msec={match.group('value')}")
    return "\n".join(lines) + "\n"


def fio_command(options: RunOptions, run_dir: Path, job_paths: Sequence[Path]) -> list[str]:
    """The fio command line (directory and logs are in each prepared job file)."""
    return [
        options.fio,
        "--output-format=json+",
        f"--output={run_dir / RESULT}",
        "--eta=always",
        "--eta-newline=1",
        *options.extra_args,
        *map(str, job_paths),
    ]


def filesystem_of(path: Path) -> dict[str, str]:
    """The file system a path is on (type, source, mount point) from /proc/self/mountinfo."""
    real = str(path.resolve())
    best = {"fstype": "unknown", "source": "unknown", "mountpoint": "/"}
    length = -1
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return best
    for line in lines:
        head, _, tail = line.partition(" - ")
        fields, rest = head.split(), tail.split()
        if len(fields) < 5 or len(rest) < 2:
            continue
        mount = fields[4].encode().decode("unicode_escape")
        inside = real == mount or real.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= length:
            length = len(mount)
            best = {"fstype": rest[0], "source": rest[1], "mountpoint": mount}
    return best


MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs", "devtmpfs"})


def check_direct_io(directory: Path) -> None:
    """Refuse a target where direct=1 cannot measure a device, naming the fix.

    That is a file system that refuses O_DIRECT (an open with it fails with EINVAL), or
    one held in memory (tmpfs, which newer kernels let open with O_DIRECT).
    """
    fs = filesystem_of(directory)
    fix = (
        "run it against a directory on the volume under test (a disk file system such "
        "as ext4 or xfs, e.g. `dockyard bench /mnt/volume` or FIO_TARGET_DIR), or set "
        "direct=0 in your own job file to measure cached I/O"
    )
    if fs["fstype"] in MEMORY_FILESYSTEMS:
        raise FioError(
            f"{directory} is on {fs['fstype']} (memory, no device behind it); the job uses "
            f"direct=1 to measure a device, not the page cache: {fix}"
        )
    fd, name = tempfile.mkstemp(prefix=".dockyard-direct-", dir=directory)
    os.close(fd)
    try:
        direct_fd = os.open(name, os.O_RDWR | getattr(os, "O_DIRECT", 0))
    except OSError as err:
        if err.errno != errno.EINVAL:
            raise FioError(f"cannot open a test file in {directory}: {err}") from err
        raise FioError(
            f"{directory} is on {fs['fstype']} ({fs['source']}), which refuses O_DIRECT, and "
            f"the job uses direct=1 to measure the device rather than the page cache: {fix}"
        ) from err
    else:
        os.close(direct_fd)
    finally:
        Path(name).unlink(missing_ok=True)


def metadata(
    jobs: Sequence[JobFile],
    options: RunOptions,
    run_dir: Path,
    command: Sequence[str],
    target: Path,
) -> dict[str, Any]:
    uname = platform.uname()
    return {
        "run": run_dir.name,
        "plotname": options.plotname,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "finished": None,
        "exit_status": None,
        "fio_version": fio_version(options.fio),
        "host": socket.gethostname(),
        "kernel": f"{uname.system} {uname.release}",
        "machine": uname.machine,
        "target_dir": str(options.target_dir) if options.target_dir else None,
        "target_fs": filesystem_of(target),
        "direct": uses_direct_io(jobs),
        "log_msec": options.log_msec,
        "volume": dict(options.volume),
        "command": list(command),
        "jobs": [{"name": j.name, "sha256": j.sha256, "source": j.source} for j in jobs],
        **options.extra,
        **({"limits": options.limits.as_metadata()} if options.limits else {}),
    }


def _write_json(path: Path, data: Any) -> None:
    write_file(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def eta_of(line: str) -> str | None:
    """The eta from one of fio's status lines, e.g. `[eta 00m:02s]`."""
    match = _ETA.search(line)
    return match.group(1) if match else None


def run(
    jobs: Sequence[JobFile],
    options: RunOptions,
    *,
    progress: Callable[[str], None] | None = None,
    console: TextIO | None = None,
) -> RunResult:
    """Check the jobs (--parse-only, O_DIRECT), make the run directory, run fio, record it all."""
    check_plotname(options.plotname)
    if not jobs:
        raise FioError("no job files to run")
    parse_only(jobs, options.fio)
    target = options.target_dir
    where = options.data_dir
    if target is not None:
        where = target.parent if options.create_target else target
        if not where.is_dir():
            raise FioError(f"target directory {where} does not exist; create or mount it first")
    else:
        options.data_dir.mkdir(parents=True, exist_ok=True)
    if uses_direct_io(jobs):
        check_direct_io(where)
    run_dir = make_run_dir(options.data_dir, options.plotname)
    # fio's test files never go into the run directory (it is served and copied to S3).
    scratch = target if target is not None else options.data_dir / f"{SCRATCH}-{run_dir.name}"
    scratch.mkdir(exist_ok=True)
    scratch = scratch.resolve()
    (run_dir / "jobs").mkdir()
    for job in jobs:
        write_file(run_dir / "jobs" / job.name, job.content)
    out = console if console is not None else sys.stderr
    with tempfile.TemporaryDirectory(prefix="dockyard-fio-jobs-") as tmp:
        paths = []
        for job in jobs:
            path = Path(tmp) / job.name
            path.write_text(
                prepared_job(job.content, run_dir.resolve(), scratch, options.log_msec),
                encoding="utf-8",
            )
            paths.append(path)
        command = fio_command(options, run_dir.resolve(), paths)
        if options.limits is not None:
            mounts = [scratch, run_dir.resolve(), Path(tmp)]
            cgroup_out = run_dir.resolve() / CGROUP_FILE
            command = [*options.limits.command(mounts, scratch, cgroup_out), *command]
        meta = metadata(jobs, options, run_dir, command, scratch)
        _write_json(run_dir / METADATA, meta)
        with (run_dir / "fio.log").open("w", encoding="utf-8") as log:
            proc = subprocess.Popen(
                command,
                cwd=scratch,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
            )
            assert proc.stdout is not None
            for line in proc.stdout:
                log.write(line)
                eta = eta_of(line)
                if progress is not None and eta is not None:
                    progress(line.strip())
                elif progress is None:
                    out.write(line)
            returncode = proc.wait()
    if returncode != 0:
        tail = (run_dir / "fio.log").read_text(encoding="utf-8").splitlines()[-5:]
        out.write(f"fio exited {returncode}: " + " | ".join(tail) + "\n")
    if target is None:
        # fio's data files are test data, not results.
        shutil.rmtree(scratch, ignore_errors=True)
    meta["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    meta["exit_status"] = returncode
    if options.limits is not None:
        seen = cgroup_seen(run_dir)
        applied = device_limits_seen(seen, options.limits.device_number)
        meta["limits"] = {**options.limits.as_metadata(), "seen": seen, "applied": applied}
    _write_json(run_dir / METADATA, meta)
    return RunResult(run_dir=run_dir, returncode=returncode)


def env_flag(name: str, environ: dict[str, str] | None = None) -> bool:
    value = (environ if environ is not None else dict(os.environ)).get(name, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}
