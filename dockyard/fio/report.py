"""The report page: every run, newest first, with graphs, summary table and raw files.

A comparison of runs is chosen in the page's URL (`/?runs=a,b`, or ticked boxes): the
served page draws it per request from those runs' results (`/compare.png?runs=a,b`, and
for sweeps their points side by side, `/compare-sweep.png?runs=a,b`), so the selection
is kept by the URL, never by a file. Unknown run names are an error.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from dockyard.files import write_file
from dockyard.fio import export, plots, sweep_plots
from dockyard.fio.jobs import FioError
from dockyard.fio.results import RunInfo, limits_label, list_runs
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
{% for note in notices %}<p class="notice"><strong>{{ note }}</strong></p>
{% endfor %}<p>{{ runs | length }} run(s), newest first.
Listing as JSON: <a href="{{ runs_json }}">{{ runs_json }}</a></p>
<form method="get" action="" id="compare-form">
<h2>Comparison</h2>
{% if compare %}<p class="compared">{% for run in compared %}<span class="compared-run"
data-run="{{ run.name }}">{{ run.name }}: {{ run.label }}</span>{% if not loop.last %};
{% endif %}{% endfor %}</p>
<img class="graph" id="compare" src="{{ compare }}" alt="comparison of the selected runs">
{% if compare_sweep %}<img class="graph" id="compare-sweep" src="{{ compare_sweep }}"
alt="the selected sweeps' points side by side">{% endif %}
{% if exports %}<p class="exports">The comparison as data:
{% for export in exports %}<a class="export" href="{{ export.href }}">{{ export.name }}</a>
{% endfor %}</p>{% endif %}
{% else %}<p>Tick two runs or more and press Compare (the selection is kept in the URL,
<code>?runs=a,b</code>).</p>{% endif %}
<input type="hidden" name="runs" id="runs-field" value="{{ selected | join(',') }}">
<button type="submit">Compare</button>
</form>
{% for run in runs %}
<section class="run" id="{{ run.name }}" data-run="{{ run.name }}">
<h2><label><input type="checkbox" class="pick" value="{{ run.name }}"
{%- if run.name in selected %} checked{% endif %}> {{ run.name }}</label></h2>
<p class="volume">{{ run.label }}</p>
{% if run.limits %}<p class="limits">container limits: {{ run.limits }}
{%- if run.seen %} (its cgroup: {% for key, value in run.seen.items() %}{{ key }} {{ value }}
{%- if not loop.last %}; {% endif %}{% endfor %}){% endif %}</p>{% endif %}
{% if run.problem %}<p class="problem"><strong>This run is not shown: {{ run.problem }}.</strong>
Its raw files are listed below.</p>{% endif %}
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
{% if run.sweep %}
<table class="sweep">
<tr><th>point</th><th>direction</th><th>rw</th><th>bs</th><th>iodepth</th><th>numjobs</th>
<th>IOPS</th><th>MiB/s</th><th>mean (µs)</th><th>p99 (µs)</th><th>steady state</th>
<th>container limits</th></tr>
{% for p in run.sweep %}
<tr class="point" data-point="{{ p.job }}"><td>{{ p.job }}</td><td>{{ p.direction }}</td>
<td>{{ p.rw }}</td><td>{{ p.bs }}</td><td>{{ p.iodepth }}</td><td>{{ p.numjobs }}</td>
<td>{{ "%.0f" | format(p.iops) }}</td><td>{{ "%.2f" | format(p.bw_mib_s) }}</td>
<td>{{ "%.1f" | format(p.mean_us) }}</td><td>{{ "%.1f" | format(p.p99_us) }}</td>
<td>{{ "-" if p.steady is none else ("attained" if p.steady else "not attained") }}</td>
<td class="point-limits">{{ p.limits or "none" }}</td></tr>
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
// The ticked runs go into ?runs=a,b (one parameter, comma-separated).
document.getElementById("compare-form").addEventListener("submit", function () {
  var picked = Array.prototype.map.call(
    document.querySelectorAll("input.pick:checked"), function (box) { return box.value; });
  document.getElementById("runs-field").value = picked.join(",");
});
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


def _draw_if_stale(run: RunInfo) -> None:
    """A finished run's graphs (and a sweep's), drawn when missing or older than its result."""
    result = run.path / RESULT
    if run.problem or not run.finished or not result.exists():
        return
    newest = result.stat().st_mtime
    pngs = [run.path / name for name in plots.RUN_PNGS]
    points = sweep_plots.run_points(run.path, run.metadata)
    pngs += [run.path / name for name in sweep_plots.sweep_png_names(points)]
    if all(p.exists() and p.stat().st_mtime >= newest for p in pngs):
        return
    plots.run_plots(
        run.path,
        str(run.metadata.get("plotname", run.name)),
        run.metadata.get("log_msec", "?"),
    )
    sweep_plots.sweep_plots(run.path, run.metadata)


def ensure_plots(data_dir: Path) -> list[RunInfo]:
    """Draw graphs for finished runs that lack them (or are older than their result)."""
    with _LOCK:
        broken: dict[str, str] = {}
        for run in list_runs(data_dir):
            try:
                _draw_if_stale(run)
            except (OSError, ValueError, TypeError, KeyError, IndexError, OverflowError) as err:
                broken[run.name] = f"its logs could not be drawn ({type(err).__name__})"
        return [
            dataclasses.replace(run, problem=broken[run.name], rows=[])
            if run.name in broken
            else run
            for run in list_runs(data_dir)
        ]


def sweep_points(run: RunInfo) -> list[sweep_plots.PointResult]:
    """A sweep run's points for the page; none for another run or one that cannot be read
    (ensure_plots has then given it its problem)."""
    if run.problem or not run.metadata.get("sweep"):
        return []
    try:
        return sweep_plots.run_points(run.path, run.metadata)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return []


def _seen(limits: object) -> dict[str, str]:
    seen = limits.get("seen") if isinstance(limits, dict) else None
    return {str(k): str(v) for k, v in seen.items()} if isinstance(seen, dict) else {}


def default_selection(runs: Sequence[RunInfo]) -> list[RunInfo]:
    """Without a selection: every run with results, oldest first."""
    return list(reversed([run for run in runs if run.rows and not run.problem]))


def parse_selection(values: Sequence[str]) -> list[str]:
    """Run names from `runs=a,b` (and repeated `runs=` parameters), in order, once each."""
    names = [name.strip() for value in values for name in value.split(",")]
    return list(dict.fromkeys(name for name in names if name))


def select_runs(runs: Sequence[RunInfo], names: Sequence[str]) -> list[RunInfo]:
    """The named runs, in the order given; FioError naming any unknown or unfinished one."""
    by_name = {run.name: run for run in runs}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        known = ", ".join(by_name) or "none"
        raise FioError(f"no run named {', '.join(unknown)} (runs: {known})")
    empty = [name for name in names if not by_name[name].rows]
    if empty:
        raise FioError(f"run {', '.join(empty)} has no results to compare (failed or running)")
    return [by_name[name] for name in names]


def listing(runs: Sequence[RunInfo]) -> list[dict[str, Any]]:
    """The JSON listing of runs (newest first)."""
    return [
        {
            "name": run.name,
            "finished": run.finished,
            "exit_status": run.metadata.get("exit_status"),
            "plotname": run.metadata.get("plotname"),
            "host": run.metadata.get("host"),
            "label": run.label,
            "volume": run.metadata.get("volume") or {},
            "limits": run.metadata.get("limits") or {},
            "started": run.metadata.get("started"),
            "fio_version": run.metadata.get("fio_version"),
            "problem": run.problem,
            "summary": [row.__dict__ for row in run.rows],
            "sweep": [dataclasses.asdict(point) for point in sweep_points(run)],
            "files": [_href(RUNS, run.name, f) for f in run.files],
        }
        for run in runs
    ]


def render_page(
    data_dir: Path,
    runs: Sequence[RunInfo],
    selected: Sequence[str] = (),
    compare: str | None = None,
    notices: Sequence[str] = (),
    exports: Sequence[dict[str, str]] | None = None,
    compare_sweep: str | None = None,
) -> str:
    """The page; `compare` is the comparison chart's URL for the `selected` runs, `exports`
    the links to the same comparison as data (name, href), `compare_sweep` the URL of
    their sweeps' points side by side."""
    view = []
    for run in runs:
        pngs = [name for name in plots.RUN_PNGS if name in run.files]
        others = [f for f in run.files if f.endswith(".png") and f not in plots.RUN_PNGS]
        # a sweep's bars before its histograms
        pngs += sorted(others, key=lambda f: (not f.startswith("sweep-"), f))
        view.append(
            {
                "name": run.name,
                "label": run.label,
                "metadata": run.metadata,
                "finished": run.finished,
                "problem": run.problem,
                "rows": run.rows,
                "sweep": sweep_points(run),
                "limits": limits_label(run.metadata.get("limits")),
                "seen": _seen(run.metadata.get("limits")),
                "pngs": [{"name": p, "href": _href(RUNS, run.name, p)} for p in pngs],
                "links": [{"name": f, "href": _href(RUNS, run.name, f)} for f in run.files],
            }
        )
    compared = [item for item in view if item["name"] in selected]
    return _TEMPLATE.render(
        data_dir=str(data_dir),
        runs=view,
        compare=compare,
        compared=compared,
        selected=list(selected),
        runs_json=RUNS_JSON,
        notices=list(notices),
        exports=exports or [],
        compare_sweep=compare_sweep,
    )


def compare_href(names: Sequence[str], what: str = plots.COMPARE_PNG) -> str:
    return f"{what}?runs={urllib.parse.quote(','.join(names), safe=',')}"


def export_links(names: Sequence[str]) -> list[dict[str, str]]:
    """Links to the comparison of `names` as CSV and JSON, drawn per request."""
    return [
        {"name": "CSV", "href": compare_href(names, export.COMPARE_CSV)},
        {"name": "JSON", "href": compare_href(names, export.COMPARE_JSON)},
    ]


def write_report(data_dir: Path, compare: Sequence[str] | None = None) -> Path:
    """Graphs, index.html and runs.json in the data dir (a static copy of what serve shows).

    `compare` names the runs of the static page's comparison chart (compare.png; default:
    every run with results); unknown names raise FioError before anything is written.
    """
    runs = ensure_plots(data_dir)
    chosen = select_runs(runs, compare) if compare else default_selection(runs)
    href = sweep_href = None
    if len(chosen) >= 2:
        plots.comparison_chart(chosen, data_dir / plots.COMPARE_PNG)
        href = plots.COMPARE_PNG
        if sweep_plots.sweep_runs(chosen):
            sweep_plots.sweep_comparison_chart(chosen, data_dir / sweep_plots.COMPARE_SWEEP_PNG)
            sweep_href = sweep_plots.COMPARE_SWEEP_PNG
    write_file(data_dir / RUNS_JSON, json.dumps(listing(runs), indent=2) + "\n")
    index = data_dir / INDEX
    selected = [run.name for run in chosen]
    write_file(index, render_page(data_dir, runs, selected, href, compare_sweep=sweep_href))
    return index
