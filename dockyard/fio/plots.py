"""Graphs of a run (matplotlib, Agg backend): bandwidth, IOPS, latency percentiles, comparison.

Every PNG carries its title in the PNG `Title` text chunk too, so tools (and tests) can
read what a graph shows without looking at pixels.
"""

from __future__ import annotations

import fnmatch
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from dockyard.fio.results import (
    RunInfo,
    Series,
    latency_series,
    read_log,
    series,
)

KIB_TO_MIB = 1.0 / 1024.0
BW_PNG = "bandwidth.png"
IOPS_PNG = "iops.png"
LAT_PNG = "latency.png"
COMPARE_PNG = "compare.png"
RUN_PNGS = (BW_PNG, IOPS_PNG, LAT_PNG)


def _save(fig: Figure, path: Path, title: str) -> Path:
    """Write the PNG to a temp file beside `path`, then rename (never a half PNG)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Title": title})
        Path(tmp).replace(path)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return path


def line_chart(
    lines: Sequence[Series], path: Path, title: str, ylabel: str, *, log_y: bool = False
) -> Path:
    """One line per series over elapsed time; says so when there is no data."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for line in lines:
        ax.plot(line.times, line.values, marker=".", label=line.label)
    ax.set_title(title)
    ax.set_xlabel("elapsed time (s)")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if lines:
        ax.legend(loc="best", fontsize="small")
        if log_y and any(v > 0 for line in lines for v in line.values):
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
    else:
        ax.text(0.5, 0.5, "no samples logged", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return _save(fig, path, title)


def run_plots(run_dir: Path, plotname: str) -> list[Path]:
    """The three graphs of one run, written into the run directory."""
    return [
        line_chart(
            series(run_dir, "bw", KIB_TO_MIB),
            run_dir / BW_PNG,
            f"Bandwidth over time: {plotname}",
            "bandwidth (MiB/s)",
        ),
        line_chart(
            series(run_dir, "iops"),
            run_dir / IOPS_PNG,
            f"IOPS over time: {plotname}",
            "I/O operations per second",
        ),
        line_chart(
            latency_series(run_dir),
            run_dir / LAT_PNG,
            f"Completion latency p50 / p99 / p99.9 over time: {plotname}",
            "completion latency (µs, log scale)",
            log_y=True,
        ),
    ]


def pattern_plot(run_dir: Path, title: str, pattern: str, kind: str) -> Path:
    """The seed's `fio2gnuplot -t TITLE -b|-i -p PATTERN`: the matching logs in one graph."""
    scale, unit, suffix = (
        (KIB_TO_MIB, "bandwidth (MiB/s)", "bw") if kind == "bw" else (1.0, "IOPS", "iops")
    )
    lines = []
    for path in sorted(run_dir.iterdir()):
        if not fnmatch.fnmatch(path.name, pattern) or not path.name.endswith(".log"):
            continue
        if f"_{suffix}." not in path.name:
            continue
        for direction, (times, values) in sorted(read_log(path).items()):
            name = path.name.removesuffix(".log")
            lines.append(Series(f"{name} dir {direction}", times, [v * scale for v in values]))
    heading = f"{title}: {'bandwidth' if kind == 'bw' else 'IOPS'} over time"
    return line_chart(lines, run_dir / f"{title}_{suffix}.png", heading, unit)


def comparison_chart(runs: Sequence[RunInfo], path: Path) -> Path:
    """Total IOPS and bandwidth of each selected run, side by side."""
    fig, (ax_iops, ax_bw) = plt.subplots(1, 2, figsize=(11, 4.5))
    names = [run.name for run in runs]
    iops = [sum(row.iops for row in run.rows) for run in runs]
    bw = [sum(row.bw_mib_s for row in run.rows) for run in runs]
    positions = list(range(len(runs)))
    ax_iops.bar(positions, iops, color="tab:blue")
    ax_iops.set_title("total IOPS")
    ax_iops.set_ylabel("I/O operations per second")
    ax_bw.bar(positions, bw, color="tab:orange")
    ax_bw.set_title("total bandwidth")
    ax_bw.set_ylabel("bandwidth (MiB/s)")
    for ax in (ax_iops, ax_bw):
        ax.set_xticks(positions, names, rotation=30, ha="right", fontsize="small")
        ax.set_xlabel("run")
        ax.grid(True, axis="y", alpha=0.3)
    title = f"Comparison of {len(runs)} runs"
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path, title)
