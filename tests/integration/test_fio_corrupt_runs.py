"""One corrupt run does not take the report down (issue 23).

Runs come from other hands (a pull from a shared bucket, a crashed container, a disk
that filled). Beside one real fio run, runs whose metadata.json or result.json is null, a
list, not UTF-8 or not JSON, or whose logs hold bad lines: `/` (in headless Chromium)
still lists the good run with its graphs and names each bad one, `/runs.json` answers,
and `/healthz` answers 200 only because the page renders.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.harness.fio import TINY_JOB, served
from tests.harness.page import PageParser, dump_dom
from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration

CORRUPT: dict[str, dict[str, bytes]] = {
    "20250101T000001Z-meta-null": {"metadata.json": b"null"},
    "20250101T000002Z-meta-list": {"metadata.json": b"[1, 2]"},
    "20250101T000003Z-meta-latin1": {"metadata.json": b'{"host": "\xe9t\xe9"}'},
    "20250101T000004Z-meta-broken": {"metadata.json": b'{"exit_status": 0,'},
    "20250101T000005Z-meta-volume": {"metadata.json": b'{"exit_status": 0, "volume": 7}'},
    "20250101T000006Z-result-list": {
        "metadata.json": b'{"exit_status": 0}',
        "result.json": b'{"jobs": 5}',
    },
    "20250101T000007Z-result-jobs": {
        "metadata.json": b'{"exit_status": 0}',
        "result.json": b'{"jobs": [{"jobname": "x", "read": "?"}]}',
    },
    "20250101T000008Z-bad-logs": {
        "metadata.json": b'{"exit_status": 0}',
        "result.json": b'{"jobs": []}',
        "fio_bw.1.log": b"250, lots, 0, 4096, 0\n12, 3, x, 4096\n",
    },
    "20250101T000009Z-result-bytes": {
        "metadata.json": b'{"exit_status": 0}',
        "result.json": b"\xff\xfe{",
    },
}


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - local URL
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_good_run_is_shown_beside_corrupt_ones(tmp_path: Path) -> None:
    """Every corrupt shape is named on the page; the real run keeps its table and graphs."""
    require_tool("fio")
    data = tmp_path / "fio-data"
    data.mkdir()
    (data / "tiny.fio").write_text(TINY_JOB, encoding="utf-8")
    env = dict(os.environ, DATA_DIR=str(data), FIO_LOG_MSEC="250", PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [sys.executable, "-m", "dockyard.fio", "tool"],
        env={**env, "JOBFILES": "tiny.fio", "PLOTNAME": "good"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (good,) = [p.name for p in (data / "runs").iterdir()]
    for name, files in CORRUPT.items():
        run = data / "runs" / name
        run.mkdir()
        for file, body in files.items():
            (run / file).write_bytes(body)
    with served(data) as port:
        base = f"http://127.0.0.1:{port}"
        health, _ = _get(f"{base}/healthz")
        listed_status, listed = _get(f"{base}/runs.json")
        dom = dump_dom(f"{base}/", tmp_path / "profile")
    assert health == 200
    assert listed_status == 200
    by_name = {run["name"]: run for run in json.loads(listed)}
    assert by_name[good]["problem"] is None and by_name[good]["summary"]
    for name in CORRUPT:
        assert by_name[name]["problem"], name
    page = PageParser()
    page.feed(dom)
    assert set(page.runs) == {good, *CORRUPT}
    srcs = [str(img["src"]) for img in page.images]
    for png in ("bandwidth.png", "iops.png", "latency.png"):
        assert f"runs/{good}/{png}" in srcs
    assert dom.count("This run is not shown") == len(CORRUPT)
    broken = [img["src"] for img in page.images if img.get("data-loaded") != "yes"]
    assert not broken, f"images that did not load in Chromium: {broken}"
