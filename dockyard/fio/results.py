"""Reading a run directory: fio's json+ summary, its time-series logs and clat histograms."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.fio.run import METADATA, RESULT, RUNS

DIRECTIONS = {0: "read", 1: "write", 2: "trim"}
PERCENTILES = (50.0, 99.0, 99.9)
# fio's latency histogram layout (stat.h): 29 groups of 64 buckets.
PLAT_BITS = 6
PLAT_VAL = 1 << PLAT_BITS
PLAT_NR = 29 * PLAT_VAL
_NAN = re.compile(r"(?<=[:\[,\s])-?nan\b")
_LOG = re.compile(r"^(?P<prefix>.+)_(?P<kind>bw|iops|lat|clat|slat|clat_hist)\.(?P<job>\d+)\.log$")


@dataclass(frozen=True)
class Series:
    """One line on a graph: a job's direction over time (seconds, value)."""

    label: str
    times: list[float]
    values: list[float]


@dataclass(frozen=True)
class SummaryRow:
    """One row of a run's summary table: a job and direction."""

    job: str
    direction: str
    iops: float
    bw_mib_s: float
    p50_us: float
    p99_us: float
    p99_9_us: float


@dataclass(frozen=True)
class RunInfo:
    """A run directory as the page lists it."""

    name: str
    path: Path
    metadata: dict[str, Any]
    finished: bool
    rows: list[SummaryRow]
    files: list[str]
    problem: str | None = None
    """Why the run cannot be shown (unreadable metadata or results), or None."""

    @property
    def label(self) -> str:
        return run_label(self.metadata)


def load_result(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / RESULT
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    # fio may print notes before the JSON document.
    start = text.find("{")
    if start < 0:
        return None
    try:
        # fio writes "-nan" / "nan" (steady-state slopes), which JSON does not have.
        data: dict[str, Any] = json.loads(_NAN.sub("NaN", text[start:]))
    except json.JSONDecodeError:
        return None
    return data


def job_labels(result: dict[str, Any]) -> list[str]:
    """One label per job of fio's result; clones of a `numjobs>1` job get `#1`, `#2`..."""
    names = [str(job.get("jobname", f"job{i}")) for i, job in enumerate(result.get("jobs", []))]
    seen: dict[str, int] = {}
    labels = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        labels.append(f"{name} #{seen[name]}" if names.count(name) > 1 else name)
    return labels


def job_names(run_dir: Path) -> list[str]:
    result = load_result(run_dir)
    return job_labels(result) if result else []


LIMIT_KEYS = (
    "cpus",
    "memory",
    "device_read_iops",
    "device_write_iops",
    "device_read_bps",
    "device_write_bps",
)


def limits_label(limits: object) -> str:
    """`cpus=2 memory=512m device_read_iops=500`, or '' without limits (a container's)."""
    if not isinstance(limits, dict):
        return ""
    return " ".join(f"{key}={limits[key]}" for key in LIMIT_KEYS if limits.get(key))


def run_label(meta: dict[str, Any]) -> str:
    """What was measured, for comparisons: the volume (ECS) or the target's file system."""
    volume = meta.get("volume") or {}
    parts = []
    if volume.get("type"):
        spec = [str(volume["type"])]
        if volume.get("size_gib"):
            spec.append(f"{volume['size_gib']} GiB")
        if volume.get("iops"):
            spec.append(f"{volume['iops']} IOPS")
        if volume.get("throughput_mib_s"):
            spec.append(f"{volume['throughput_mib_s']} MiB/s")
        if volume.get("disks"):
            spec.append(f"({volume['disks']})")
        parts.append(" ".join(spec))
    else:
        fs = meta.get("target_fs") or {}
        if fs.get("fstype"):
            parts.append(f"{fs['fstype']} on {fs.get('source', '?')}")
    for key in ("compute", "instance_type", "region"):
        if volume.get(key):
            parts.append(str(volume[key]))
    if volume.get("task_cpu") or volume.get("task_memory_mib"):
        cpu, memory = volume.get("task_cpu", "?"), volume.get("task_memory_mib", "?")
        parts.append(f"task cpu {cpu}, memory {memory} MiB")
    if meta.get("direct") is False:
        parts.append("buffered (page cache)")
    if limits := limits_label(meta.get("limits")):
        parts.append(f"limits {limits}")
    return ", ".join(parts) or str(meta.get("host") or "?")


def _percentile(clat: dict[str, Any], pct: float) -> float:
    table = clat.get("percentile") or {}
    for key, value in table.items():
        if abs(float(key) - pct) < 1e-6:
            return float(value) / 1000.0
    return 0.0


def summary(result: dict[str, Any]) -> list[SummaryRow]:
    """Per job and direction with I/O: IOPS, MiB/s, clat p50 / p99 / p99.9 in µs."""
    rows: list[SummaryRow] = []
    for label, job in zip(job_labels(result), result.get("jobs", []), strict=True):
        for direction in ("read", "write", "trim"):
            stats = job.get(direction) or {}
            if not stats.get("total_ios"):
                continue
            clat = stats.get("clat_ns") or {}
            rows.append(
                SummaryRow(
                    job=label,
                    direction=direction,
                    iops=float(stats.get("iops", 0.0)),
                    bw_mib_s=float(stats.get("bw_bytes", 0)) / (1024 * 1024),
                    p50_us=_percentile(clat, 50.0),
                    p99_us=_percentile(clat, 99.0),
                    p99_9_us=_percentile(clat, 99.9),
                )
            )
    return rows


def log_files(run_dir: Path, kind: str) -> list[tuple[int, Path]]:
    """(job index, path) of a run's logs of one kind (bw, iops, lat, clat_hist...)."""
    found = []
    for path in run_dir.iterdir():
        match = _LOG.match(path.name)
        if match and match.group("kind") == kind:
            found.append((int(match.group("job")), path))
    return sorted(found)


def read_log(path: Path) -> dict[int, tuple[list[float], list[float]]]:
    """fio's `time, value, direction, bs, offset` log, split by direction."""
    out: dict[int, tuple[list[float], list[float]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 3 or not parts[0].isdigit():
            continue
        times, values = out.setdefault(int(parts[2]), ([], []))
        times.append(int(parts[0]) / 1000.0)
        values.append(float(parts[1]))
    return out


def series(run_dir: Path, kind: str, scale: float = 1.0) -> list[Series]:
    """Every job/direction line of one log kind, values multiplied by `scale`."""
    names = job_names(run_dir)
    lines: list[Series] = []
    for index, path in log_files(run_dir, kind):
        job = names[index - 1] if 0 < index <= len(names) else f"job {index}"
        for direction, (times, values) in sorted(read_log(path).items()):
            label = f"{job} {DIRECTIONS.get(direction, str(direction))}"
            lines.append(Series(label, times, [v * scale for v in values]))
    return lines


def bucket_value(index: int) -> float:
    """The middle of fio's latency histogram bucket `index`, in ns (fio's plat_idx_to_val)."""
    if index < (PLAT_VAL << 1):
        return float(index)
    error_bits = (index >> PLAT_BITS) - 1
    base = 1 << (error_bits + PLAT_BITS)
    k = index % PLAT_VAL
    return base + (k + 0.5) * (1 << error_bits)


def histogram_percentiles(counts: Sequence[int], pcts: Iterable[float]) -> list[float]:
    """Percentiles (ns) of one histogram of bucket counts."""
    total = sum(counts)
    wanted = list(pcts)
    if total == 0:
        return [0.0 for _ in wanted]
    out = []
    for pct in wanted:
        threshold = total * pct / 100.0
        running = 0
        value = bucket_value(len(counts) - 1)
        for index, count in enumerate(counts):
            running += count
            if count and running >= threshold:
                value = bucket_value(index)
                break
        out.append(value)
    return out


def read_hist_log(path: Path) -> dict[int, list[tuple[float, list[int]]]]:
    """fio's clat histogram log: `time, direction, bs, bucket counts...` per interval."""
    out: dict[int, list[tuple[float, list[int]]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        counts = [int(p) for p in parts[3:]]
        out.setdefault(int(parts[1]), []).append((int(parts[0]) / 1000.0, counts))
    return out


def latency_series(run_dir: Path) -> list[Series]:
    """p50 / p99 / p99.9 completion latency (µs) per interval, per job and direction."""
    names = job_names(run_dir)
    lines: list[Series] = []
    for index, path in log_files(run_dir, "clat_hist"):
        job = names[index - 1] if 0 < index <= len(names) else f"job {index}"
        for direction, samples in sorted(read_hist_log(path).items()):
            samples = [(t, c) for t, c in samples if sum(c)]
            times = [t for t, _ in samples]
            per_interval = [histogram_percentiles(c, PERCENTILES) for _, c in samples]
            for i, pct in enumerate(PERCENTILES):
                label = f"{job} {DIRECTIONS.get(direction, str(direction))} p{pct:g}"
                lines.append(Series(label, times, [p[i] / 1000.0 for p in per_interval]))
    return lines


def list_runs(data_dir: Path) -> list[RunInfo]:
    """Every run directory, newest first (names start with the UTC time).

    A run written by someone else may be anything: one whose metadata or results cannot
    be read is listed with its problem and without results, and never hides the others.
    """
    runs_dir = data_dir / RUNS
    if not runs_dir.is_dir():
        return []
    infos = []
    for path in runs_dir.iterdir():
        if not path.is_dir() or path.is_symlink() or path.name.startswith("."):
            continue
        files = sorted(
            str(p.relative_to(path))
            for p in path.rglob("*")
            if p.is_file() and not p.is_symlink() and not p.name.startswith(".")
        )
        try:
            infos.append(_run_info(path, files))
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as err:
            problem = f"unreadable run ({type(err).__name__}): {METADATA} or {RESULT} is corrupt"
            infos.append(RunInfo(path.name, path, {}, False, [], files, problem))
    return sorted(infos, key=lambda info: info.name, reverse=True)


def _run_info(path: Path, files: list[str]) -> RunInfo:
    """One run as listed; raises when its metadata or result is not what fio-tool wrote."""
    try:
        meta = json.loads((path / METADATA).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        meta = {}
    if not isinstance(meta, dict):
        raise TypeError(f"{METADATA} is not an object")
    result = load_result(path)
    if result is not None and not isinstance(result, dict):
        raise TypeError(f"{RESULT} is not an object")
    run_label(meta)  # the page shows it: fail here, for this run only
    return RunInfo(
        name=path.name,
        path=path,
        metadata=meta,
        finished=meta.get("exit_status") is not None,
        rows=summary(result) if result else [],
        files=files,
    )
