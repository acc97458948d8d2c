"""A comparison of runs as data: one record per run, job and direction, as CSV or JSON.

Records are grouped by what was measured (the volume label) and the limits the run had
(a container's CPU, memory and device limits), groups in the order they first appear,
runs in the order given within a group. CSV cells that a spreadsheet would read as a
formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) get a leading `'`:
run names, job names and labels come from run directories, which may come from anyone.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from dockyard.fio.results import RunInfo, limits_label

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


def comparison_records(runs: Sequence[RunInfo]) -> list[dict[str, Any]]:
    """Every row of every run, grouped by (volume, limits) in order of first appearance."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        for record in _records_of(run):
            groups.setdefault((record["volume"], record["limits"]), []).append(record)
    return [record for group in groups.values() for record in group]


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def comparison_csv(runs: Sequence[RunInfo]) -> str:
    """The comparison as CSV (a header row, then one row per run, job and direction)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for record in comparison_records(runs):
        writer.writerow({key: _cell(value) for key, value in record.items()})
    return buffer.getvalue()


def comparison_json(runs: Sequence[RunInfo]) -> str:
    """The comparison as JSON: the runs in the order given, and the grouped records."""
    document = {"runs": [run.name for run in runs], "records": comparison_records(runs)}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
