"""`dockyard bench run|compare|pull|serve`: run fio against a directory, draw the graphs
and serve the report (`bench run DIR`, also `bench DIR`: see `with_default_action`);
compare runs (`bench compare RUN...`); fetch runs from S3 (`bench pull
s3://BUCKET[/PREFIX] [DIR]`); serve results (`bench serve DIR`). The same run, report
and server code as the fio-tools images (dockyard/fio/). Every input is checked, and the
report's port bound, before fio runs or anything is written.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dockyard.commands import (
    FROM_OUTPUTS,
    Subparsers,
    add_stack_option,
    check_endpoint_url,
    stack_outputs,
)
from dockyard.errors import UsageError
from dockyard.fio import PLOTS_PORT
from dockyard.fio import jobs as jobs_mod
from dockyard.fio.entrypoint import serve_until_stopped
from dockyard.fio.jobs import FioError, JobFile
from dockyard.fio.run import MAX_LOG_MSEC, RunOptions, check_number, check_plotname
from dockyard.fio.run import run as run_fio
from dockyard.terminal import printable

if TYPE_CHECKING:
    from dockyard.fio.ecs import EbsVolume
    from dockyard.fio.ecs_target import EcsTarget
    from dockyard.fio.instance_store import InstanceStore
    from dockyard.fio.limits import Limits
    from dockyard.fio.results import RunInfo
    from dockyard.fio.serve import ReportServer
    from dockyard.fio.sweep import PointResult

SCRATCH_DIR = ".dockyard-fio"
ACTIONS = ("run", "sweep", "compare", "pull", "serve", "ecs")

# Direct I/O with an async engine measures the device, not the page cache: 4k random
# reads, then writes, 32 in flight, over one 1 GiB file both jobs share (bigger than a
# drive's cache; laid out once and reused by later runs).
DEFAULT_JOB = """\
; dockyard bench default: the device's 4k random read and write IOPS (direct I/O)
[global]
ioengine=libaio
direct=1
iodepth=32
filename=dockyard-bench.dat
size={size}
runtime={runtime}
time_based
ramp_time=1
group_reporting=0

[randread-4k-qd32]
rw=randread
bs=4k

[randwrite-4k-qd32]
stonewall
rw=randwrite
bs=4k
"""
DEFAULT_RUNTIME = 10
DEFAULT_SIZE = "1G"


def default_job(runtime: int = DEFAULT_RUNTIME, size: str = DEFAULT_SIZE) -> JobFile:
    return JobFile(
        "default.fio", DEFAULT_JOB.format(runtime=runtime, size=size), "dockyard default"
    )


def with_default_action(argv: Sequence[str]) -> list[str]:
    """`dockyard bench ARGS` is `dockyard bench run ARGS` unless ARGS starts with an action
    or -h/--help: `bench DIR`, `bench -j JOB.fio DIR` and plain `bench` benchmark, and
    `bench run serve` benchmarks a directory named `serve`."""
    words = list(argv)
    if words[:1] == ["bench"] and (words[1:2] == [] or words[1] not in (*ACTIONS, "-h", "--help")):
        words.insert(1, "run")
    return words


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="run fio jobs against a directory, draw graphs and serve them",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Benchmark a directory with fio, compare the runs, fetch them from S3, serve the report.
`dockyard bench ACTION --help` shows an action's options.

Without an action, `dockyard bench [ARGS]` is `dockyard bench run [ARGS]`: when the word
after `bench` is not run, sweep, compare, pull, serve, ecs, -h or --help, it is run's. So
`dockyard bench DIR` benchmarks DIR; a directory named like an action needs
`dockyard bench run DIR` (e.g. `dockyard bench run serve`).""",
    )
    actions = parser.add_subparsers(dest="bench_action", metavar="ACTION", required=True)
    _register_run(actions)
    _register_sweep(actions)
    _register_compare(actions)
    _register_pull(actions)
    _register_serve(actions)
    _register_ecs(actions)


def _register_run(actions: Subparsers) -> None:
    parser = actions.add_parser(
        "run",
        help="run fio against DIR, keep the results, draw graphs and serve the report",
        description=(
            "Run fio against DIR (default .), keep the results in DATA_DIR/runs/<UTC time>-"
            "<NAME>/, draw graphs and serve the report. Without -j a default job measures "
            "the device: 4k random reads then writes, libaio, direct=1, queue depth 32, a 1 "
            "GiB file (--size, --runtime). fio's test files go to DIR/.dockyard-fio/ and are "
            "reused by later runs (delete it to reclaim the space)."
        ),
    )
    _add_run_options(parser)
    parser.add_argument(
        "-j", "--job", action="append", default=[], help="fio job file (repeatable)"
    )
    parser.add_argument(
        "--runtime", type=int, help=f"default job: seconds per job (default {DEFAULT_RUNTIME})"
    )
    parser.add_argument("--size", help=f"default job: test file size (default {DEFAULT_SIZE})")
    _add_limit_options(parser)
    parser.set_defaults(func=run)


def _add_limit_options(parser: argparse.ArgumentParser) -> None:
    """run's and sweep's container limits (dockyard/fio/limits.py)."""
    limits = parser.add_argument_group(
        "limits",
        "any of these runs fio in a container (podman, else docker; DOCKYARD_CONTAINER_ENGINE "
        "overrides) with the limits, device limits on the disk holding DIR",
    )
    limits.add_argument("--cpus", help="CPUs, e.g. 1 or 0.5")
    limits.add_argument("--memory", help="memory, e.g. 512m")
    for flag, what in (
        ("read-iops", "reads/s"),
        ("write-iops", "writes/s"),
        ("read-bps", "bytes read/s, e.g. 10m"),
        ("write-bps", "bytes written/s, e.g. 10m"),
    ):
        limits.add_argument(f"--device-{flag}", metavar="N", help=f"at most N {what}")
    limits.add_argument(
        "--image", default="fio-tool", help="the image with fio (default fio-tool, see docs/fio.md)"
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """What run and sweep share: the target, the name, the data dir, the page, the logs."""
    parser.add_argument("target", nargs="?", default=".", metavar="DIR", help="default .")
    parser.add_argument("-n", "--name", default="bench", help="run name (default bench)")
    parser.add_argument(
        "-d", "--data-dir", metavar="DATA_DIR", help="where to keep results (default DIR/fio-data)"
    )
    _add_serve_options(parser)
    parser.add_argument("--no-serve", action="store_true", help="exit after drawing")
    parser.add_argument("--log-msec", default="1000", help="log interval (ms, default 1000)")


def _register_sweep(actions: Subparsers) -> None:
    parser = actions.add_parser(
        "sweep",
        help="run every combination of --rw x --bs x --iodepth x --numjobs in one run",
        description=(
            "Run fio over every combination of the lists (comma-separated or repeated), one "
            "point after another over one test file in DIR/.dockyard-fio/ (libaio, direct=1), "
            "and keep them in one run directory; metadata.json names each parameter and "
            "point. Draws IOPS and mean/p99 latency across iodepth for each numjobs, and a "
            "latency histogram per point."
        ),
    )
    _add_run_options(parser)
    for flag, default in (
        ("--rw", "randread"),
        ("--bs", "4k"),
        ("--iodepth", "1"),
        ("--numjobs", "1"),
    ):
        parser.add_argument(
            flag, action="append", default=[], help=f"list, e.g. a,b (default {default})"
        )
    parser.add_argument("--size", default="1G", help="test file size (default 1G)")
    parser.add_argument("--runtime", type=int, default=10, help="seconds per point (default 10)")
    parser.add_argument(
        "--ramp", type=int, default=2, help="seconds per point before measuring (default 2)"
    )
    parser.add_argument(
        "--precondition", action="store_true", help="fill the test file sequentially first"
    )
    parser.add_argument(
        "--steadystate",
        metavar="SPEC",
        help="fio's steadystate, e.g. iops_slope:0.3%%: a point ends once steady",
    )
    parser.add_argument(
        "--ss-duration", type=int, metavar="S", help="steady-state window (default --runtime)"
    )
    _add_limit_options(parser)
    parser.set_defaults(func=sweep)


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-d",
        "--data-dir",
        metavar="DATA_DIR",
        default="fio-data",
        help="the data dir holding runs/ (default ./fio-data)",
    )


def _add_serve_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", default=str(PLOTS_PORT), help=f"port (default {PLOTS_PORT}; 0 picks a free one)"
    )
    parser.add_argument(
        "--bind", default="127.0.0.1", help="address to serve on (default 127.0.0.1)"
    )


def _register_compare(actions: Subparsers) -> None:
    parser = actions.add_parser(
        "compare",
        help="compare runs: a table, and with --png a chart",
        description=(
            "Print IOPS, bandwidth and p99 latency of each named run (RUN or RUN,RUN), in "
            "the order given (sweeps: each point's IOPS and p99 per run, side by side); --png "
            "FILE also draws them in one chart (sweeps: the same points side by side, IOPS and "
            "p99 per rw, block size and direction), --csv FILE and --json "
            "FILE write them as data (one record per run, job and direction, grouped by "
            "volume and limits; sweeps: one per point and direction, each run's IOPS, mean "
            "and p99 latency, volume and limits side by side)."
        ),
    )
    parser.add_argument("runs", nargs="*", metavar="RUN", help="run directory names")
    _add_data_dir(parser)
    parser.add_argument("--png", metavar="FILE", help="also write the comparison chart here")
    parser.add_argument(
        "--csv", metavar="FILE", help="also write the comparison as CSV (grouped by volume, limits)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the comparison as JSON")
    parser.set_defaults(func=compare)


def _register_pull(actions: Subparsers) -> None:
    parser = actions.add_parser(
        "pull",
        help="fetch the runs kept in S3 that DIR lacks",
        description=(
            "Fetch the runs under s3://BUCKET[/PREFIX] that DIR (default ./fio-data) lacks, "
            "each file checked against its sha256; a run is moved into place only whole."
        ),
    )
    parser.add_argument("url", metavar="s3://BUCKET[/PREFIX]")
    parser.add_argument("dir", nargs="?", metavar="DIR", help="where to put the runs (default: -d)")
    _add_data_dir(parser)
    parser.add_argument(
        "--endpoint-url", metavar="URL", help="an S3-compatible endpoint (e.g. moto server)"
    )
    parser.set_defaults(func=pull)


def _register_serve(actions: Subparsers) -> None:
    parser = actions.add_parser(
        "serve",
        help="serve the results in DIR without running fio",
        description="Serve the report of the runs in DIR (a data dir holding runs/).",
    )
    parser.add_argument("dir", metavar="DIR", help="data dir holding runs/")
    _add_serve_options(parser)
    parser.set_defaults(func=serve)


def _register_ecs(actions: Subparsers) -> None:
    parser = actions.add_parser(
        "ecs",
        help="one one-off ECS task per --volume, then pull and compare the runs",
        description=(
            "Run the stack's fio task once per --volume (TYPE[:IOPS[:THROUGHPUT]], e.g. gp3, "
            "gp3:6000:250, io2:16000), each with an ECS-managed EBS volume configured at run "
            "time, or instance-store (the direct-attached NVMe of the cluster's EC2 hosts of "
            "--instance-type); wait for them, pull their runs from the results bucket into "
            "DATA_DIR and compare them. A value without its flag comes from the stack's "
            "fioTasks output (a flag given wins; the outputs are read only when a value the "
            f"run needs has no flag). {FROM_OUTPUTS}"
        ),
    )
    parser.add_argument("--volume", action="append", required=True, metavar="SPEC")
    parser.add_argument("--size-gib", type=int, default=20, help="volume size (default 20)")
    parser.add_argument("--cluster", help="the cluster (default fioTasks.cluster)")
    parser.add_argument(
        "--task-definition", help="the fio task definition, EBS volumes (fioTasks.taskDefinition)"
    )
    parser.add_argument(
        "--role-arn", help="ECS's infrastructure role for EBS (fioTasks.volumeRole)"
    )
    parser.add_argument("--subnet", action="append", default=[], help="(fioTasks.subnets)")
    parser.add_argument(
        "--security-group", action="append", default=[], help="(fioTasks.securityGroups)"
    )
    parser.add_argument(
        "--assign-public-ip",
        action=argparse.BooleanOptionalAction,
        help="EBS tasks get a public address, for public subnets without a NAT "
        "(fioTasks.assignPublicIp, else no)",
    )
    store = parser.add_argument_group(
        "instance store",
        "--volume instance-store runs on the cluster's EC2 capacity of --instance-type, with "
        "the task definition that mounts the hosts' instance store (see docs/fio.md)",
    )
    store.add_argument(
        "--instance-type", help="an instance type with instance store (fioTasks.instanceType)"
    )
    store.add_argument(
        "--ec2-task-definition",
        help="fio task definition for EC2, fioVolume host (fioTasks.instanceStoreTaskDefinition)",
    )
    store.add_argument(
        "--capacity-provider",
        help="the cluster's EC2 capacity provider (fioTasks.capacityProvider, else launch type "
        "EC2)",
    )
    parser.add_argument(
        "--results", metavar="s3://BUCKET[/PREFIX]", help="where the runs go (fioTasks.results)"
    )
    parser.add_argument("--cpu", type=int, help="task CPU units override (recorded)")
    parser.add_argument("--memory", type=int, help="task memory MiB override (recorded)")
    parser.add_argument("-n", "--name", default="ecs", help="run name prefix (default ecs)")
    _add_data_dir(parser)
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds to wait (default 3600)"
    )
    parser.add_argument("--poll", type=float, default=10, help="seconds between checks")
    parser.add_argument("--endpoint-url", metavar="URL", help="an AWS-compatible endpoint (moto)")
    add_stack_option(parser)
    parser.set_defaults(func=ecs)


def _ecs_target(args: argparse.Namespace) -> EcsTarget:
    """bench ecs's values from its flags, else from the stack's fioTasks output (read when
    a value the --volume specs need has no flag, or --stack is given)."""
    from dockyard.fio.ecs_target import resolve
    from dockyard.fio.instance_store import INSTANCE_STORE

    flags = {
        "cluster": args.cluster,
        "results": args.results,
        "task_definition": args.task_definition,
        "volume_role": args.role_arn,
        "subnets": args.subnet,
        "security_groups": args.security_group,
        "assign_public_ip": args.assign_public_ip,
        "instance_type": args.instance_type,
        "instance_store_task_definition": args.ec2_task_definition,
        "capacity_provider": args.capacity_provider,
    }
    return resolve(
        flags,
        ebs=any(spec != INSTANCE_STORE for spec in args.volume),
        instance_store=INSTANCE_STORE in args.volume,
        outputs=lambda: stack_outputs(args, "bench ecs"),
        named_stack=args.stack is not None,
    )


def ecs(args: argparse.Namespace) -> int:
    import boto3

    from dockyard.fio import ecs_bench
    from dockyard.fio.ecs import parse_volume_spec
    from dockyard.fio.instance_store import INSTANCE_STORE
    from dockyard.fio.pull import parse_s3_url
    from dockyard.fio.pull import pull as pull_runs

    endpoint = check_endpoint_url(args.endpoint_url)
    # the volume specs first (no outputs read for a typo), then the values they need
    specs = [
        parse_volume_spec(spec, args.size_gib) for spec in args.volume if spec != INSTANCE_STORE
    ]
    target = _ecs_target(args)
    bucket, prefix = parse_s3_url(target.results, target.source("results"))
    client = boto3.client("ecs", endpoint_url=endpoint)
    stores = _instance_stores(
        args, target, client, lambda: boto3.client("ec2", endpoint_url=endpoint)
    )
    volumes: list[EbsVolume | InstanceStore] = [*specs, *stores]
    ebs, ec2 = target.ebs(args.cpu, args.memory), target.ec2(args.cpu, args.memory)
    launches = ecs_bench.plan(volumes, args.name, ebs, ec2)
    arns = ecs_bench.start(client, launches)
    for launch, arn in zip(launches, arns, strict=True):
        print(f"started {launch.plotname}: {arn}", flush=True)
    tasks = ecs_bench.wait_stopped(
        client, target.cluster, arns, timeout=args.timeout, poll=args.poll
    )
    problems = ecs_bench.failed(tasks)
    for problem in problems:
        print(f"failed: {printable(problem)}", file=sys.stderr)
    data_dir = Path(args.data_dir)
    s3 = boto3.client("s3", endpoint_url=endpoint)
    pull_runs(bucket, prefix, data_dir, client=s3)
    names = ecs_bench.newest_runs(data_dir, [launch.plotname for launch in launches])
    args.runs, args.png, args.csv, args.json = names, None, None, None
    compare(args)
    return 1 if problems else 0


def _instance_stores(
    args: argparse.Namespace, target: EcsTarget, ecs_client: Any, ec2_client: Callable[[], Any]
) -> list[InstanceStore]:
    """One InstanceStore per `--volume instance-store`, checked before any task starts: its
    type by DescribeInstanceTypes, its task definition by DescribeTaskDefinition (errors
    name the flag or fioTasks key each came from)."""
    from dockyard.fio.instance_store import (
        INSTANCE_STORE,
        InstanceStore,
        check_instance_type,
        host_path_of,
    )

    count = args.volume.count(INSTANCE_STORE)
    if not count:
        return []
    instance_type = str(target.instance_type)
    definition = str(target.instance_store_task_definition)
    disks = check_instance_type(ec2_client(), instance_type, target.source("instance_type"))
    found = ecs_client.describe_task_definition(taskDefinition=definition)
    path = host_path_of(found["taskDefinition"], target.source("instance_store_task_definition"))
    return [InstanceStore(instance_type, disks, path) for _ in range(count)]


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


def compare(args: argparse.Namespace) -> int:
    from dockyard.fio.report import ensure_plots, parse_selection, select_runs

    data_dir = Path(args.data_dir)
    names = parse_selection(args.runs)
    if not names:
        raise UsageError("name the runs to compare: dockyard bench compare RUN... [-d DATA_DIR]")
    for flag, value in (("--png", args.png), ("--csv", args.csv), ("--json", args.json)):
        if value and not _check_path(value, flag).parent.is_dir():
            raise UsageError(f"{flag} {value}: {Path(value).parent} is not a directory")
    runs = ensure_plots(data_dir)
    problems = {run.name: run.problem for run in runs if run.problem}
    corrupt = [f"{name} ({problems[name]})" for name in names if name in problems]
    if corrupt:
        raise UsageError(
            f"cannot compare run {'; '.join(corrupt)} in {data_dir}/runs: leave it out, or "
            "remove it and pull or run it again"
        )
    try:
        chosen = select_runs(runs, names)
    except FioError as err:
        raise UsageError(f"{err} in {data_dir}/runs") from err
    from dockyard.fio.sweep_plots import sweep_runs

    sweeps = sweep_runs(chosen)
    if sweeps and len(sweeps) == len(chosen):
        _print_sweeps(sweeps)
    else:
        _print_rows(chosen)
    _write_exports(args, chosen, every_run_a_sweep=len(sweeps) == len(chosen))
    return 0


def _print_rows(chosen: list[RunInfo]) -> None:
    header = f"{'run':40} {'job':24} {'dir':5} {'IOPS':>10} {'MiB/s':>9} {'p99 µs':>9}"
    print(header)
    for run in chosen:
        print(f"{run.name:40} ({printable(run.label)})")
        for row in run.rows:
            print(
                f"{'':40} {row.job:24} {row.direction:5} {row.iops:10.0f} "
                f"{row.bw_mib_s:9.2f} {row.p99_us:9.1f}"
            )


def _print_sweeps(sweeps: list[tuple[RunInfo, list[PointResult]]]) -> None:
    """Sweeps side by side: one line per point and direction, IOPS and p99 per run."""
    for number, (run, _) in enumerate(sweeps, start=1):
        print(f"[{number}] {run.name} ({printable(run.label)})")
    keys = list(dict.fromkeys((p.job, p.direction) for _, points in sweeps for p in points))
    heads = "".join(
        f" {f'[{n}] IOPS':>11} {f'[{n}] p99 µs':>12}" for n in range(1, len(sweeps) + 1)
    )
    print(f"{'point':40} {'dir':5}{heads}")
    for job, direction in keys:
        cells = ""
        for _, points in sweeps:
            found = next((p for p in points if (p.job, p.direction) == (job, direction)), None)
            cells += (
                f" {found.iops:11.0f} {found.p99_us:12.1f}" if found else f" {'-':>11} {'-':>12}"
            )
        print(f"{job:40} {direction:5}{cells}")


def _write_exports(
    args: argparse.Namespace, chosen: list[RunInfo], every_run_a_sweep: bool = False
) -> None:
    """compare's --png (for sweeps only: their points side by side), --csv and --json files
    (each written whole, or not at all)."""
    from dockyard.files import write_file
    from dockyard.fio.export import comparison_csv, comparison_json

    if args.png and every_run_a_sweep:
        from dockyard.fio.sweep_plots import sweep_comparison_chart

        print(f"chart: {sweep_comparison_chart(chosen, Path(args.png))}")
    elif args.png:
        from dockyard.fio.plots import comparison_chart

        print(f"chart: {comparison_chart(chosen, Path(args.png))}")
    for value, make in ((args.csv, comparison_csv), (args.json, comparison_json)):
        if value:
            write_file(Path(value), make(chosen))
            print(f"data: {value}")


def pull(args: argparse.Namespace) -> int:
    import boto3

    from dockyard.fio.pull import parse_s3_url
    from dockyard.fio.pull import pull as pull_runs

    data_dir = Path(args.dir or args.data_dir)
    bucket, prefix = parse_s3_url(args.url)
    client = boto3.client("s3", endpoint_url=check_endpoint_url(args.endpoint_url))
    result = pull_runs(bucket, prefix, data_dir, client=client)
    for name in result.pulled:
        print(f"pulled {name}")
    print(
        f"{len(result.pulled)} run(s) pulled into {data_dir}/runs, "
        f"{len(result.present)} already there"
        + (f", {len(result.unverified)} file(s) had no checksum" if result.unverified else "")
    )
    return 0


def serve(args: argparse.Namespace) -> int:
    data_dir = Path(args.dir)
    if not data_dir.is_dir():
        raise UsageError(f"{data_dir} is not a directory; give a data dir holding runs/")
    port = check_number(args.port, "--port", 0, 65535)
    with _bind(data_dir, args.bind, port) as server:
        serve_until_stopped(
            server, data_dir, announce=lambda url: print(f"report: {url}", flush=True)
        )
    return 0


def run(args: argparse.Namespace) -> int:
    if args.job and (args.runtime or args.size):
        raise UsageError("--runtime and --size set the default job; edit your job file instead")
    job_paths = [str(_check_path(job, "job file")) for job in args.job]

    def job_files() -> list[JobFile]:
        if job_paths:
            return jobs_mod.resolve(job_paths, [], Path.cwd())
        runtime, size = args.runtime or DEFAULT_RUNTIME, args.size or DEFAULT_SIZE
        return [default_job(runtime, size)]

    return _execute(args, job_files, {})


def sweep(args: argparse.Namespace) -> int:
    from dockyard.fio.sweep import check_spec, sweep_job

    spec = check_spec(
        args.rw,
        args.bs,
        args.iodepth,
        args.numjobs,
        size=args.size,
        runtime=args.runtime,
        ramp=args.ramp,
        precondition=args.precondition,
        steadystate=args.steadystate,
        ss_duration=args.ss_duration,
    )
    points = spec.points()
    print(f"sweep: {len(points)} point(s), about {len(points) * (spec.runtime + spec.ramp)} s")
    return _execute(args, lambda: [sweep_job(spec)], {"sweep": spec.as_metadata()})


def _limits(args: argparse.Namespace, target: Path) -> Limits | None:
    """run's and sweep's container limits (None without any)."""
    from dockyard.fio.limits import DEVICE_OPTIONS, check_limits
    from dockyard.fio.run import filesystem_of

    keys = ("cpus", "memory", *DEVICE_OPTIONS)
    given = {key: getattr(args, key, None) for key in keys}
    source = filesystem_of(target)["source"]
    return check_limits(given, source, os.environ, getattr(args, "image", "fio-tool"))


def _execute(
    args: argparse.Namespace, make_jobs: Callable[[], list[JobFile]], extra: dict[str, Any]
) -> int:
    """Check everything, bind the port, run fio, draw, then serve (run and sweep)."""
    target = _check_path(args.target, "target")
    if not target.is_dir():
        raise UsageError(f"{target} is not a directory; give the directory to benchmark")
    data_dir = _check_path(args.data_dir, "-d") if args.data_dir else target / "fio-data"
    with contextlib.ExitStack() as stack:
        check_plotname(args.name)
        port = check_number(args.port, "--port", 0, 65535)
        log_msec = check_number(args.log_msec, "--log-msec", 1, MAX_LOG_MSEC)
        job_files = make_jobs()
        jobs_mod.parse_only(job_files)
        # The port is bound before fio runs: one in use is found now, not after the run.
        server = None if args.no_serve else stack.enter_context(_bind(data_dir, args.bind, port))
        _check_writable(target, "target", "give a directory you can write to")
        _check_writable(data_dir, "data directory", "give a writable directory with -d")
        limits = _limits(args, target)
        if limits is not None and "sweep" in extra:
            from dockyard.fio.sweep import with_limits

            extra = {**extra, "sweep": with_limits(extra["sweep"], limits.as_metadata())}
        # fio's test files live in TARGET/.dockyard-fio (made once the jobs are checked)
        # and are reused by later runs, as plain fio reuses its files.
        options = RunOptions(
            data_dir=data_dir,
            plotname=args.name,
            target_dir=target / SCRATCH_DIR,
            log_msec=log_msec,
            create_target=True,
            extra=extra,
            limits=limits,
        )
        result = run_fio(job_files, options, progress=_progress)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        from dockyard.fio.report import write_report

        write_report(data_dir)
        print(f"results: {result.run_dir}", flush=True)
        if server is None:
            return result.returncode
        serve_until_stopped(
            server, data_dir, announce=lambda url: print(f"report: {url}", flush=True)
        )
    return result.returncode
