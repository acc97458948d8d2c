"""Issue 21: `dockyard bench sweep` for real, on a loop-mounted ext4 with direct I/O: every
point of a 2 x 2 x 2 sweep in one run directory, its charts drawn, the page in Chromium;
two sweeps of the same points compared side by side (`bench compare`, and the page per
request)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from dockyard.fio.results import load_result
from tests.harness.fio import png_info, served
from tests.harness.page import PageParser, dump_dom
from tests.harness.tools import REPO, require_root, require_tool

pytestmark = pytest.mark.integration

POINTS = [
    f"{rw}-4k-iodepth-{depth}-numjobs-{jobs}"
    for rw in ("randread", "randwrite")
    for depth in (1, 8)
    for jobs in (1, 2)
]


def in_mount_namespace(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A shell script in a private mount namespace (its mounts vanish with it)."""
    require_root()
    require_tool("unshare")
    require_tool("mkfs.ext4")
    require_tool("fio")
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "bash", "-euo", "pipefail", "-c", script],
        env={**os.environ, "PYTHONPATH": str(REPO), "PY": sys.executable},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def sweep_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real 2 x 2 x 2 sweep (rw x iodepth x numjobs), preconditioned, with fio's
    steady-state option, on a loop-mounted ext4, then the same points again without them
    (`sweep222b`, to compare); returns the data dir."""
    tmp = tmp_path_factory.mktemp("sweep")
    script = textwrap.dedent(
        """\
        truncate -s 400M disk.img
        mkfs.ext4 -q -F disk.img
        mkdir ext4
        mount -o loop disk.img ext4
        trap 'umount ext4 || true' EXIT
        "$PY" -m dockyard bench sweep ext4 -d data -n sweep222 --rw randread,randwrite \\
          --bs 4k --iodepth 1 --iodepth 8 --numjobs 1,2 --size 64M --runtime 2 --ramp 1 \\
          --precondition --steadystate iops_slope:50% --ss-duration 2 --log-msec 250 --no-serve
        "$PY" -m dockyard bench sweep ext4 -d data -n sweep222b --rw randread,randwrite \
          --bs 4k --iodepth 1,8 --numjobs 1,2 --size 64M --runtime 1 --ramp 0 --no-serve
        """
    )
    proc = in_mount_namespace(script, tmp)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "sweep: 8 point(s)" in proc.stdout
    return tmp / "data"


def _run_dir(data: Path, name: str = "sweep222") -> Path:
    (run_dir,) = (data / "runs").glob(f"*-{name}")
    return run_dir


def test_sweep_runs_every_point_direct_on_ext4(sweep_run: Path) -> None:
    """One run directory: fio ran the fill and all eight points with direct=1 and libaio,
    clones and all; metadata names each parameter and each point; the target was ext4."""
    run_dir = _run_dir(sweep_run)
    result = load_result(run_dir)
    assert result is not None, "result.json must parse (fio writes -nan with steadystate)"
    names = [job["jobname"] for job in result["jobs"]]
    assert names[0] == "precondition"
    assert sorted(set(names[1:])) == sorted(POINTS)
    assert len(names) == 1 + sum(int(p.rsplit("-", 1)[1]) for p in POINTS)
    assert result["global options"]["direct"] == "1"
    assert result["global options"]["ioengine"] == "libaio"
    for job in result["jobs"][1:]:
        assert job["job options"]["steadystate"].startswith("iops_slope")
        stats = job["read"] if job["jobname"].startswith("randread") else job["write"]
        assert stats["total_ios"] > 0, job["jobname"]
    meta = json.loads((run_dir / "metadata.json").read_text(encoding="utf-8"))
    assert meta["target_fs"]["fstype"] == "ext4" and meta["direct"] is True
    sweep = meta["sweep"]
    assert sweep["rw"] == ["randread", "randwrite"] and sweep["bs"] == ["4k"]
    assert sweep["iodepth"] == [1, 8] and sweep["numjobs"] == [1, 2]
    assert sweep["precondition"] is True and sweep["steadystate"] == "iops_slope:50%"
    assert (sweep["size"], sweep["runtime"], sweep["ramp"]) == ("64M", 2, 1)
    assert [p["job"] for p in sweep["points"]] == POINTS


def test_sweep_charts_and_histograms_are_drawn(sweep_run: Path) -> None:
    """Bars across iodepth per numjobs for each rw, and a latency histogram per point."""
    run_dir = _run_dir(sweep_run)
    for rw, direction in (("randread", "read"), ("randwrite", "write")):
        info = png_info(run_dir / f"sweep-{rw}-4k-{direction}.png")
        assert info.title == f"Sweep {rw} 4k {direction}: IOPS and latency across iodepth"
        assert info.height > info.width / 2, "one row per numjobs"
    for point in POINTS:
        direction = "read" if point.startswith("randread") else "write"
        info = png_info(run_dir / f"hist-{point}-{direction}.png")
        assert info.title == f"Latency histogram: {point} {direction}"


def test_sweep_page_shows_every_point_and_every_image_loads(
    sweep_run: Path, tmp_path: Path
) -> None:
    """The served page in headless Chromium: the sweep table has all eight points, every
    sweep chart is on it and every image loads; runs.json carries the points."""
    run_dir = _run_dir(sweep_run)
    with served(sweep_run) as port:
        dom = dump_dom(f"http://127.0.0.1:{port}/", tmp_path / "profile")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/runs.json", timeout=60) as answer:
            listing = json.loads(answer.read())
    page = PageParser()
    page.feed(dom)
    srcs = [str(img["src"]) for img in page.images]
    wanted = [f"runs/{run_dir.name}/sweep-randread-4k-read.png"]
    wanted += [
        f"runs/{run_dir.name}/hist-{p}-{'read' if 'read' in p else 'write'}.png" for p in POINTS
    ]
    assert all(src in srcs for src in wanted), srcs
    broken = [img["src"] for img in page.images if img.get("data-loaded") != "yes"]
    assert not broken, f"images that did not load in Chromium: {broken}"
    for point in POINTS:
        assert f'data-point="{point}"' in dom
    (entry,) = [run for run in listing if run["name"] == run_dir.name]
    assert sorted(p["job"] for p in entry["sweep"]) == sorted(POINTS)
    assert all(p["iops"] > 0 and p["p99_us"] > 0 and p["mean_us"] > 0 for p in entry["sweep"])


def test_sweeps_compared_side_by_side_in_the_cli_and_on_the_page(
    sweep_run: Path, tmp_path: Path
) -> None:
    """`bench compare A B --png` on two sweeps: one line per point with both runs' IOPS,
    and a chart of the same points side by side; the page for `?runs=A,B` in Chromium
    shows that chart drawn per request, and every image on it loads."""
    first, second = _run_dir(sweep_run).name, _run_dir(sweep_run, "sweep222b").name
    png = tmp_path / "sweeps.png"
    proc = subprocess.run(
        [sys.executable, "-m", "dockyard", "bench", "compare", first, second,
         "-d", str(sweep_run), "--png", str(png)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"[1] {first} (ext4 on /dev/loop")
    assert lines[1].startswith(f"[2] {second} (")
    assert lines[2].split()[:4] == ["point", "dir", "[1]", "IOPS"]
    rows = {line.split()[0]: line.split()[2:] for line in lines[3:] if not line.startswith("chart")}
    assert sorted(rows) == sorted(POINTS)
    assert all(
        len(cells) == 4 and float(cells[0]) > 0 and float(cells[2]) > 0 for cells in rows.values()
    )
    info = png_info(png)
    assert info.title == "Sweeps compared: 2 run(s), the same points side by side"
    assert info.height > 4 * 300, "IOPS and p99 rows for randread and randwrite"
    with served(sweep_run) as port:
        url = f"http://127.0.0.1:{port}/?runs={first},{second}"
        dom = dump_dom(url, tmp_path / "profile")
        chart = f"http://127.0.0.1:{port}/compare-sweep.png?runs={first},{second}"
        with urllib.request.urlopen(chart, timeout=120) as answer:
            assert answer.headers["Content-Type"] == "image/png"
            (tmp_path / "served.png").write_bytes(answer.read())
    assert png_info(tmp_path / "served.png").title == info.title
    page = PageParser()
    page.feed(dom)
    srcs = [str(img["src"]) for img in page.images]
    assert f"compare-sweep.png?runs={first},{second}" in srcs, srcs
    broken = [img["src"] for img in page.images if img.get("data-loaded") != "yes"]
    assert not broken, f"images that did not load in Chromium: {broken}"
    assert len(page.images) >= 2 + 2 * (2 + len(POINTS)), srcs


def _hostile_copy(data: Path, source: Path) -> Path:
    """A copy of a sweep run whose metadata (as a pulled run's may) names a formula for
    its volume type and container limits on every point, and lacks its last point."""
    copy = data / "runs" / f"{source.name}-hostile"
    if not copy.exists():
        shutil.copytree(source, copy, symlinks=True)
        meta = json.loads((copy / "metadata.json").read_text(encoding="utf-8"))
        meta["volume"] = {"type": "=HYPERLINK(1)"}
        meta["limits"] = {"cpus": "1"}
        points = meta["sweep"]["points"][:-1]
        meta["sweep"]["points"] = [{**point, "limits": {"cpus": "1"}} for point in points]
        (copy / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    return copy


def test_sweeps_compared_exported_as_csv_and_json(sweep_run: Path, tmp_path: Path) -> None:
    """`bench compare A H B --csv --json` on sweeps: one record per point and direction,
    each run's IOPS, mean and p99 latency, volume and limits side by side, the runs'
    columns grouped by (volume, limits) (A and B measured the same ext4: together); the
    CSV reads back to the JSON's records, a formula is written as text, a point a run
    lacks is empty (null); the page serves the same table per request."""
    first, second = _run_dir(sweep_run), _run_dir(sweep_run, "sweep222b")
    hostile = _hostile_copy(sweep_run, second)
    out_csv, out_json = tmp_path / "s.csv", tmp_path / "s.json"
    order = [first.name, hostile.name, second.name]
    proc = subprocess.run(
        [sys.executable, "-m", "dockyard", "bench", "compare", *order,
         "-d", str(sweep_run), "--csv", str(out_csv), "--json", str(out_json)],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    document = json.loads(out_json.read_text(encoding="utf-8"))
    assert document["runs"] == order and document["sweep"] is True
    records = document["records"]
    assert [(r["job"], r["direction"]) for r in records] == [
        (point, "read" if point.startswith("randread") else "write") for point in POINTS
    ]
    assert {(r["rw"], r["bs"], r["iodepth"], r["numjobs"]) for r in records} == {
        (rw, "4k", depth, jobs)
        for rw in ("randread", "randwrite")
        for depth in (1, 8)
        for jobs in (1, 2)
    }
    assert all(
        r["run_1"] == first.name and r["run_2"] == second.name and r["run_3"] == hostile.name
        for r in records
    )
    assert records[0]["volume_1"] == records[0]["volume_2"]
    assert records[0]["volume_1"].startswith("ext4 on /dev/loop")
    assert records[0]["volume_3"].startswith("=HYPERLINK(1)")
    assert [r["limits_3"] for r in records[:-1]] == ["cpus=1"] * (len(POINTS) - 1)
    assert records[0]["limits_1"] == "" and records[-1]["limits_3"] is None
    assert records[-1]["iops_3"] is None and records[-1]["p99_us_3"] is None
    for n in (1, 2):
        assert all(r[f"iops_{n}"] > 0 and 0 < r[f"mean_us_{n}"] <= r[f"p99_us_{n}"] * 1.5
                   for r in records)  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert list(rows[0]) == list(records[0])
    assert [float(r["iops_1"]) for r in rows] == [r["iops_1"] for r in records]
    assert [int(r["iodepth"]) for r in rows] == [r["iodepth"] for r in records]
    assert rows[0]["volume_3"].startswith("'=HYPERLINK(1)")
    assert rows[-1]["iops_3"] == "" and rows[-1]["run_3"] == hostile.name
    with served(sweep_run) as port:
        base = f"http://127.0.0.1:{port}/compare"
        selection = f"runs={first.name},{second.name}"
        with urllib.request.urlopen(f"{base}.csv?{selection}", timeout=120) as answer:  # noqa: S310
            assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
            served_rows = list(csv.DictReader(io.StringIO(answer.read().decode("utf-8"))))
        with urllib.request.urlopen(f"{base}.json?{selection}", timeout=120) as answer:  # noqa: S310
            served_json = json.loads(answer.read())
    assert served_json["sweep"] is True and len(served_json["records"]) == len(POINTS)
    assert [r["run_2"] for r in served_json["records"]] == [second.name] * len(POINTS)
    assert "run_3" not in served_json["records"][0]
    assert [r["iops_1"] for r in served_rows] == [r["iops_1"] for r in rows]
