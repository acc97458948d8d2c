"""Graphs of a run (matplotlib, Agg backend): bandwidth, IOPS, latency percentiles, comparison.

Every PNG carries its title in the PNG `Title` text chunk too, so tools (and tests) can
read what a graph shows without looking at pixels.
"""

from __future__ import annotations

import fnmatch
import io
import itertools
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from dockyard.fio.jobs import FioError
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


PNG_MODE = 0o644
"""Graphs are for anyone who can read the results (other users, a web server)."""


def literal(text: str) -> str:
    """Text drawn as written: matplotlib reads `$...$` as math and fails the whole
    figure on a bad formula (a pulled run's label may hold anything)."""
    return text.replace("$", r"\$")


def styles(count: int) -> list[tuple[tuple[float, ...], str]]:
    """(colour, line style) for `count` series, all different: 20 colours, then new dashes."""
    colours = [tuple(c) for c in matplotlib.colormaps["tab20"].colors]  # type: ignore[attr-defined]
    dashes = ["-", "--", ":", "-."]
    pairs = list(itertools.product(dashes, colours))
    return [(colour, dash) for dash, colour in itertools.islice(itertools.cycle(pairs), count)]


def png_bytes(fig: Figure, title: str) -> bytes:
    """The figure as PNG bytes (for a page drawn per request)."""
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=100, metadata={"Title": title})
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _save(fig: Figure, path: Path, title: str) -> Path:
    """Write the PNG to a temp file beside `path`, then rename (never a half PNG)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", dpi=100, metadata={"Title": title})
        Path(tmp).chmod(PNG_MODE)
        Path(tmp).replace(path)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return path


save_figure = _save
"""`_save` for the other graph modules (sweep_plots)."""


def line_figure(
    lines: Sequence[Series],
    title: str,
    ylabel: str,
    *,
    log_y: bool = False,
    empty_note: str = "no samples logged",
) -> Figure:
    """One line per series over elapsed time, each its own colour / dash, legend outside."""
    fig, ax = plt.subplots(figsize=(11, 4.5))
    for line, (colour, dash) in zip(lines, styles(len(lines)), strict=True):
        ax.plot(
            line.times,
            line.values,
            marker=".",
            label=literal(line.label),
            color=colour,
            linestyle=dash,
        )
    ax.set_title(title)
    ax.set_xlabel("elapsed time (s)")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if any(line.times for line in lines):
        # Beside the axes, so the legend never covers the data.
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0)
        if log_y and any(v > 0 for line in lines for v in line.values):
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
    else:
        ax.text(0.5, 0.5, empty_note, ha="center", va="center", transform=ax.transAxes, wrap=True)
    fig.tight_layout()
    return fig


def line_chart(
    lines: Sequence[Series],
    path: Path,
    title: str,
    ylabel: str,
    *,
    log_y: bool = False,
    empty_note: str = "no samples logged",
) -> Path:
    """line_figure written to `path`."""
    fig = line_figure(lines, title, ylabel, log_y=log_y, empty_note=empty_note)
    return _save(fig, path, title)


def _short_run_note(log_msec: object) -> str:
    return (
        f"no samples: the run was shorter than the log interval ({log_msec} ms);\n"
        "use a shorter interval (--log-msec, FIO_LOG_MSEC or log_avg_msec in the job)"
    )


def run_plots(run_dir: Path, plotname: str, log_msec: object = "?") -> list[Path]:
    """The three graphs of one run, written into the run directory."""
    note = _short_run_note(log_msec)
    return [
        line_chart(
            series(run_dir, "bw", KIB_TO_MIB),
            run_dir / BW_PNG,
            f"Bandwidth over time: {plotname}",
            "bandwidth (MiB/s)",
            empty_note=note,
        ),
        line_chart(
            series(run_dir, "iops"),
            run_dir / IOPS_PNG,
            f"IOPS over time: {plotname}",
            "I/O operations per second",
            empty_note=note,
        ),
        line_chart(
            latency_series(run_dir),
            run_dir / LAT_PNG,
            f"Completion latency p50 / p99 / p99.9 over time: {plotname}",
            "completion latency (µs, log scale)",
            log_y=True,
            empty_note=note,
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
    if not any(line.times for line in lines):
        logs = sorted(p.name for p in run_dir.glob(f"*_{suffix}.*.log"))
        raise FioError(
            f"no {'bandwidth' if kind == 'bw' else 'IOPS'} samples in logs matching "
            f"{pattern!r} in {run_dir.name}; its {suffix} logs are: {', '.join(logs) or 'none'} "
            f"(use -{'b' if kind == 'bw' else 'i'} with a pattern such as '*_{suffix}*')"
        )
    heading = f"{title}: {'bandwidth' if kind == 'bw' else 'IOPS'} over time"
    return line_chart(lines, run_dir / f"{title}_{suffix}.png", heading, unit)


def comparison_figure(runs: Sequence[RunInfo]) -> tuple[Figure, str]:
    """IOPS and bandwidth per job and direction, one bar per run (labelled with its volume)."""
    keys = list(dict.fromkeys((row.job, row.direction) for run in runs for row in run.rows))
    fig, (ax_iops, ax_bw) = plt.subplots(1, 2, figsize=(12, 5))
    width = 0.8 / max(len(runs), 1)
    colours = styles(len(runs))
    for index, run in enumerate(runs):
        rows = {(row.job, row.direction): row for row in run.rows}
        positions = [k + (index - (len(runs) - 1) / 2) * width for k in range(len(keys))]
        label = literal(f"{run.name}\n{run.label}")
        colour = colours[index][0]
        iops = [rows[key].iops if key in rows else 0.0 for key in keys]
        bw = [rows[key].bw_mib_s if key in rows else 0.0 for key in keys]
        ax_iops.bar(positions, iops, width, label=label, color=colour)
        ax_bw.bar(positions, bw, width, label=label, color=colour)
    ax_iops.set_title("IOPS")
    ax_iops.set_ylabel("I/O operations per second")
    ax_bw.set_title("bandwidth")
    ax_bw.set_ylabel("bandwidth (MiB/s)")
    ticks = [f"{job} {direction}" for job, direction in keys]
    for ax in (ax_iops, ax_bw):
        ax.set_xticks(range(len(keys)), ticks, rotation=30, ha="right", fontsize="small")
        ax.grid(True, axis="y", alpha=0.3)
    ax_bw.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", borderaxespad=0)
    title = f"Comparison of {len(runs)} runs"
    fig.suptitle(title)
    fig.tight_layout()
    return fig, title


def comparison_chart(runs: Sequence[RunInfo], path: Path) -> Path:
    """comparison_figure written to `path` (genplots' static report)."""
    fig, title = comparison_figure(runs)
    return _save(fig, path, title)


def comparison_png(runs: Sequence[RunInfo]) -> bytes:
    """comparison_figure as PNG bytes (the served page draws it per request)."""
    fig, title = comparison_figure(runs)
    return png_bytes(fig, title)
