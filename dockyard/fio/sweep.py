"""A sweep: one fio run over every combination of rw x bs x iodepth x numjobs.

`sweep_job` writes one job file: an optional sequential fill of the test file first
(preconditioning), then one job per point, each behind a `stonewall` so the points run
one after the other over the same file. Points are named as fio-plot names its runs
(`<rw>-<bs>-iodepth-<N>-numjobs-<M>`), so their clones, logs and results can be told
apart. `point_results` reads the points back from fio's json+ result: the IOPS of the
point's clones added, the mean latency weighted by their I/Os, and the percentiles of
their merged completion-latency bins.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from dockyard.fio.jobs import FioError, JobFile
from dockyard.fio.results import LIMIT_KEYS, limits_label

RW_MODES = ("read", "write", "randread", "randwrite", "rw", "readwrite", "randrw")
PRECONDITION = "precondition"
_BS = re.compile(r"^[1-9][0-9]{0,6}[kKmM]?$")
_SIZE = re.compile(r"^[1-9][0-9]{0,12}[kKmMgGtT]?$")
_STEADYSTATE = re.compile(r"^(iops|bw|iops_slope|bw_slope):[0-9]{1,4}(\.[0-9]{1,4})?%?$")
MAX_IODEPTH = 1024
MAX_NUMJOBS = 64
MAX_POINTS = 256


@dataclass(frozen=True)
class Point:
    """One combination of the sweep."""

    rw: str
    bs: str
    iodepth: int
    numjobs: int

    @property
    def name(self) -> str:
        return f"{self.rw}-{self.bs}-iodepth-{self.iodepth}-numjobs-{self.numjobs}"


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep and how long each point runs."""

    rw: tuple[str, ...]
    bs: tuple[str, ...]
    iodepth: tuple[int, ...]
    numjobs: tuple[int, ...]
    size: str = "1G"
    runtime: int = 10
    ramp: int = 2
    precondition: bool = False
    steadystate: str | None = None
    ss_duration: int | None = None
    ioengine: str = "libaio"

    def points(self) -> list[Point]:
        combos = itertools.product(self.rw, self.bs, self.iodepth, self.numjobs)
        return [Point(rw, bs, depth, jobs) for rw, bs, depth, jobs in combos]

    def as_metadata(self) -> dict[str, Any]:
        """The sweep as metadata.json records it: every parameter, then every point."""
        data = asdict(self)
        data = {
            key: list(value) if isinstance(value, tuple) else value for key, value in data.items()
        }
        data["points"] = [{"job": p.name, **asdict(p)} for p in self.points()]
        return data


def with_limits(sweep: Mapping[str, Any], limits: Mapping[str, Any] | None) -> dict[str, Any]:
    """The sweep's metadata with the container limits (those asked for) on every point."""
    asked = {key: limits.get(key) for key in (*LIMIT_KEYS, "device")} if limits else None
    points = [{**point, "limits": asked} for point in sweep.get("points") or []]
    return {**sweep, "points": points}


def split_list(values: Sequence[str]) -> list[str]:
    """`--bs 4k,64k --bs 1m` -> ['4k', '64k', '1m'] (in order, once each)."""
    items = [item.strip() for value in values for item in value.split(",")]
    return list(dict.fromkeys(item for item in items if item))


def _whole(text: str, what: str, low: int, high: int) -> int:
    if re.fullmatch(r"[0-9]{1,7}", text) and low <= int(text) <= high:
        return int(text)
    raise FioError(f"{what} {text[:20]!r}: give whole numbers from {low} to {high}")


def check_spec(
    rw: Sequence[str],
    bs: Sequence[str],
    iodepth: Sequence[str],
    numjobs: Sequence[str],
    **options: Any,
) -> SweepSpec:
    """A SweepSpec from the command's lists (comma-separated or repeated); FioError names
    the first bad value and what is allowed."""
    modes = split_list(rw) or ["randread"]
    for mode in modes:
        if mode not in RW_MODES:
            raise FioError(f"--rw {mode[:20]!r} is not one of {', '.join(RW_MODES)}")
    sizes = [value.lower() for value in split_list(bs) or ["4k"]]
    for value in sizes:
        if not _BS.match(value):
            raise FioError(f"--bs {value[:20]!r}: give block sizes such as 4k, 64k or 1m")
    depths = [_whole(v, "--iodepth", 1, MAX_IODEPTH) for v in split_list(iodepth) or ["1"]]
    jobs = [_whole(v, "--numjobs", 1, MAX_NUMJOBS) for v in split_list(numjobs) or ["1"]]
    spec = SweepSpec(
        tuple(modes),
        tuple(sizes),
        tuple(dict.fromkeys(depths)),
        tuple(dict.fromkeys(jobs)),
        **options,
    )
    if not _SIZE.match(spec.size):
        raise FioError(f"--size {spec.size[:20]!r}: give a size such as 256M or 1G")
    if not 1 <= spec.runtime <= 86400 or not 0 <= spec.ramp <= 3600:
        raise FioError("--runtime must be 1 to 86400 seconds and --ramp 0 to 3600")
    if spec.steadystate is not None and not _STEADYSTATE.match(spec.steadystate):
        raise FioError(
            f"--steadystate {spec.steadystate[:30]!r}: give fio's form, e.g. iops_slope:0.3% "
            "or bw:2% (iops, bw, iops_slope or bw_slope)"
        )
    if spec.ss_duration is not None and not 1 <= spec.ss_duration <= spec.runtime:
        raise FioError("--ss-duration must be from 1 second to --runtime")
    if len(spec.points()) > MAX_POINTS:
        raise FioError(f"the sweep has {len(spec.points())} points; at most {MAX_POINTS}")
    return spec


def sweep_job(spec: SweepSpec) -> JobFile:
    """The sweep as one job file (direct I/O over one shared test file)."""
    lines = [
        "; dockyard bench sweep: every point of rw x bs x iodepth x numjobs, one after another",
        "[global]",
        f"ioengine={spec.ioengine}",
        "direct=1",
        "filename=dockyard-sweep.dat",
        f"size={spec.size}",
        "group_reporting=0",
        "",
    ]
    if spec.precondition:
        lines += [f"[{PRECONDITION}]", "rw=write", "bs=1m", "iodepth=16", "numjobs=1", ""]
    for point in spec.points():
        lines += [
            f"[{point.name}]",
            "stonewall",
            f"rw={point.rw}",
            f"bs={point.bs}",
            f"iodepth={point.iodepth}",
            f"numjobs={point.numjobs}",
            f"runtime={spec.runtime}",
            "time_based",
            f"ramp_time={spec.ramp}",
        ]
        if spec.steadystate:
            lines += [
                f"steadystate={spec.steadystate}",
                f"steadystate_duration={spec.ss_duration or spec.runtime}",
            ]
        lines.append("")
    return JobFile("sweep.fio", "\n".join(lines), "dockyard sweep")


@dataclass(frozen=True)
class PointResult:
    """One point's figures (clones added up), per direction with I/O."""

    job: str
    rw: str
    bs: str
    iodepth: int
    numjobs: int
    direction: str
    iops: float
    bw_mib_s: float
    mean_us: float
    p99_us: float
    steady: bool | None
    log_indexes: tuple[int, ...]
    """fio's job numbers of the point's clones (its `*.N.log` files)."""
    limits: str = ""
    """The container limits the point ran under (`cpus=1 device_read_iops=500`), if any."""


def bins_percentile(bins: Mapping[int, int], pct: float) -> float:
    """The `pct` percentile (ns) of merged json+ latency bins {ns: count}."""
    total = sum(bins.values())
    if total == 0:
        return 0.0
    threshold = total * pct / 100.0
    running = 0
    for value in sorted(bins):
        running += bins[value]
        if running >= threshold:
            return float(value)
    return float(max(bins))


def _steady(jobs: Sequence[Mapping[str, Any]]) -> bool | None:
    states = [job["steadystate"].get("attained") for job in jobs if "steadystate" in job]
    return all(bool(s) for s in states) if states else None


def _direction(
    point: Point,
    direction: str,
    jobs: Sequence[Mapping[str, Any]],
    indexes: tuple[int, ...],
    limits: str,
) -> PointResult | None:
    stats = [job.get(direction) or {} for job in jobs]
    ios = sum(int(s.get("total_ios") or 0) for s in stats)
    if not ios:
        return None
    bins: dict[int, int] = {}
    weighted = 0.0
    for s in stats:
        clat = s.get("clat_ns") or {}
        mean = float(clat.get("mean") or 0.0)
        weighted += (0.0 if math.isnan(mean) else mean) * int(s.get("total_ios") or 0)
        for value, count in (clat.get("bins") or {}).items():
            bins[int(value)] = bins.get(int(value), 0) + int(count)
    return PointResult(
        job=point.name,
        rw=point.rw,
        bs=point.bs,
        iodepth=point.iodepth,
        numjobs=point.numjobs,
        direction=direction,
        iops=sum(float(s.get("iops") or 0.0) for s in stats),
        bw_mib_s=sum(float(s.get("bw_bytes") or 0) for s in stats) / (1024 * 1024),
        mean_us=weighted / ios / 1000.0,
        p99_us=bins_percentile(bins, 99.0) / 1000.0,
        steady=_steady(jobs),
        log_indexes=indexes,
        limits=limits,
    )


def point_of(entry: Mapping[str, Any]) -> Point:
    """A point as metadata.json records it, checked as the command checks it (a run made
    elsewhere may hold anything; its names become file names): ValueError otherwise."""
    point = Point(str(entry["rw"]), str(entry["bs"]), int(entry["iodepth"]), int(entry["numjobs"]))
    if (
        point.rw not in RW_MODES
        or not _BS.match(point.bs)
        or not 1 <= point.iodepth <= MAX_IODEPTH
        or not 1 <= point.numjobs <= MAX_NUMJOBS
    ):
        raise ValueError(f"not a sweep point: {point.name[:80]!r}")
    return point


def point_results(sweep: Mapping[str, Any], result: Mapping[str, Any]) -> list[PointResult]:
    """Each point of the sweep (metadata's "sweep") with its figures from fio's result;
    a point fio did not run (stopped early) is left out."""
    jobs = list(result.get("jobs") or [])
    by_name: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for index, job in enumerate(jobs, start=1):
        by_name.setdefault(str(job.get("jobname")), []).append((index, job))
    out: list[PointResult] = []
    for entry in sweep.get("points") or []:
        point = point_of(entry)
        clones = by_name.get(point.name, [])
        indexes = tuple(index for index, _ in clones)
        limits = limits_label(entry.get("limits"))
        for direction in ("read", "write", "trim"):
            row = _direction(point, direction, [job for _, job in clones], indexes, limits)
            if row is not None:
                out.append(row)
    return out
