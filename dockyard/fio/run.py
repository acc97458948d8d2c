"""One fio run in its own directory: DATA_DIR/runs/<UTC time>-<PLOTNAME>/.

The directory holds the job files used (jobs/), fio's json+ result (result.json),
bandwidth / IOPS / latency logs and clat histogram logs, fio's console output
(fio.log) and metadata.json (fio version, host, kernel, job hashes, exit status).
Nothing outside the run directory is ever deleted; fio's exit status is the run's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from dockyard.files import write_file
from dockyard.fio.jobs import FioError, JobFile, parse_only

RUNS = "runs"
RESULT = "result.json"
METADATA = "metadata.json"
LOG_PREFIX = "fio"
SCRATCH = "scratch"
_PLOTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_WHOLE_NUMBER = re.compile(r"^[+-]?[0-9]{1,18}$")
MAX_LOG_MSEC = 3_600_000
_ETA = re.compile(r"\[eta\s+([^\]]+)\]")


@dataclass(frozen=True)
class RunOptions:
    """How to run: where results go, the name, and fio's log interval."""

    data_dir: Path
    plotname: str = "fio"
    target_dir: Path | None = None
    log_msec: int = 1000
    fio: str = "fio"
    extra_args: Sequence[str] = field(default_factory=tuple)


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


def fio_command(jobs: Sequence[JobFile], options: RunOptions, scratch: Path) -> list[str]:
    """The fio command line; run with the run directory as working directory."""
    interval = str(options.log_msec)
    return [
        options.fio,
        "--output-format=json+",
        f"--output={RESULT}",
        f"--write_bw_log={LOG_PREFIX}",
        f"--write_iops_log={LOG_PREFIX}",
        f"--write_lat_log={LOG_PREFIX}",
        f"--write_hist_log={LOG_PREFIX}",
        f"--log_avg_msec={interval}",
        f"--log_hist_msec={interval}",
        f"--directory={scratch}",
        "--eta=always",
        "--eta-newline=1",
        *options.extra_args,
        *[f"jobs/{job.name}" for job in jobs],
    ]


def metadata(
    jobs: Sequence[JobFile], options: RunOptions, run_dir: Path, command: Sequence[str]
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
        "command": list(command),
        "jobs": [{"name": j.name, "sha256": j.sha256, "source": j.source} for j in jobs],
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
    """Check the jobs with --parse-only, make the run directory, run fio, record it all."""
    check_plotname(options.plotname)
    if not jobs:
        raise FioError("no job files to run")
    parse_only(jobs, options.fio)
    if options.target_dir is not None and not options.target_dir.is_dir():
        raise FioError(
            f"target directory {options.target_dir} does not exist; create or mount it first"
        )
    run_dir = make_run_dir(options.data_dir, options.plotname)
    (run_dir / "jobs").mkdir()
    for job in jobs:
        write_file(run_dir / "jobs" / job.name, job.content)
    own_scratch = options.target_dir is None
    scratch = run_dir / SCRATCH if own_scratch else options.target_dir
    assert scratch is not None
    scratch.mkdir(exist_ok=True)
    scratch = scratch.resolve()
    command = fio_command(jobs, options, scratch)
    meta = metadata(jobs, options, run_dir, command)
    _write_json(run_dir / METADATA, meta)
    out = console if console is not None else sys.stderr
    with (run_dir / "fio.log").open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            command,
            cwd=run_dir,
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
    if own_scratch:
        # fio's data files are test data, not results; they live inside this run's dir.
        shutil.rmtree(scratch, ignore_errors=True)
    meta["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    meta["exit_status"] = returncode
    _write_json(run_dir / METADATA, meta)
    return RunResult(run_dir=run_dir, returncode=returncode)


def env_flag(name: str, environ: dict[str, str] | None = None) -> bool:
    value = (environ if environ is not None else dict(os.environ)).get(name, "")
    return value.strip().lower() in {"1", "true", "yes", "on"}
