"""Issue 13: the default job measures the device, every job of every file gets the
directory and logs, comparisons, serving existing results, and the small items (each
test here fails on the code before it)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from dockyard.fio.plots import line_figure, styles
from dockyard.fio.results import Series, latency_series, log_files, series
from tests.harness.fio import TINY_JOB, png_info, served
from tests.harness.tools import REPO, free_port, require_root, require_tool

pytestmark = pytest.mark.integration

TWO_JOBS = """\
[global]
ioengine=psync
size=4M
runtime=1
time_based

[{a}]
rw=randread
bs=4k

[{b}]
stonewall
rw=randwrite
bs=4k
"""


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), **extra}


def dockyard(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args],
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def fio_tool(data: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockyard.fio", *args],
        env=env(**{"DATA_DIR": str(data), "FIO_LOG_MSEC": "250", **extra}),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def in_mount_namespace(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace (its mounts vanish with it)."""
    require_root()
    require_tool("unshare")
    return subprocess.run(
        ["unshare", "-m", "--propagation", "private", "bash", "-euo", "pipefail", "-c", script],
        env=env(PY=sys.executable),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_default_bench_uses_direct_io_on_ext4_and_refuses_tmpfs(tmp_path: Path) -> None:
    """The default job on a loop-mounted ext4 runs with direct=1 and libaio (fio's json+ says
    so); on tmpfs it stops before fio with a message naming the fix, leaving nothing."""
    require_tool("fio")
    require_tool("mkfs.ext4")
    script = textwrap.dedent(
        """\
        truncate -s 1500M disk.img
        mkfs.ext4 -q -F disk.img
        mkdir ext4 memory
        mount -o loop disk.img ext4
        trap 'umount ext4 || true; umount memory || true' EXIT
        "$PY" -m dockyard bench ext4 -d data --runtime 2 --no-serve
        mount -t tmpfs -o size=64m tmpfs memory
        set +e
        "$PY" -m dockyard bench memory -d data-tmpfs --no-serve 2> tmpfs.err
        echo "tmpfs exit $?"
        ls -A memory > tmpfs.ls
        """
    )
    proc = in_mount_namespace(script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = (tmp_path / "data" / "runs").iterdir()
    result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
    options = result["global options"]
    assert options["direct"] == "1" and options["ioengine"] == "libaio"
    assert int(options["iodepth"]) >= 16
    assert [job["jobname"] for job in result["jobs"]] == ["randread-4k-qd32", "randwrite-4k-qd32"]
    meta = json.loads((run_dir / "metadata.json").read_text(encoding="utf-8"))
    assert meta["target_fs"]["fstype"] == "ext4" and meta["direct"] is True
    assert "tmpfs exit 2" in proc.stdout
    message = (tmp_path / "tmpfs.err").read_text(encoding="utf-8")
    assert "tmpfs" in message and "direct=0" in message and "ext4" in message
    assert (tmp_path / "tmpfs.ls").read_text(encoding="utf-8") == ""
    assert not (tmp_path / "data-tmpfs").exists()


def test_two_job_files_each_job_gets_directory_and_logs(tmp_path: Path) -> None:
    """Two job files of two jobs each: every job logs bw/iops/lat/histograms, every graph has
    all four jobs, and the run directory holds results only (no test file)."""
    require_tool("fio")
    target = tmp_path / "volume"
    target.mkdir()
    for name, a, b in (("a.fio", "a-read", "a-write"), ("b.fio", "b-read", "b-write")):
        (tmp_path / name).write_text(TWO_JOBS.format(a=a, b=b), encoding="utf-8")
    proc = dockyard(
        "bench", str(target), "-j", str(tmp_path / "a.fio"), "-j", str(tmp_path / "b.fio"),
        "--no-serve", "--log-msec", "250",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = (target / "fio-data" / "runs").iterdir()
    for kind in ("bw", "iops", "lat", "clat_hist"):
        assert [i for i, _ in log_files(run_dir, kind)] == [1, 2, 3, 4], kind
    jobs = {"a-read", "a-write", "b-read", "b-write"}
    for lines in (series(run_dir, "bw"), series(run_dir, "iops"), latency_series(run_dir)):
        assert {line.label.split()[0] for line in lines} == jobs
    allowed = {"jobs", "result.json", "metadata.json", "fio.log"}
    for path in run_dir.iterdir():
        assert path.name in allowed or path.name.endswith(".png") or path.name.startswith("fio_"), (
            f"{path.name} is not a result"
        )
    test_files = sorted(p.name for p in (target / ".dockyard-fio").iterdir())
    assert test_files == ["a-read.0.0", "a-write.0.0", "b-read.0.0", "b-write.0.0"]


def test_port_in_use_is_refused_before_fio_runs(tmp_path: Path) -> None:
    """`--port` taken: exit 2 naming the port, and no run was started."""
    target = tmp_path / "volume"
    target.mkdir()
    (tmp_path / "tiny.fio").write_text(TINY_JOB, encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = dockyard("bench", str(target), "-j", str(tmp_path / "tiny.fio"), "--port", str(port))
    assert proc.returncode == 2, proc.stderr
    assert f"127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr
    assert not (target / "fio-data" / "runs").exists()
    assert not (target / ".dockyard-fio").exists()


def test_broken_job_leaves_no_scratch_dir(tmp_path: Path) -> None:
    """A job fio rejects: exit 2 and no empty .dockyard-fio/ in the target."""
    require_tool("fio")
    (tmp_path / "bad.fio").write_text("[x]\nrw=sideways\n", encoding="utf-8")
    target = tmp_path / "volume"
    target.mkdir()
    proc = dockyard("bench", str(target), "-j", str(tmp_path / "bad.fio"), "--no-serve")
    assert proc.returncode == 2
    assert sorted(p.name for p in target.iterdir()) == []


@pytest.fixture
def two_runs(tmp_path: Path) -> tuple[Path, list[str]]:
    require_tool("fio")
    data = tmp_path / "fio-data"
    data.mkdir()
    (data / "tiny.fio").write_text(TINY_JOB, encoding="utf-8")
    for name, volume in (("gp3", "gp3"), ("io2", "io2")):
        proc = fio_tool(
            data, "tool", JOBFILES="tiny.fio", PLOTNAME=name, FIO_VOLUME_TYPE=volume,
            FIO_VOLUME_SIZE_GIB="20", FIO_COMPUTE="Fargate",
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
    return data, sorted(p.name for p in (data / "runs").iterdir())


def test_bench_compare_and_unknown_runs(two_runs: tuple[Path, list[str]], tmp_path: Path) -> None:
    """`bench compare` prints each run with its volume label and draws the chart; an unknown
    run exits 2 naming it."""
    data, names = two_runs
    chart = tmp_path / "cmp.png"
    proc = dockyard("bench", "compare", *names, "-d", str(data), "--png", str(chart))
    assert proc.returncode == 0, proc.stderr
    assert "gp3 20 GiB, Fargate" in proc.stdout and "io2 20 GiB, Fargate" in proc.stdout
    assert png_info(chart).title == "Comparison of 2 runs"
    bad = dockyard("bench", "compare", names[0], "nosuchrun", "-d", str(data))
    assert bad.returncode == 2 and "nosuchrun" in bad.stderr
    genplots = fio_tool(data, "genplots", "--compare", "nosuchrun")
    assert genplots.returncode == 2 and "nosuchrun" in genplots.stderr


def test_page_selection_lives_in_the_url(two_runs: tuple[Path, list[str]]) -> None:
    """`/?runs=a,b` shows the comparison of a and b drawn per request; one run alone the
    chart of that run; an unknown name 404; nothing is written into the data dir."""
    data, names = two_runs
    with served(data) as port:
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/?runs={names[1]},{names[0]}", timeout=30) as answer:  # noqa: S310
            page = answer.read().decode()
        assert f"compare.png?runs={names[1]},{names[0]}" in page
        with urllib.request.urlopen(f"{base}/compare.png?runs={names[0]}", timeout=30) as answer:  # noqa: S310
            assert answer.headers["Content-Type"] == "image/png"
            png = answer.read()
        for path in ("/?runs=nosuchrun", f"/compare.png?runs={names[0]},nosuchrun"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(base + path, timeout=30)  # noqa: S310
            assert err.value.code == 404
    chart = data / "one.png"
    chart.write_bytes(png)
    assert png_info(chart).title == "Comparison of 1 runs"
    assert not (data / "compare.png").exists(), "the served selection is never a file"


def test_bench_serve_serves_existing_results(two_runs: tuple[Path, list[str]]) -> None:
    """`dockyard bench serve DIR` serves the runs without running fio; a missing DIR exits 2."""
    data, names = two_runs
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "bench", "serve", str(data), "--port", str(port)],
        env=env(PATH="/nonexistent"),  # no fio on PATH: serving must not need it
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"report: http://127.0.0.1:{port}/"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/runs.json", timeout=30) as answer:
            listing = json.loads(answer.read())
        assert sorted(run["name"] for run in listing) == names
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    missing = dockyard("bench", "serve", str(data / "nope"))
    assert missing.returncode == 2 and "nope" in missing.stderr


def test_graphs_are_readable_by_others_and_clones_are_labelled(tmp_path: Path) -> None:
    """PNGs are 0644; numjobs=3 clones get distinct labels in graphs and the table."""
    require_tool("fio")
    data = tmp_path / "fio-data"
    data.mkdir()
    (data / "clones.fio").write_text(
        "[global]\nioengine=psync\nsize=4M\nruntime=1\ntime_based\n\n[clone]\nrw=randread\n"
        "bs=4k\nnumjobs=3\n",
        encoding="utf-8",
    )
    assert fio_tool(data, "tool", JOBFILES="clones.fio", PLOTNAME="c").returncode == 0
    assert fio_tool(data, "genplots").returncode == 0
    (run_dir,) = (data / "runs").iterdir()
    for png in run_dir.glob("*.png"):
        assert png.stat().st_mode & 0o777 == 0o644, png.name
    labels = [line.label for line in series(run_dir, "iops")]
    assert labels == ["clone #1 read", "clone #2 read", "clone #3 read"]
    listing = json.loads((data / "runs.json").read_text(encoding="utf-8"))
    assert [row["job"] for row in listing[0]["summary"]] == ["clone #1", "clone #2", "clone #3"]


def test_many_series_distinct_styles_legend_beside_the_data() -> None:
    """24 series: 24 different (colour, dash) pairs, and the legend lies outside the axes."""
    assert len(set(styles(24))) == 24
    lines = [Series(f"job {i} read", [0.0, 1.0, 2.0], [1.0, 2.0, 3.0]) for i in range(24)]
    fig = line_figure(lines, "t", "y")
    fig.canvas.draw()
    (ax,) = fig.axes
    legend = ax.get_legend()
    assert legend is not None
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    drawn = {(line.get_color(), line.get_linestyle()) for line in ax.get_lines()}
    assert len(drawn) == 24


def test_short_run_graph_says_why_it_is_empty() -> None:
    """No samples because the run was shorter than the log interval: the graph says so."""
    fig = line_figure([Series("x read", [], [])], "t", "y", empty_note="shorter than 1000 ms")
    assert [text.get_text() for text in fig.axes[0].texts] == ["shorter than 1000 ms"]


def test_pattern_matching_nothing_is_an_error(tmp_path: Path) -> None:
    """genplots -p matching no log, or -b on IOPS logs: exit 2 naming the logs, no PNG."""
    require_tool("fio")
    data = tmp_path / "fio-data"
    data.mkdir()
    (data / "tiny.fio").write_text(TINY_JOB, encoding="utf-8")
    assert fio_tool(data, "tool", JOBFILES="tiny.fio").returncode == 0
    for args in (["-t", "T", "-b", "-p", "*nomatch*"], ["-t", "T", "-b", "-p", "*_iops*"]):
        proc = fio_tool(data, "genplots", *args)
        assert proc.returncode == 2 and "fio_bw.1.log" in proc.stderr, proc.stderr
    (run_dir,) = (data / "runs").iterdir()
    assert not list(run_dir.glob("T_*.png"))


def test_latency_graph_follows_the_jobs_log_avg_msec(tmp_path: Path) -> None:
    """A 2 s job with log_avg_msec=100 gets ~20 latency points, not 2."""
    require_tool("fio")
    data = tmp_path / "fio-data"
    data.mkdir()
    (data / "fine.fio").write_text(
        "[global]\nioengine=psync\nsize=4M\nruntime=2\ntime_based\nlog_avg_msec=100\n\n"
        "[fine]\nrw=randread\nbs=4k\n",
        encoding="utf-8",
    )
    assert fio_tool(data, "tool", JOBFILES="fine.fio", FIO_LOG_MSEC="1000").returncode == 0
    (run_dir,) = (data / "runs").iterdir()
    lines = latency_series(run_dir)
    assert lines and min(len(line.times) for line in lines) >= 10


def test_aio_keeps_serving_and_shows_the_error(tmp_path: Path) -> None:
    """aio with a job file that is not there: it keeps serving (healthy, no restart loop on
    ECS) and the page names the error."""
    data = tmp_path / "fio-data"
    data.mkdir()
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockyard.fio", "aio"],
        env=env(DATA_DIR=str(data), JOBFILES="missing.fio", PORT=str(port)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        while "error running the benchmark" not in (line := proc.stderr.readline()):
            assert line, "aio exited"
        assert proc.poll() is None
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as answer:
            page = answer.read().decode()
        assert "missing.fio" in page and "not found" in page
        assert fio_tool(data, "health", PORT=str(port)).returncode == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
