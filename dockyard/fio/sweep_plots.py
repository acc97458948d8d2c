"""A sweep's graphs, as fio-plot draws them: bars of IOPS and mean / p99 latency across
iodepth for each numjobs (one chart per rw, block size and direction), a completion
latency histogram per point from its clones' clat histogram logs, and the same points of
several sweep runs side by side (fio-plot's comparison of several result directories)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from dockyard.fio.jobs import FioError
from dockyard.fio.plots import literal, png_bytes, save_figure, styles
from dockyard.fio.results import DIRECTIONS, RunInfo, bucket_value, load_result, read_hist_log
from dockyard.fio.sweep import PointResult, point_results

__all__ = [
    "COMPARE_SWEEP_PNG",
    "PointResult",
    "run_points",
    "sweep_comparison_chart",
    "sweep_comparison_png",
    "sweep_plots",
    "sweep_png_names",
]

COMPARE_SWEEP_PNG = "compare-sweep.png"

_DIRECTION_NUMBER = {name: number for number, name in DIRECTIONS.items()}


def bars_name(rw: str, bs: str, direction: str) -> str:
    return f"sweep-{rw}-{bs}-{direction}.png"


def hist_name(point: PointResult) -> str:
    return f"hist-{point.job}-{point.direction}.png"


def sweep_png_names(points: Sequence[PointResult]) -> list[str]:
    """Every graph a sweep's points make (bars first, then the histograms)."""
    bars = dict.fromkeys(bars_name(p.rw, p.bs, p.direction) for p in points)
    return [*bars, *(hist_name(p) for p in points)]


def run_points(run_dir: Path, meta: dict[str, Any]) -> list[PointResult]:
    """The sweep's points of a run directory (none when it is not a sweep or has no result)."""
    sweep = meta.get("sweep")
    result = load_result(run_dir)
    if not isinstance(sweep, dict) or not result:
        return []
    return point_results(sweep, result)


def bars_chart(points: Sequence[PointResult], path: Path, title: str) -> Path:
    """IOPS (left axis) and mean / p99 latency (right axis) across iodepth, one row per
    numjobs: the points of one rw, block size and direction."""
    numjobs = sorted({p.numjobs for p in points})
    fig, axes = plt.subplots(len(numjobs), 1, figsize=(10, 3.6 * len(numjobs)), squeeze=False)
    colours = [colour for colour, _ in styles(3)]
    for ax, jobs in zip(axes[:, 0], numjobs, strict=True):
        row = sorted((p for p in points if p.numjobs == jobs), key=lambda p: p.iodepth)
        x = np.arange(len(row))
        lat = ax.twinx()
        ax.bar(x - 0.27, [p.iops for p in row], 0.27, color=colours[0], label="IOPS")
        lat.bar(x, [p.mean_us for p in row], 0.27, color=colours[1], label="mean latency")
        lat.bar(x + 0.27, [p.p99_us for p in row], 0.27, color=colours[2], label="p99 latency")
        ax.set_xticks(x, [f"iodepth {p.iodepth}" for p in row])
        ax.set_ylabel("IOPS")
        lat.set_ylabel("completion latency (µs)")
        ax.set_title(f"numjobs {jobs}")
        ax.grid(True, axis="y", alpha=0.3)
        handles = [*ax.get_legend_handles_labels()[0], *lat.get_legend_handles_labels()[0]]
        ax.legend(handles=handles, loc="upper left", fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path, title)


def histogram_counts(run_dir: Path, point: PointResult) -> list[int]:
    """The point's clat histogram bucket counts, every interval of every clone added."""
    total: list[int] = []
    number = _DIRECTION_NUMBER.get(point.direction, -1)
    for index in point.log_indexes:
        path = next(run_dir.glob(f"*_clat_hist.{index}.log"), None)
        if path is None:
            continue
        for _, counts in read_hist_log(path).get(number, []):
            if len(total) < len(counts):
                total += [0] * (len(counts) - len(total))
            for i, count in enumerate(counts):
                total[i] += count
    return total


def histogram_chart(run_dir: Path, point: PointResult, path: Path) -> Path:
    """The share of I/Os per completion-latency range (log scale), from the hist logs."""
    counts = histogram_counts(run_dir, point)
    title = f"Latency histogram: {point.job} {point.direction}"
    fig, ax = plt.subplots(figsize=(10, 4))
    used = [(bucket_value(i) / 1000.0, c) for i, c in enumerate(counts) if c]
    if used:
        values = np.array([v for v, _ in used])
        weights = np.array([c for _, c in used], dtype=float)
        low, high = max(values.min(), 0.01), max(values.max(), values.min() * 1.01, 0.02)
        edges = np.logspace(np.log10(low * 0.99), np.log10(high * 1.01), 40)
        ax.hist(
            values,
            bins=[float(e) for e in edges],
            weights=weights * 100.0 / weights.sum(),
            color="tab:blue",
        )
        ax.set_xscale("log")
    else:
        ax.text(0.5, 0.5, "no histogram samples logged", ha="center", transform=ax.transAxes)
    ax.set_title(title)
    ax.set_xlabel("completion latency (µs, log scale)")
    ax.set_ylabel("share of I/Os (%)")
    ax.grid(True, axis="y", alpha=0.3)
    # Fixed margins: tight_layout measured every log-scale tick label and took most of
    # a sweep's drawing time (0.5 s of 0.8 s per histogram).
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9)
    return save_figure(fig, path, title)


def sweep_plots(run_dir: Path, meta: dict[str, Any]) -> list[Path]:
    """Every graph of a sweep run, written into its run directory."""
    points = run_points(run_dir, meta)
    written = []
    groups = dict.fromkeys((p.rw, p.bs, p.direction) for p in points)
    for rw, bs, direction in groups:
        chosen = [p for p in points if (p.rw, p.bs, p.direction) == (rw, bs, direction)]
        title = f"Sweep {rw} {bs} {direction}: IOPS and latency across iodepth"
        written.append(bars_chart(chosen, run_dir / bars_name(rw, bs, direction), title))
    for point in points:
        written.append(histogram_chart(run_dir, point, run_dir / hist_name(point)))
    return written


def sweep_runs(runs: Sequence[RunInfo]) -> list[tuple[RunInfo, list[PointResult]]]:
    """The sweep runs among `runs` with their points, in the order given."""
    chosen = [
        (run, run_points(run.path, run.metadata)) for run in runs if run.metadata.get("sweep")
    ]
    return [(run, points) for run, points in chosen if points]


def sweep_comparison_figure(runs: Sequence[RunInfo]) -> tuple[Figure, str]:
    """The same points of several sweep runs side by side: for each rw, block size and
    direction, IOPS (upper) and p99 latency (lower) per point, one bar per run.
    FioError when none of `runs` is a sweep with results."""
    chosen = sweep_runs(runs)
    if not chosen:
        raise FioError("none of the runs is a sweep with results; compare sweeps (bench sweep)")
    groups = list(dict.fromkeys((p.rw, p.bs, p.direction) for _, ps in chosen for p in ps))
    fig, axes = plt.subplots(2 * len(groups), 1, figsize=(11, 3.4 * 2 * len(groups)), squeeze=False)
    colours = styles(len(chosen))
    width = 0.8 / len(chosen)
    for number, group in enumerate(groups):
        keys = sorted(
            {
                (p.numjobs, p.iodepth)
                for _, ps in chosen
                for p in ps
                if (p.rw, p.bs, p.direction) == group
            }
        )
        x = np.arange(len(keys))
        iops_ax, lat_ax = axes[2 * number, 0], axes[2 * number + 1, 0]
        for index, (run, points) in enumerate(chosen):
            by_key = {
                (p.numjobs, p.iodepth): p for p in points if (p.rw, p.bs, p.direction) == group
            }
            offset = x - 0.4 + width * (index + 0.5)
            found = [by_key.get(key) for key in keys]
            label = literal(f"{run.name} ({run.label})"[:90])
            colour = colours[index][0]
            iops_ax.bar(
                offset, [p.iops if p else 0.0 for p in found], width, color=colour, label=label
            )
            lat_ax.bar(offset, [p.p99_us if p else 0.0 for p in found], width, color=colour)
        ticks = [f"iodepth {depth}\nnumjobs {jobs}" for jobs, depth in keys]
        for ax, what in ((iops_ax, "IOPS"), (lat_ax, "p99 completion latency (µs)")):
            ax.set_xticks(x, ticks, fontsize="small")
            ax.set_ylabel(what)
            ax.grid(True, axis="y", alpha=0.3)
        rw, bs, direction = group
        iops_ax.set_title(f"{rw} {bs} {direction}: IOPS per point")
        lat_ax.set_title(f"{rw} {bs} {direction}: p99 latency per point")
        iops_ax.legend(loc="upper left", fontsize="x-small")
    title = f"Sweeps compared: {len(chosen)} run(s), the same points side by side"
    fig.suptitle(title)
    fig.tight_layout()
    return fig, title


def sweep_comparison_chart(runs: Sequence[RunInfo], path: Path) -> Path:
    """sweep_comparison_figure written to `path`."""
    fig, title = sweep_comparison_figure(runs)
    return save_figure(fig, path, title)


def sweep_comparison_png(runs: Sequence[RunInfo]) -> bytes:
    """sweep_comparison_figure as PNG bytes (the served page draws it per request)."""
    fig, title = sweep_comparison_figure(runs)
    return png_bytes(fig, title)
