"""The report page: every run, newest first, with graphs, summary table and raw files."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from dockyard.files import write_file
from dockyard.fio import plots
from dockyard.fio.results import RunInfo, list_runs
from dockyard.fio.run import RESULT, RUNS

INDEX = "index.html"
RUNS_JSON = "runs.json"
_LOCK = threading.Lock()

_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fio runs in {{ data_dir }}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.6em; text-align: right; }
th:first-child, td:first-child, td:nth-child(2) { text-align: left; }
img { max-width: 100%; display: block; margin: 0.5em 0; }
section.run { border-top: 2px solid #444; margin-top: 1.5em; }
</style>
</head>
<body>
<h1>fio runs</h1>
<p>{{ runs | length }} run(s), newest first.
Listing as JSON: <a href="{{ runs_json }}">{{ runs_json }}</a></p>
{% if compare %}<h2>Comparison</h2>
<img class="graph" src="{{ compare }}" alt="comparison of runs">{% endif %}
{% for run in runs %}
<section class="run" id="{{ run.name }}" data-run="{{ run.name }}">
<h2>{{ run.name }}</h2>
<p>host {{ run.metadata.get("host", "?") }}, {{ run.metadata.get("fio_version", "?") }},
kernel {{ run.metadata.get("kernel", "?") }};
{% if run.finished %}fio exit status {{ run.metadata.get("exit_status") }}
{%- else %}running or interrupted{% endif %}</p>
{% if run.rows %}
<table class="summary">
<tr><th>job</th><th>direction</th><th>IOPS</th><th>bandwidth (MiB/s)</th>
<th>clat p50 (µs)</th><th>clat p99 (µs)</th><th>clat p99.9 (µs)</th></tr>
{% for row in run.rows %}
<tr><td>{{ row.job }}</td><td>{{ row.direction }}</td><td>{{ "%.0f" | format(row.iops) }}</td>
<td>{{ "%.2f" | format(row.bw_mib_s) }}</td><td>{{ "%.1f" | format(row.p50_us) }}</td>
<td>{{ "%.1f" | format(row.p99_us) }}</td><td>{{ "%.1f" | format(row.p99_9_us) }}</td></tr>
{% endfor %}
</table>
{% endif %}
{% for png in run.pngs %}<img class="graph" src="{{ png.href }}" alt="{{ png.name }}">{% endfor %}
<details><summary>raw files</summary><ul>
{% for file in run.links %}<li><a href="{{ file.href }}">{{ file.name }}</a></li>{% endfor %}
</ul></details>
</section>
{% endfor %}
<script>
// Marks each graph data-loaded="yes" or "error" once the browser has tried to load it.
document.querySelectorAll("img.graph").forEach(function (img) {
  function mark() { img.dataset.loaded = img.naturalWidth > 0 ? "yes" : "error"; }
  if (img.complete) { mark(); } else {
    img.addEventListener("load", mark);
    img.addEventListener("error", mark);
  }
});
</script>
</body>
</html>
"""
)


def _href(*parts: str) -> str:
    return "/".join(urllib.parse.quote(part) for part in parts)


def ensure_plots(data_dir: Path, compare: Sequence[str] | None = None) -> list[RunInfo]:
    """Draw graphs for finished runs that lack them (or are older than their result)."""
    with _LOCK:
        runs = list_runs(data_dir)
        for run in runs:
            result = run.path / RESULT
            if not run.finished or not result.exists():
                continue
            newest = result.stat().st_mtime
            pngs = [run.path / name for name in plots.RUN_PNGS]
            if all(p.exists() and p.stat().st_mtime >= newest for p in pngs):
                continue
            plots.run_plots(run.path, str(run.metadata.get("plotname", run.name)))
        chosen = [r for r in runs if r.rows and (not compare or r.name in compare)]
        if len(chosen) >= 2:
            plots.comparison_chart(list(reversed(chosen)), data_dir / plots.COMPARE_PNG)
        return list_runs(data_dir)


def listing(runs: Sequence[RunInfo]) -> list[dict[str, Any]]:
    """The JSON listing of runs (newest first)."""
    return [
        {
            "name": run.name,
            "finished": run.finished,
            "exit_status": run.metadata.get("exit_status"),
            "plotname": run.metadata.get("plotname"),
            "host": run.metadata.get("host"),
            "started": run.metadata.get("started"),
            "fio_version": run.metadata.get("fio_version"),
            "summary": [row.__dict__ for row in run.rows],
            "files": [_href(RUNS, run.name, f) for f in run.files],
        }
        for run in runs
    ]


def render_page(data_dir: Path, runs: Sequence[RunInfo]) -> str:
    view = []
    for run in runs:
        pngs = [name for name in plots.RUN_PNGS if name in run.files]
        pngs += [f for f in run.files if f.endswith(".png") and f not in plots.RUN_PNGS]
        view.append(
            {
                "name": run.name,
                "metadata": run.metadata,
                "finished": run.finished,
                "rows": run.rows,
                "pngs": [{"name": p, "href": _href(RUNS, run.name, p)} for p in pngs],
                "links": [{"name": f, "href": _href(RUNS, run.name, f)} for f in run.files],
            }
        )
    compare = plots.COMPARE_PNG if (data_dir / plots.COMPARE_PNG).is_file() else None
    return _TEMPLATE.render(data_dir=str(data_dir), runs=view, compare=compare, runs_json=RUNS_JSON)


def write_report(data_dir: Path, compare: Sequence[str] | None = None) -> Path:
    """Graphs, index.html and runs.json in the data dir (static copy of what serve shows)."""
    runs = ensure_plots(data_dir, compare)
    write_file(data_dir / RUNS_JSON, json.dumps(listing(runs), indent=2) + "\n")
    index = data_dir / INDEX
    write_file(index, render_page(data_dir, runs))
    return index
