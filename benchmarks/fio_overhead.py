"""Overhead of `dockyard bench` over plain fio: the default job, alternated, side by side.

Runs N pairs (default 5) of: fio directly on `dockyard bench`'s default job (libaio,
direct=1, 4k random reads then writes at queue depth 32), then `dockyard bench` with
that default job on the same target and test file (which adds the bw/iops/lat/histogram
logs, the run directory, metadata, graphs and the page). Within each pair the order
alternates. Prints each pair's IOPS and the median ratio bench/direct. Target: at least
0.97. The directory must be on a disk file system (direct I/O); the default temp dir is
made under /var/tmp.

    .venv/bin/python benchmarks/fio_overhead.py [--pairs 5] [--runtime 3] [--size 1G] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from dockyard.commands.bench import SCRATCH_DIR, default_job

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--runtime", type=int, default=3, help="seconds per fio run")
    parser.add_argument("--size", default="1G", help="test file size")
    parser.add_argument("--dir", help="directory to test (default: a temp dir in /var/tmp)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fio-overhead-", dir="/var/tmp") as tmp:
        work = Path(tmp)
        target = Path(args.dir) if args.dir else work / "target"
        target.mkdir(exist_ok=True)
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
    median = statistics.median(ratios)
    verdict = "meets" if median >= TARGET_RATIO else "MISSES"
    print(f"median IOPS ratio bench/direct: {median:.3f} ({verdict} the {TARGET_RATIO} target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
