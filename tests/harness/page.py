"""The fio report page as a browser sees it: headless Chromium's DOM after the page ran,
and a parser for its run sections and graphs."""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

from tests.harness.tools import require_tool

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
