"""`dockyard bench`: run fio against a directory, draw the graphs and serve the report.

The same run, report and server code as the fio-tools images (dockyard/fio/).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dockyard.commands import Subparsers
from dockyard.errors import UsageError
from dockyard.fio import PLOTS_PORT
from dockyard.fio import jobs as jobs_mod
from dockyard.fio.cli import serve_until_stopped
from dockyard.fio.jobs import FioError, JobFile
from dockyard.fio.run import RunOptions, check_plotname
from dockyard.fio.run import run as run_fio

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
    parser.add_argument("--port", type=int, default=PLOTS_PORT, help=f"port (default {PLOTS_PORT})")
    parser.add_argument("--bind", default="127.0.0.1", help="address to serve on")
    parser.add_argument("--no-serve", action="store_true", help="exit after drawing")
    parser.add_argument("--log-msec", type=int, default=1000, help="log interval (ms)")
    parser.set_defaults(func=run)


def _progress(line: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\r" + line[:120].ljust(120))
    else:
        sys.stderr.write(line + "\n")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    target = Path(args.target)
    if not target.is_dir():
        raise UsageError(f"{target} is not a directory; give the directory to benchmark")
    data_dir = Path(args.data_dir) if args.data_dir else target / "fio-data"
    try:
        check_plotname(args.name)
        if args.job:
            job_files = jobs_mod.resolve(args.job, [], Path.cwd())
        else:
            job_files = [JobFile("default.fio", DEFAULT_JOB, "dockyard default")]
        # fio's test files live in TARGET/.dockyard-fio and are reused by later runs, as
        # plain fio reuses its files; results go to the run directory.
        scratch = target / SCRATCH_DIR
        scratch.mkdir(exist_ok=True)
        options = RunOptions(
            data_dir=data_dir,
            plotname=args.name,
            target_dir=scratch,
            log_msec=args.log_msec,
        )
        result = run_fio(job_files, options, progress=_progress)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        from dockyard.fio.report import write_report

        write_report(data_dir)
    except FioError as err:
        raise UsageError(str(err)) from err
    print(f"results: {result.run_dir}", flush=True)
    if args.no_serve:
        return result.returncode
    serve_until_stopped(
        data_dir, args.bind, args.port, announce=lambda url: print(f"report: {url}", flush=True)
    )
    return result.returncode
