"""Overhead of `dockyard bench` over plain fio: the same job, alternated, side by side.

Runs N pairs (default 5) of: fio directly on a job file, then `dockyard bench` on the
same job and target (which adds the bw/iops/lat/histogram logs, the run directory,
metadata, graphs and the page). Within each pair the order alternates. Prints each
pair's IOPS and the median ratio bench/direct. Target: at least 0.97.

    .venv/bin/python benchmarks/fio_overhead.py [--pairs 5] [--runtime 3] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_RATIO = 0.97

JOB = """\
[global]
ioengine=psync
size=64M
runtime={runtime}
time_based
ramp_time=1

[randread-4k]
rw=randread
bs=4k
"""


def total_iops(result: dict[str, object]) -> float:
    jobs = result["jobs"]
    assert isinstance(jobs, list)
    return float(sum(job["read"]["iops"] + job["write"]["iops"] for job in jobs))


def run_direct(job: Path, target: Path, out: Path) -> float:
    subprocess.run(
        ["fio", "--output-format=json", f"--output={out}", f"--directory={target}", str(job)],
        check=True,
        capture_output=True,
    )
    return total_iops(json.loads(out.read_text(encoding="utf-8")))


def run_bench(job: Path, target: Path, data: Path) -> float:
    before = set((data / "runs").iterdir()) if (data / "runs").exists() else set()
    subprocess.run(
        [sys.executable, "-m", "dockyard", "bench", str(target), "-j", str(job),
         "-d", str(data), "-n", "overhead", "--no-serve"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (run_dir,) = set((data / "runs").iterdir()) - before
    return total_iops(json.loads((run_dir / "result.json").read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--runtime", type=int, default=3, help="seconds per fio run")
    parser.add_argument("--dir", help="directory to test (default: a temp dir)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fio-overhead-") as tmp:
        work = Path(tmp)
        target = Path(args.dir) if args.dir else work / "target"
        target.mkdir(exist_ok=True)
        job = work / "overhead.fio"
        job.write_text(JOB.format(runtime=args.runtime), encoding="utf-8")
        data = work / "data"
        # Untimed warm-ups so both lay out their test files before the first pair.
        run_direct(job, target, work / "warmup.json")
        run_bench(job, target, data)
        ratios = []
        for pair in range(args.pairs):
            if pair % 2 == 0:
                direct = run_direct(job, target, work / f"direct-{pair}.json")
                bench = run_bench(job, target, data)
            else:
                bench = run_bench(job, target, data)
                direct = run_direct(job, target, work / f"direct-{pair}.json")
            ratios.append(bench / direct)
            order = "direct, bench" if pair % 2 == 0 else "bench, direct"
            print(
                f"pair {pair + 1} ({order}): direct {direct:,.0f} IOPS, "
                f"bench {bench:,.0f} IOPS, ratio {bench / direct:.3f}"
            )
    median = statistics.median(ratios)
    verdict = "meets" if median >= TARGET_RATIO else "MISSES"
    print(f"median IOPS ratio bench/direct: {median:.3f} ({verdict} the {TARGET_RATIO} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
