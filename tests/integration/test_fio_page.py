"""The report page in headless Chromium: every run is shown and every graph loads."""

from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.harness.fio import TINY_JOB, served
from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class PageParser(HTMLParser):
    """Collects the run sections and the graphs' src / data-loaded from Chromium's DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[str] = []
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section" and attributes.get("data-run"):
            self.runs.append(str(attributes["data-run"]))
        if tag == "img" and "graph" in (attributes.get("class") or ""):
            self.images.append(attributes)


def dump_dom(url: str, profile: Path) -> str:
    chromium = require_tool("chromium")
    proc = subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


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
