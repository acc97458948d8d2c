"""The report page in headless Chromium: every run is shown and every graph loads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.fio import TINY_JOB, served
from tests.harness.page import PageParser, dump_dom
from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration


def test_page_shows_every_run_and_every_graph_loads(tmp_path: Path) -> None:
    """Three real runs, served; Chromium sees three sections, newest first, no broken image."""
    require_tool("fio")
    data = tmp_path / "fio-data"
    data.mkdir()
    (data / "tiny.fio").write_text(TINY_JOB, encoding="utf-8")
    env = dict(os.environ, DATA_DIR=str(data), FIO_LOG_MSEC="250", PYTHONPATH=str(REPO))
    for name in ("gp3", "io2", "st1"):
        proc = subprocess.run(
            [sys.executable, "-m", "dockyard.fio", "tool"],
            env={**env, "JOBFILES": "tiny.fio", "PLOTNAME": name},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
    runs = sorted((p.name for p in (data / "runs").iterdir()), reverse=True)
    with served(data) as port:
        dom = dump_dom(f"http://127.0.0.1:{port}/", tmp_path / "profile")
    page = PageParser()
    page.feed(dom)
    assert page.runs == runs
    srcs = [str(img["src"]) for img in page.images]
    for run in runs:
        for png in ("bandwidth.png", "iops.png", "latency.png"):
            assert f"runs/{run}/{png}" in srcs
    # without ?runs= the page compares every run with results, oldest first
    assert f"compare.png?runs={','.join(reversed(runs))}" in srcs
    broken = [img["src"] for img in page.images if img.get("data-loaded") != "yes"]
    assert not broken, f"images that did not load in Chromium: {broken}"
    assert "tiny-read" in dom and "clat p99.9" in dom
