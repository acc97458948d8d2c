"""`dockyard bench`: run fio against a directory, draw the graphs and serve the report.

The same run, report and server code as the fio-tools images (dockyard/fio/). Every
input is checked, and the report's port bound, before fio runs or anything is written.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from dockyard.commands import Subparsers
from dockyard.errors import UsageError
from dockyard.fio import PLOTS_PORT
from dockyard.fio import jobs as jobs_mod
from dockyard.fio.cli import serve_until_stopped
from dockyard.fio.jobs import FioError, JobFile
from dockyard.fio.run import MAX_LOG_MSEC, RunOptions, check_number, check_plotname
from dockyard.fio.run import run as run_fio

if TYPE_CHECKING:
    from dockyard.fio.serve import ReportServer

SCRATCH_DIR = ".dockyard-fio"

DEFAULT_JOB = """\
; dockyard bench default: 4k random reads and writes, a few seconds each
[global]
ioengine=psync
size=32M
runtime=5
time_based
group_reporting=0

[randread-4k]
rw=randread
bs=4k

[randwrite-4k]
stonewall
rw=randwrite
bs=4k
"""


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="run fio jobs against a directory, draw graphs and serve them",
        description="Run fio (a default 4k random read/write job, or the given job files) "
        "against DIR, keep the results in DATA_DIR/runs/<UTC time>-<NAME>/, draw graphs "
        "and serve the report page. fio's test files go to DIR/.dockyard-fio/ and are "
        "reused by later runs (delete that directory to reclaim the space).",
    )
    parser.add_argument("target", nargs="?", default=".", help="directory to test (default .)")
    parser.add_argument("-j", "--job", action="append", default=[], help="fio job file")
    parser.add_argument("-n", "--name", default="bench", help="run name (default bench)")
    parser.add_argument("-d", "--data-dir", help="where results go (default TARGET/fio-data)")
    parser.add_argument(
        "--port", default=str(PLOTS_PORT), help=f"port (default {PLOTS_PORT}; 0 picks a free one)"
    )
    parser.add_argument("--bind", default="127.0.0.1", help="address to serve on")
    parser.add_argument("--no-serve", action="store_true", help="exit after drawing")
    parser.add_argument("--log-msec", default="1000", help="log interval (ms, default 1000)")
    parser.set_defaults(func=run)


def _progress(line: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r" + line[:120].ljust(120))
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _check_path(text: str, what: str) -> Path:
    """Paths end up in fio's output and ours, which are UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise UsageError(f"{what} {text!r} is not a UTF-8 path; rename it or use another") from err
    return Path(text)


def _check_writable(directory: Path, what: str, fix: str) -> None:
    """`directory`, or the nearest existing directory above it, takes new files (a file
    made and removed at once: nothing is left behind)."""
    existing = next((p for p in (directory, *directory.parents) if p.exists()), Path.cwd())
    try:
        if not existing.is_dir():
            raise NotADirectoryError(f"{existing} is not a directory")
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        reason = err.strerror or str(err)
        raise UsageError(f"{what} {directory} is not writable ({reason}); {fix}") from err


def _bind(data_dir: Path, host: str, port: int) -> ReportServer:
    from dockyard.fio.serve import make_server

    try:
        return make_server(data_dir, host=host, port=port)
    except (OSError, ValueError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise UsageError(
            f"cannot serve the report on {host}:{port} ({reason}); choose another --port or "
            "--bind, or use --no-serve"
        ) from err


def run(args: argparse.Namespace) -> int:
    target = _check_path(args.target, "target")
    if not target.is_dir():
        raise UsageError(f"{target} is not a directory; give the directory to benchmark")
    data_dir = _check_path(args.data_dir, "-d") if args.data_dir else target / "fio-data"
    job_paths = [str(_check_path(job, "job file")) for job in args.job]
    with contextlib.ExitStack() as stack:
        try:
            check_plotname(args.name)
            port = check_number(args.port, "--port", 0, 65535)
            log_msec = check_number(args.log_msec, "--log-msec", 1, MAX_LOG_MSEC)
            if job_paths:
                job_files = jobs_mod.resolve(job_paths, [], Path.cwd())
            else:
                job_files = [JobFile("default.fio", DEFAULT_JOB, "dockyard default")]
            jobs_mod.parse_only(job_files)
        except FioError as err:
            raise UsageError(str(err)) from err
        # The port is bound before fio runs: one in use is found now, not after the run.
        server = None if args.no_serve else stack.enter_context(_bind(data_dir, args.bind, port))
        _check_writable(target, "target", "give a directory you can write to")
        _check_writable(data_dir, "data directory", "give a writable directory with -d")
        try:
            # fio's test files live in TARGET/.dockyard-fio and are reused by later runs, as
            # plain fio reuses its files; results go to the run directory.
            scratch = target / SCRATCH_DIR
            scratch.mkdir(exist_ok=True)
            options = RunOptions(
                data_dir=data_dir, plotname=args.name, target_dir=scratch, log_msec=log_msec
            )
            result = run_fio(job_files, options, progress=_progress)
            if sys.stderr.isatty():
                sys.stderr.write("\n")
            from dockyard.fio.report import write_report

            write_report(data_dir)
        except FioError as err:
            raise UsageError(str(err)) from err
        print(f"results: {result.run_dir}", flush=True)
        if server is None:
            return result.returncode
        serve_until_stopped(
            server, data_dir, announce=lambda url: print(f"report: {url}", flush=True)
        )
    return result.returncode
