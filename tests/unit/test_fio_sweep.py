"""The pure parts of `bench sweep`: the lists it takes, the job file, reading points back."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from dockyard.fio.jobs import FioError
from dockyard.fio.results import load_result
from dockyard.fio.sweep import (
    bins_percentile,
    check_spec,
    point_of,
    point_results,
    sweep_job,
    with_limits,
)


def _spec(**options: Any) -> Any:
    base: dict[str, Any] = {"rw": ["randread,randwrite"], "bs": ["4k"], "iodepth": ["1", "8"]}
    base.update(options)
    return check_spec(
        base.pop("rw"), base.pop("bs"), base.pop("iodepth"), base.pop("numjobs", ["1,2"]), **base
    )


def test_lists_are_comma_separated_or_repeated_in_order() -> None:
    """`--iodepth 1 --iodepth 8 --numjobs 1,2` gives 2 x 2 x 2 points in the order given."""
    spec = _spec()
    assert [p.name for p in spec.points()] == [
        f"{rw}-4k-iodepth-{d}-numjobs-{j}"
        for rw in ("randread", "randwrite")
        for d in (1, 8)
        for j in (1, 2)
    ]
    meta = spec.as_metadata()
    assert meta["iodepth"] == [1, 8] and meta["numjobs"] == [1, 2] and len(meta["points"]) == 8


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"rw": ["randread,trimwrite"]}, "--rw 'trimwrite'"),
        ({"bs": ["4k,../x"]}, "--bs '../x'"),
        ({"iodepth": ["0"]}, "--iodepth '0'"),
        ({"numjobs": ["65"]}, "--numjobs '65'"),
        ({"size": "1G\nexec_prerun=x"}, "--size"),
        ({"runtime": 0}, "--runtime"),
        ({"steadystate": "iops:1%\nexec_prerun=id"}, "--steadystate"),
        ({"steadystate": "iops:1%", "runtime": 5, "ss_duration": 6}, "--ss-duration"),
        ({"iodepth": [",".join(str(n) for n in range(1, 100))]}, "at most 256"),
    ],
)
def test_bad_values_are_refused_naming_them(options: dict[str, Any], words: str) -> None:
    """Each value ends up in a job file: a bad one (or one smuggling a line) is a FioError."""
    with pytest.raises(FioError, match=words.replace("(", r"\(")):
        _spec(**options)


def test_job_file_preconditions_then_runs_each_point_behind_a_stonewall() -> None:
    """The fill comes first; every point sets its own rw, bs, iodepth, numjobs and runtime."""
    text = sweep_job(_spec(precondition=True, steadystate="iops_slope:0.3%", runtime=5)).content
    sections = text.split("\n[")[2:]  # after the comment and [global]
    assert sections[0].startswith("precondition]") and "rw=write" in sections[0]
    assert len(sections) == 9
    for section in sections[1:]:
        assert "stonewall" in section and "runtime=5" in section
        assert "steadystate=iops_slope:0.3%" in section and "steadystate_duration=5" in section
    assert "direct=1" in text and "time_based" not in sections[0]
    plain = sweep_job(_spec()).content
    assert "precondition" not in plain and "steadystate" not in plain


def _job(name: str, iops: float, mean: float, bins: dict[str, int]) -> dict[str, Any]:
    stats = {"total_ios": sum(bins.values()), "iops": iops, "bw_bytes": iops * 4096}
    stats["clat_ns"] = {"mean": mean, "bins": bins}
    return {"jobname": name, "read": stats, "write": {"total_ios": 0}}


def test_points_add_clones_weight_means_and_merge_bins() -> None:
    """Two clones: IOPS added, mean weighted by I/Os, p99 from the merged bins, and the
    clones' fio job numbers (log files) kept; a point fio never ran is left out."""
    spec = _spec(rw=["randread"], iodepth=["4"], numjobs=["1,2"])
    result = {
        "jobs": [
            _job("randread-4k-iodepth-4-numjobs-1", 100.0, 1000.0, {"1000": 100}),
            _job("randread-4k-iodepth-4-numjobs-2", 300.0, 1000.0, {"1000": 300}),
            _job("randread-4k-iodepth-4-numjobs-2", 100.0, 5000.0, {"9000": 100}),
        ]
    }
    one, two = point_results(spec.as_metadata(), result)
    assert (one.iops, one.log_indexes, one.p99_us) == (100.0, (1,), 1.0)
    assert two.iops == 400.0 and two.log_indexes == (2, 3)
    assert math.isclose(two.mean_us, (300 * 1.0 + 100 * 5.0) / 400)
    assert two.p99_us == 9.0
    assert point_results(spec.as_metadata(), {"jobs": result["jobs"][:1]}) == [one]
    assert bins_percentile({}, 99.0) == 0.0


@pytest.mark.parametrize(
    "entry",
    [
        {"rw": "randread/../../x", "bs": "4k", "iodepth": 1, "numjobs": 1},
        {"rw": "randread", "bs": "4k/../..", "iodepth": 1, "numjobs": 1},
        {"rw": "randread", "bs": "4k", "iodepth": 0, "numjobs": 1},
        {"rw": "randread", "bs": "4k", "iodepth": "x", "numjobs": 1},
    ],
)
def test_points_from_a_foreign_run_are_checked(entry: dict[str, Any]) -> None:
    """A pulled run's metadata names the graphs' files: anything the command would refuse
    is a ValueError (the page lists that run with its problem)."""
    with pytest.raises(ValueError):
        point_of(entry)


def test_result_with_fios_nan_still_reads(tmp_path: Path) -> None:
    """fio writes `-nan` in a steady-state result; the result still loads."""
    (tmp_path / "result.json").write_text(
        'note\n{"jobs": [{"jobname": "a-nan", "steadystate": {"slope": -nan, "x": [nan, 1]}}]}',
        encoding="utf-8",
    )
    result = load_result(tmp_path)
    assert result is not None and result["jobs"][0]["jobname"] == "a-nan"
    assert math.isnan(result["jobs"][0]["steadystate"]["slope"])


def test_hostile_sweep_metadata_gets_a_problem_not_a_file_outside(tmp_path: Path) -> None:
    """A pulled run whose sweep names a point `../../x`: the page lists it with its problem
    and no graph is written outside its run directory."""
    import json

    from dockyard.fio.report import ensure_plots, render_page

    run = tmp_path / "data" / "runs" / "20260101T000000Z-evil"
    run.mkdir(parents=True)
    point = {"job": "x", "rw": "../../../escape", "bs": "4k", "iodepth": 1, "numjobs": 1}
    meta = {"exit_status": 0, "plotname": "evil", "sweep": {"points": [point]}}
    (run / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    job = {"jobname": "x", "read": {"total_ios": 1, "iops": 1.0, "clat_ns": {"mean": 1.0}}}
    (run / "result.json").write_text(json.dumps({"jobs": [job]}), encoding="utf-8")
    (listed,) = ensure_plots(tmp_path / "data")
    assert listed.problem and "could not be drawn" in listed.problem
    assert "could not be drawn" in render_page(tmp_path / "data", [listed])
    outside = [p for p in tmp_path.rglob("*.png") if not p.is_relative_to(run)]
    assert outside == []


def test_limits_are_recorded_on_every_point_and_read_back() -> None:
    """A sweep in a container: each point of metadata's sweep names the limits it ran
    under, and the points read back from fio's result carry their label."""
    spec = _spec()
    asked = {"cpus": "1", "memory": None, "device": "/dev/loop0", "device_read_iops": "500"}
    sweep = with_limits(spec.as_metadata(), {**asked, "engine": "podman", "seen": {}})
    assert all(point["limits"]["device_read_iops"] == "500" for point in sweep["points"])
    assert all("engine" not in point["limits"] for point in sweep["points"])
    assert with_limits(spec.as_metadata(), None)["points"][0]["limits"] is None
    point = spec.points()[0]
    job = {"jobname": point.name, "read": {"total_ios": 10, "iops": 5.0, "clat_ns": {}}}
    (row,) = point_results(sweep, {"jobs": [job]})
    assert row.limits == "cpus=1 device_read_iops=500"


def test_sweeps_compare_side_by_side_with_hostile_labels(tmp_path: Path) -> None:
    """Two pulled sweep runs, one lacking a point and labelled with matplotlib math
    (`$\\bogus{$`, which fails a figure when read as a formula): the side-by-side chart
    draws them as text; a run that is no sweep is refused by name."""
    import io
    import json

    from PIL import Image

    from dockyard.fio.plots import comparison_png
    from dockyard.fio.results import list_runs
    from dockyard.fio.sweep_plots import sweep_comparison_png

    spec = _spec()
    for name, points in (("a", spec.points()), ("b", spec.points()[1:]), ("c", None)):
        run = tmp_path / "runs" / f"20260101T000000Z-{name}"
        run.mkdir(parents=True)
        volume = {"type": "gp3 $\\bogus{$"}
        meta = {"exit_status": 0, "plotname": name, "volume": volume, "finished": "x"}
        if points is not None:
            meta["sweep"] = spec.as_metadata()
        jobs = [
            {"jobname": p.name, "read": {"total_ios": 4, "iops": 2.0, "clat_ns": {"mean": 5.0}}}
            for p in points or spec.points()[:1]
        ]
        (run / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
        (run / "result.json").write_text(json.dumps({"jobs": jobs}), encoding="utf-8")
    runs = sorted(list_runs(tmp_path), key=lambda run: run.name)
    assert [run.name[-1] for run in runs] == ["a", "b", "c"]
    png = sweep_comparison_png(runs)
    with Image.open(io.BytesIO(png)) as image:
        assert image.info["Title"] == "Sweeps compared: 2 run(s), the same points side by side"
    assert comparison_png(runs).startswith(b"\x89PNG")
    with pytest.raises(FioError, match="none of the runs is a sweep"):
        sweep_comparison_png(runs[2:])
