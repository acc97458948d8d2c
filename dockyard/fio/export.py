"""A comparison of runs as data: one record per run, job and direction, as CSV or JSON;
when every run is a sweep, one record per point and direction with the runs side by side
(`SWEEP_POINT_FIELDS`, then `run_N`, `volume_N`, `limits_N`, `iops_N`, `mean_us_N` and
`p99_us_N` for run N, empty or null where that run lacks the point).

Records are grouped by what was measured (the volume label) and the limits the run had
(a container's CPU, memory and device limits), groups in the order they first appear,
runs in the order given within a group (for sweeps: the runs' columns in that order).
CSV cells that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, a
tab or a carriage return) get a leading `'`: run names, job names and labels come from
run directories, which may come from anyone.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard.fio.results import RunInfo, limits_label
from dockyard.fio.sweep_plots import PointResult, sweep_runs

COMPARE_CSV = "compare.csv"
COMPARE_JSON = "compare.json"
FIELDS = (
    "volume",
    "limits",
    "run",
    "plotname",
    "host",
    "volume_type",
    "volume_size_gib",
    "volume_iops",
    "volume_throughput_mib_s",
    "compute",
    "instance_type",
    "job",
    "direction",
    "iops",
    "bw_mib_s",
    "p50_us",
    "p99_us",
    "p99_9_us",
)
SWEEP_POINT_FIELDS = ("job", "rw", "bs", "iodepth", "numjobs", "direction")
SWEEP_RUN_FIELDS = ("run", "volume", "limits", "iops", "mean_us", "p99_us")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _records_of(run: RunInfo) -> list[dict[str, Any]]:
    volume = run.metadata.get("volume") or {}
    volume = volume if isinstance(volume, Mapping) else {}
    base = {
        "volume": run.label,
        "limits": limits_label(run.metadata.get("limits")),
        "run": run.name,
        "plotname": str(run.metadata.get("plotname") or ""),
        "host": str(run.metadata.get("host") or ""),
        "volume_type": str(volume.get("type") or ""),
        "volume_size_gib": str(volume.get("size_gib") or ""),
        "volume_iops": str(volume.get("iops") or ""),
        "volume_throughput_mib_s": str(volume.get("throughput_mib_s") or ""),
        "compute": str(volume.get("compute") or ""),
        "instance_type": str(volume.get("instance_type") or ""),
    }
    return [
        {
            **base,
            "job": row.job,
            "direction": row.direction,
            "iops": round(row.iops, 3),
            "bw_mib_s": round(row.bw_mib_s, 3),
            "p50_us": round(row.p50_us, 3),
            "p99_us": round(row.p99_us, 3),
            "p99_9_us": round(row.p99_9_us, 3),
        }
        for row in run.rows
    ]


def _grouped(runs: Sequence[RunInfo]) -> list[RunInfo]:
    """`runs` grouped by (volume, limits) in order of first appearance."""
    groups: dict[tuple[str, str], list[RunInfo]] = {}
    for run in runs:
        key = (run.label, limits_label(run.metadata.get("limits")))
        groups.setdefault(key, []).append(run)
    return [run for group in groups.values() for run in group]


def comparison_records(runs: Sequence[RunInfo]) -> list[dict[str, Any]]:
    """Every row of every run, grouped by (volume, limits) in order of first appearance."""
    return [record for run in _grouped(runs) for record in _records_of(run)]


def sweep_fields(count: int) -> list[str]:
    """The sweep table's columns for `count` runs."""
    numbered = [f"{field}_{n}" for n in range(1, count + 1) for field in SWEEP_RUN_FIELDS]
    return [*SWEEP_POINT_FIELDS, *numbered]


def _sweep_cells(n: int, run: RunInfo, point: PointResult | None) -> dict[str, Any]:
    values = (
        (run.name, run.label, point.limits, round(point.iops, 3), round(point.mean_us, 3),
         round(point.p99_us, 3))
        if point
        else (run.name, run.label, None, None, None, None)
    )  # fmt: skip
    return {f"{field}_{n}": value for field, value in zip(SWEEP_RUN_FIELDS, values, strict=True)}


def sweep_records(sweeps: Sequence[tuple[RunInfo, list[PointResult]]]) -> list[dict[str, Any]]:
    """One record per point and direction (in order of first appearance), each run's
    figures side by side, the runs grouped by (volume, limits)."""
    order = {id(run): index for index, run in enumerate(_grouped([run for run, _ in sweeps]))}
    columns = sorted(sweeps, key=lambda pair: order[id(pair[0])])
    found = [{(p.job, p.direction): p for p in points} for _, points in columns]
    first = dict.fromkeys(key for points in found for key in points)
    records = []
    for key in first:
        point = next(points[key] for points in found if key in points)
        record: dict[str, Any] = {field: getattr(point, field) for field in SWEEP_POINT_FIELDS}
        for n, ((run, _), points) in enumerate(zip(columns, found, strict=True), start=1):
            record.update(_sweep_cells(n, run, points.get(key)))
        records.append(record)
    return records


def _sweeps_of(runs: Sequence[RunInfo]) -> list[tuple[RunInfo, list[PointResult]]] | None:
    """The runs with their points when every one is a sweep with results, else None."""
    sweeps = sweep_runs(runs)
    return sweeps if sweeps and len(sweeps) == len(runs) else None


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def _csv(fields: Sequence[str], records: Sequence[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for record in records:
        writer.writerow({key: _cell(value) for key, value in record.items()})
    return buffer.getvalue()


def comparison_csv(runs: Sequence[RunInfo]) -> str:
    """The comparison as CSV (a header row, then one row per run, job and direction; for
    sweeps one row per point and direction)."""
    sweeps = _sweeps_of(runs)
    if sweeps:
        return _csv(sweep_fields(len(sweeps)), sweep_records(sweeps))
    return _csv(FIELDS, comparison_records(runs))


def comparison_json(runs: Sequence[RunInfo]) -> str:
    """The comparison as JSON: the runs in the order given, and the grouped records (for
    sweeps `"sweep": true` and the per-point records)."""
    sweeps = _sweeps_of(runs)
    document: dict[str, Any] = {"runs": [run.name for run in runs]}
    if sweeps:
        document.update(sweep=True, records=sweep_records(sweeps))
    else:
        document["records"] = comparison_records(runs)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
