"""Issue 21: a comparison as data, from `bench compare --csv/--json` and from the page per
request (`/compare.csv?runs=`), grouped by volume and limits, safe for spreadsheets."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.harness.fio import TINY_JOB, served
from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration


def _run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        env={**os.environ, "PYTHONPATH": str(REPO), **extra},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """gp3 and io2 runs made by fio, and a copy of the gp3 run whose metadata (as a pulled
    run's may) holds a formula for a volume type and container limits."""
    require_tool("fio")
    data = tmp_path_factory.mktemp("exports") / "fio-data"
    data.mkdir()
    (data / "tiny.fio").write_text(TINY_JOB, encoding="utf-8")
    for volume in ("gp3", "io2"):
        proc = _run(
            "dockyard.fio",
            "tool",
            DATA_DIR=str(data),
            FIO_LOG_MSEC="250",
            JOBFILES="tiny.fio",
            PLOTNAME=volume,
            FIO_VOLUME_TYPE=volume,
        )
        assert proc.returncode == 0, proc.stderr
    gp3, io2 = sorted((data / "runs").iterdir(), key=lambda p: "io2" in p.name)
    hostile = data / "runs" / f"{gp3.name}-copy"
    shutil.copytree(gp3, hostile, symlinks=True)
    meta = json.loads((hostile / "metadata.json").read_text(encoding="utf-8"))
    meta["volume"]["type"] = "=HYPERLINK(1)"
    meta["limits"] = {"cpus": "1", "memory": "256m"}
    (hostile / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    again = data / "runs" / f"{gp3.name}-again"
    shutil.copytree(gp3, again, symlinks=True)
    return data, [gp3.name, io2.name, hostile.name, again.name]


def test_compare_writes_csv_and_json_grouped_and_guarded(
    three_runs: tuple[Path, list[str]], tmp_path: Path
) -> None:
    """Records per run, job and direction, grouped by (volume, limits); the CSV reads back
    to the JSON's records; a cell starting with '=' is written as text ('=...)."""
    data, names = three_runs
    out_csv, out_json = tmp_path / "c.csv", tmp_path / "c.json"
    order = [names[0], names[2], names[1], names[3]]
    proc = _run(
        "dockyard",
        "bench",
        "compare",
        *order,
        "-d",
        str(data),
        "--csv",
        str(out_csv),
        "--json",
        str(out_json),
    )
    assert proc.returncode == 0, proc.stderr
    document = json.loads(out_json.read_text(encoding="utf-8"))
    assert document["runs"] == order
    records = document["records"]
    # the second gp3 run (same volume, no limits) joins the first one's group
    grouped = [order[0], order[3], order[1], order[2]]
    assert [r["run"] for r in records] == [run for run in grouped for _ in range(2)]
    assert [r["job"] for r in records[:2]] == ["tiny-read", "tiny-write"]
    assert records[4]["limits"] == "cpus=1 memory=256m" and records[0]["limits"] == ""
    assert all(r["iops"] > 0 for r in records)
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert len(rows) == len(records)
    assert rows[4]["volume_type"] == "'=HYPERLINK(1)"
    assert rows[4]["volume"].startswith("'=HYPERLINK(1)")
    assert [float(r["iops"]) for r in rows] == [r["iops"] for r in records]
    assert rows[6]["volume_type"] == "io2"
    bad = _run("dockyard", "bench", "compare", names[0], "-d", str(data), "--csv", "/nope/x.csv")
    assert bad.returncode == 2 and "--csv" in bad.stderr


def test_page_serves_the_same_comparison_per_request(three_runs: tuple[Path, list[str]]) -> None:
    """`/compare.csv?runs=a,b` and `.json`: drawn per request (no file written), a download
    with the stored files' CSP; the page links to them; an unknown run is a 404."""
    data, names = three_runs
    selection = f"{names[1]},{names[0]}"
    with served(data) as port:
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/compare.csv?runs={selection}", timeout=30) as a:  # noqa: S310
            assert a.headers["Content-Type"] == "text/csv; charset=utf-8"
            assert a.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
            assert a.headers["Content-Disposition"] == 'attachment; filename="compare.csv"'
            assert a.headers["X-Content-Type-Options"] == "nosniff"
            body = a.read().decode("utf-8")
        with urllib.request.urlopen(f"{base}/compare.json?runs={selection}", timeout=30) as a:  # noqa: S310
            assert a.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
            document = json.loads(a.read())
        with urllib.request.urlopen(f"{base}/?runs={selection}", timeout=30) as a:  # noqa: S310
            page = a.read().decode("utf-8")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{base}/compare.json?runs=nosuchrun", timeout=30)  # noqa: S310
        assert err.value.code == 404
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["run"] for r in rows] == [names[1]] * 2 + [names[0]] * 2
    assert document["runs"] == [names[1], names[0]]
    assert f'href="compare.csv?runs={selection}"' in page
    assert f'href="compare.json?runs={selection}"' in page
    assert not (data / "compare.csv").exists() and not (data / "compare.json").exists()
