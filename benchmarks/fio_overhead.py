"""Overhead of `dockyard bench` over plain fio: the default job, alternated, side by side.

Runs N pairs (default 5) of: fio directly on `dockyard bench`'s default job (libaio,
direct=1, 4k random reads then writes at queue depth 32), then `dockyard bench` with
that default job on the same target and test file (which adds the bw/iops/lat/histogram
logs, the run directory, metadata, graphs and the page). Within each pair the order
alternates. Prints each pair's IOPS and the median ratio bench/direct. Target: at least
0.97. The directory must be on a disk file system (direct I/O); the default temp dir is
made under /var/tmp.

    .venv/bin/python benchmarks/fio_overhead.py [--pairs 5] [--runtime 3] [--size 1G] [--dir DIR]

With `--sweep`, the same for `dockyard bench sweep` (randread and randwrite, 4k, iodepth
1 and 8, numjobs 1 and 2: 8 points, `--runtime` seconds each after a 1 s ramp) against
fio running the same sweep job file, over one test file filled once (untimed) before
the first pair, so neither side pays for laying it out. A shared disk's throughput
drifts by tens of percent from one half-minute to the next, so each point's figure is
the median over the pairs of each side (order alternating), and the printed ratio is
the median over the points of bench/direct; the load average is printed before and
after, and each side's wall time (bench's includes drawing the graphs and the page).

    .venv/bin/python benchmarks/fio_overhead.py --sweep [--pairs 5] [--runtime 3] [--size 256M]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dockyard.commands.bench import SCRATCH_DIR, default_job
from dockyard.fio.results import load_result
from dockyard.fio.sweep import SweepSpec, point_results, sweep_job

TARGET_RATIO = 0.97


def total_iops(result: dict[str, object]) -> float:
    jobs = result["jobs"]
    assert isinstance(jobs, list)
    return float(sum(job["read"]["iops"] + job["write"]["iops"] for job in jobs))


def run_direct(job: Path, target: Path, out: Path) -> float:
    # The same test file bench uses (its default job names it; bench puts it in SCRATCH_DIR).
    scratch = target / SCRATCH_DIR
    scratch.mkdir(exist_ok=True)
    subprocess.run(
        ["fio", "--output-format=json", f"--output={out}", f"--directory={scratch}", str(job)],
        check=True,
        capture_output=True,
    )
    return total_iops(json.loads(out.read_text(encoding="utf-8")))


def run_bench(target: Path, data: Path, runtime: int, size: str) -> float:
    before = set((data / "runs").iterdir()) if (data / "runs").exists() else set()
    subprocess.run(
        [sys.executable, "-m", "dockyard", "bench", str(target), "--runtime", str(runtime),
         "--size", size, "-d", str(data), "-n", "overhead", "--no-serve"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (run_dir,) = set((data / "runs").iterdir()) - before
    return total_iops(json.loads((run_dir / "result.json").read_text(encoding="utf-8")))


SWEEP_ARGS = ["--rw", "randread,randwrite", "--bs", "4k", "--iodepth", "1,8", "--numjobs", "1,2"]


def sweep_spec(runtime: int, size: str) -> SweepSpec:
    """The sweep SWEEP_ARGS asks `dockyard bench sweep` for."""
    return SweepSpec(("randread", "randwrite"), ("4k",), (1, 8), (1, 2), size=size,
                     runtime=runtime, ramp=1)  # fmt: skip


def point_iops(spec: SweepSpec, result: dict[str, object] | None) -> dict[str, float]:
    assert result is not None, "fio's result did not parse"
    return {p.job: p.iops for p in point_results(spec.as_metadata(), result)}


def fill_test_file(spec: SweepSpec, work: Path, target: Path) -> None:
    """Lay out and fill the sweep's test file once (bench sweep --precondition's fill)."""
    job = work / "fill.fio"
    fill = dataclasses.replace(spec, rw=(), precondition=True)
    job.write_text(sweep_job(fill).content, encoding="utf-8")
    scratch = target / SCRATCH_DIR
    scratch.mkdir(exist_ok=True)
    subprocess.run(["fio", f"--directory={scratch}", str(job)], check=True, capture_output=True)


def run_direct_sweep(spec: SweepSpec, job: Path, target: Path, out: Path) -> dict[str, float]:
    subprocess.run(
        ["fio", "--output-format=json+", f"--output={out / 'result.json'}",
         f"--directory={target / SCRATCH_DIR}", str(job)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return point_iops(spec, load_result(out))


def run_bench_sweep(spec: SweepSpec, target: Path, data: Path) -> dict[str, float]:
    before = set((data / "runs").iterdir()) if (data / "runs").exists() else set()
    subprocess.run(
        [sys.executable, "-m", "dockyard", "bench", "sweep", str(target), *SWEEP_ARGS,
         "--runtime", str(spec.runtime), "--ramp", str(spec.ramp),
         "--size", spec.size, "-d", str(data), "-n", "overhead", "--no-serve"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (run_dir,) = set((data / "runs").iterdir()) - before
    return point_iops(spec, load_result(run_dir))


def _timed(run: Callable[[], dict[str, float]]) -> tuple[dict[str, float], float]:
    start = time.monotonic()
    return run(), time.monotonic() - start


def sweep_pairs(pairs: int, work: Path, target: Path, runtime: int, size: str) -> list[float]:
    """Each point's ratio of the medians over the pairs (bench/direct), order alternating."""
    spec = sweep_spec(runtime, size)
    job = work / "sweep.fio"
    job.write_text(sweep_job(spec).content, encoding="utf-8")
    fill_test_file(spec, work, target)
    data = work / "data"
    direct: list[dict[str, float]] = []
    bench: list[dict[str, float]] = []
    for pair in range(pairs):
        out = work / f"direct-{pair}"
        out.mkdir()
        sides = [
            ("direct", functools.partial(run_direct_sweep, spec, job, target, out), direct),
            ("bench", functools.partial(run_bench_sweep, spec, target, data), bench),
        ]
        times = {}
        for name, run, into in sides if pair % 2 == 0 else reversed(sides):
            result, times[name] = _timed(run)
            assert sorted(result) == sorted(p.name for p in spec.points()), result
            into.append(result)
        print(
            f"pair {pair + 1}: direct {sum(direct[-1].values()):,.0f} IOPS summed over the "
            f"points ({times['direct']:.1f} s), bench {sum(bench[-1].values()):,.0f} "
            f"({times['bench']:.1f} s)"
        )
    ratios = []
    for point in spec.points():
        median_direct = statistics.median(d[point.name] for d in direct)
        median_bench = statistics.median(b[point.name] for b in bench)
        ratios.append(median_bench / median_direct)
        print(f"  {point.name:32} direct {median_direct:9,.0f}  bench {median_bench:9,.0f}  "
              f"ratio {ratios[-1]:.3f}")  # fmt: skip
    return ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--runtime", type=int, default=3, help="seconds per fio run")
    parser.add_argument("--size", default="1G", help="test file size")
    parser.add_argument("--dir", help="directory to test (default: a temp dir in /var/tmp)")
    parser.add_argument("--sweep", action="store_true", help="a sweep instead of the default job")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fio-overhead-", dir="/var/tmp") as tmp:
        work = Path(tmp)
        target = Path(args.dir) if args.dir else work / "target"
        target.mkdir(exist_ok=True)
        if args.sweep:
            print(_load())
            ratios = sweep_pairs(args.pairs, work, target, args.runtime, args.size)
            print(_load())
            return _verdict(ratios, "bench sweep/direct (median over the points)")
        job = work / "default.fio"
        job.write_text(default_job(args.runtime, args.size).content, encoding="utf-8")
        data = work / "data"
        # Untimed warm-ups so both lay out their test files before the first pair.
        run_direct(job, target, work / "warmup.json")
        run_bench(target, data, args.runtime, args.size)
        ratios = []
        for pair in range(args.pairs):
            if pair % 2 == 0:
                direct = run_direct(job, target, work / f"direct-{pair}.json")
                bench = run_bench(target, data, args.runtime, args.size)
            else:
                bench = run_bench(target, data, args.runtime, args.size)
                direct = run_direct(job, target, work / f"direct-{pair}.json")
            ratios.append(bench / direct)
            order = "direct, bench" if pair % 2 == 0 else "bench, direct"
            print(
                f"pair {pair + 1} ({order}): direct {direct:,.0f} IOPS, "
                f"bench {bench:,.0f} IOPS, ratio {bench / direct:.3f}"
            )
    return _verdict(ratios, "bench/direct")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _verdict(ratios: list[float], what: str) -> int:
    median = statistics.median(ratios)
    verdict = "meets" if median >= TARGET_RATIO else "MISSES"
    print(f"median IOPS ratio {what}: {median:.3f} ({verdict} the {TARGET_RATIO} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
