"""The four fio-tools images' entrypoint: `python3 -m dockyard.fio TOOL [ARGS]`.

`dockyard bench` (dockyard/commands/bench.py) runs the same code on a laptop and
serves its report with `serve_until_stopped`.

The images read the seed's environment: JOBFILES, REMOTEFILES, PLOTNAME and the data
directory /tmp/fio-data (DATA_DIR overrides it). Also: FIO_ALLOW_HTTP=1 allows plain
http REMOTEFILES, FIO_CA_FILE adds a CA bundle, FIO_TARGET_DIR is where fio's test
files go when a job does not set `directory=`, FIO_LOG_MSEC is the log interval,
RESULTS_BUCKET / RESULTS_PREFIX copy each run directory to S3 (RESULTS_ENDPOINT_URL
for an S3-compatible store); the aio image first pulls the bucket's earlier runs
(FIO_PULL=0 turns that off). FIO_VOLUME_* / FIO_COMPUTE / FIO_INSTANCE_TYPE /
AWS_REGION describe the volume under test in each run's metadata (run.VOLUME_ENV).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockyard.errors import EXIT_BAD_INPUT
from dockyard.fio import PLOTS_PORT
from dockyard.fio import jobs as jobs_mod
from dockyard.fio.jobs import FioError, JobFile
from dockyard.fio.run import (
    MAX_LOG_MSEC,
    RunOptions,
    RunResult,
    check_number,
    check_plotname,
    env_flag,
    run,
    volume_from_env,
)

if TYPE_CHECKING:
    from dockyard.fio.serve import ReportServer

# The report (matplotlib) and server modules are imported where used, so the fio-tool
# image needs neither matplotlib nor the server.
DEFAULT_DATA_DIR = "/tmp/fio-data"  # noqa: S108 - the seed's volume path


def _log(message: str) -> None:
    print(f"dockyard-fio: {message}", file=sys.stderr, flush=True)


def options_from_env(env: Mapping[str, str]) -> RunOptions:
    data_dir = Path(env.get("DATA_DIR") or DEFAULT_DATA_DIR)
    target = env.get("FIO_TARGET_DIR")
    log_msec = check_number(env.get("FIO_LOG_MSEC") or "1000", "FIO_LOG_MSEC", 1, MAX_LOG_MSEC)
    return RunOptions(
        data_dir=data_dir,
        plotname=check_plotname(env.get("PLOTNAME") or "fio"),
        target_dir=Path(target) if target else None,
        log_msec=log_msec,
        volume=volume_from_env(env),
    )


def port_from_env(env: Mapping[str, str]) -> int:
    return check_number(env.get("PORT") or str(PLOTS_PORT), "PORT", 1, 65535)


def jobs_from_env(env: Mapping[str, str], data_dir: Path) -> list[JobFile]:
    return jobs_mod.resolve(
        jobs_mod.split_names(env.get("JOBFILES")),
        jobs_mod.split_names(env.get("REMOTEFILES")),
        data_dir,
        allow_http=env_flag("FIO_ALLOW_HTTP", dict(env)),
        cafile=env.get("FIO_CA_FILE") or None,
        search_dirs=[Path(env["FIO_JOBS_DIR"])] if env.get("FIO_JOBS_DIR") else [],
    )


def _s3_client(env: Mapping[str, str]) -> Any:
    import boto3

    # RESULTS_ENDPOINT_URL: an S3-compatible store instead of AWS S3 (MinIO, a test server).
    return boto3.client("s3", endpoint_url=env.get("RESULTS_ENDPOINT_URL") or None)


def _pull_earlier(data_dir: Path, env: Mapping[str, str]) -> None:
    """aio at start: the bucket's earlier runs (other volumes, earlier tasks) for the page."""
    bucket = env.get("RESULTS_BUCKET")
    if not bucket or (env.get("FIO_PULL") or "1").strip().lower() in {"0", "false", "no", "off"}:
        return
    from dockyard.fio.pull import pull

    result = pull(bucket, "", data_dir, client=_s3_client(env))
    _log(
        f"pulled {len(result.pulled)} earlier run(s) from s3://{bucket}/ "
        f"({len(result.present)} already here)"
    )


def _upload(result: RunResult, env: Mapping[str, str]) -> None:
    bucket = env.get("RESULTS_BUCKET")
    if not bucket:
        return
    from dockyard.fio.upload import upload_run

    prefix = env.get("RESULTS_PREFIX") or os.uname().nodename
    keys = upload_run(result.run_dir, bucket, prefix, client=_s3_client(env))
    _log(f"copied {len(keys)} files to s3://{bucket}/{prefix}/{result.run_dir.name}/")


def tool(env: Mapping[str, str]) -> int:
    """fio-tool: run the jobs into a new run directory; fio's exit status is ours."""
    options = options_from_env(env)
    job_files = jobs_from_env(env, options.data_dir)
    _log(f"running {', '.join(j.name for j in job_files)} as {options.plotname}")
    result = run(job_files, options)
    _log(f"results in {result.run_dir} (fio exit status {result.returncode})")
    return result.returncode


def genplots_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fio-genplots",
        description="Draw graphs for every run in the data dir and write the report page. "
        "The fio2gnuplot-style options (-t NAME -b|-i -g -p PATTERN) add a graph of the "
        "matching logs of the newest run (or --run).",
    )
    parser.add_argument("-t", "--title", help="title (and file name) of the pattern graph")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("-b", "--bandwidth", action="store_true", help="graph bandwidth logs")
    kind.add_argument("-i", "--iops", action="store_true", help="graph IOPS logs")
    parser.add_argument("-g", "--gnuplot", action="store_true", help="accepted for fio2gnuplot")
    parser.add_argument("-p", "--pattern", help="glob of log file names, e.g. '*_bw*'")
    parser.add_argument("--run", help="run directory name (default: the newest)")
    parser.add_argument("--compare", nargs="+", help="run names for the comparison chart")
    parser.add_argument("--data-dir", help=f"default: $DATA_DIR or {DEFAULT_DATA_DIR}")
    return parser


def genplots(argv: Sequence[str], env: Mapping[str, str]) -> int:
    from dockyard.fio.report import write_report

    parser = genplots_parser()
    args = parser.parse_args(list(argv))
    data_dir = Path(args.data_dir or env.get("DATA_DIR") or DEFAULT_DATA_DIR)
    if args.pattern:
        from dockyard.fio.plots import pattern_plot
        from dockyard.fio.results import list_runs

        runs = list_runs(data_dir)
        chosen = [r for r in runs if r.name == args.run] if args.run else runs[:1]
        if not chosen:
            raise FioError(f"no run {args.run or ''} under {data_dir}/runs; run fio-tool first")
        title = check_plotname(args.title or env.get("PLOTNAME") or "fio")
        png = pattern_plot(chosen[0].path, title, args.pattern, "iops" if args.iops else "bw")
        _log(f"wrote {png}")
    index = write_report(data_dir, args.compare)
    _log(f"wrote {index}")
    return 0


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_until_stopped(
    server: ReportServer, data_dir: Path, *, announce: Callable[[str], None] | None = None
) -> None:
    """Announce the bound server's URL, serve until SIGTERM or Ctrl-C."""
    host, port = server.server_address[:2]
    url = f"http://{host!s}:{port}/"
    _log(f"serving {data_dir} on {url}")
    if announce is not None:
        announce(url)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def plotserve(data_dir: Path, port: int) -> int:
    from dockyard.fio.report import write_report
    from dockyard.fio.serve import make_server

    write_report(data_dir)
    serve_until_stopped(make_server(data_dir, port=port), data_dir)
    return 0


def health(port: int) -> int:
    """The images' HEALTHCHECK: the listing answers 200 on localhost."""
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as err:
        _log(f"unhealthy: {url}: {err}")
        return 1


def aio(env: Mapping[str, str]) -> int:
    """fiotools-aio: serve on 8000 at once, pull earlier runs, run, draw, copy to S3.

    With the page served, a failure (a bad job file, fio failing, S3 unreachable) is
    logged and shown on the page, and the container keeps serving: on ECS an exit
    would only restart the task and run the failing job again, unseen.
    """
    from dockyard.fio.report import write_report
    from dockyard.fio.serve import make_server

    options = options_from_env(env)
    if env_flag("FIO_NO_SERVE", dict(env)):
        _pull_earlier(options.data_dir, env)
        result = run(jobs_from_env(env, options.data_dir), options)
        _log(f"results in {result.run_dir} (fio exit status {result.returncode})")
        write_report(options.data_dir)
        _upload(result, env)
        return result.returncode
    notices: list[str] = []
    port = port_from_env(env)
    options.data_dir.mkdir(parents=True, exist_ok=True)
    server = make_server(options.data_dir, port=port, notices=notices)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _log(f"serving {options.data_dir} on port {port}")
    status = 0
    outcome: dict[str, RunResult] = {}

    def bench() -> None:
        result = run(jobs_from_env(env, options.data_dir), options)
        outcome["run"] = result
        _log(f"results in {result.run_dir} (fio exit status {result.returncode})")
        if result.returncode != 0:
            notices.append(
                f"fio failed (exit status {result.returncode}) in {result.run_dir.name}: "
                "see its fio.log below; this container keeps serving and does not run again"
            )

    steps: list[tuple[str, Callable[[], object]]] = [
        ("pulling earlier runs", lambda: _pull_earlier(options.data_dir, env)),
        ("running the benchmark", bench),
        ("drawing the report", lambda: write_report(options.data_dir)),
        ("copying the run to S3", lambda: _upload(outcome["run"], env) if outcome else None),
    ]
    for what, step in steps:
        try:
            step()
        except FioError as err:
            _log(f"error {what}: {err}")
            notices.append(f"error {what}: {err}")
            status = EXIT_BAD_INPUT
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return outcome["run"].returncode if "run" in outcome and not status else status


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ)
    if not args or args[0] not in {"tool", "genplots", "plotserve", "aio", "health"}:
        usage = "usage: python3 -m dockyard.fio {tool|genplots|plotserve|aio|health} [ARGS]"
        print(usage, file=sys.stderr)
        return EXIT_BAD_INPUT
    command, rest = args[0], args[1:]
    try:
        if command == "health":
            return health(port_from_env(env))
        if command == "tool":
            return tool(env)
        if command == "genplots":
            return genplots(rest, env)
        if command == "plotserve":
            data_dir = Path(env.get("DATA_DIR") or DEFAULT_DATA_DIR)
            return plotserve(data_dir, port_from_env(env))
        return aio(env)
    except FioError as err:
        _log(f"error: {err}")
        return EXIT_BAD_INPUT
