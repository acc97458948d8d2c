"""Real fio runs through the toolkit on this machine: run dirs, logs, graphs, bench."""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockyard.fio.results import (
    PLAT_NR,
    bucket_value,
    histogram_percentiles,
    log_files,
    read_hist_log,
)
from tests.harness.fio import QUICK_JOB, TINY_JOB, png_info
from tests.harness.tools import REPO, free_port, require_tool

pytestmark = pytest.mark.integration

RUN_NAME = re.compile(r"^\d{8}T\d{6}Z-(?P<name>[A-Za-z0-9._-]+?)(\.\d+)?$")


def fio_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATA_DIR": str(data_dir), "FIO_LOG_MSEC": "250", "PYTHONPATH": str(REPO)})
    env.update(extra)
    return env


def tool(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockyard.fio", *args],
        env=fio_env(data_dir, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    require_tool("fio")
    data = tmp_path / "fio-data"
    data.mkdir()
    (data / "tiny.fio").write_text(TINY_JOB, encoding="utf-8")
    return data


def run_dirs(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "runs").iterdir())


def test_tool_records_job_result_logs_and_metadata(data_dir: Path) -> None:
    """fio-tool with JOBFILES from the data dir: one run dir with everything the issue lists."""
    proc = tool(data_dir, "tool", JOBFILES="tiny.fio", PLOTNAME="First")
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = run_dirs(data_dir)
    match = RUN_NAME.match(run_dir.name)
    assert match and match.group("name") == "First"
    assert (run_dir / "jobs" / "tiny.fio").read_text(encoding="utf-8") == TINY_JOB
    result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
    assert [j["jobname"] for j in result["jobs"]] == ["tiny-read", "tiny-write"]
    assert result["jobs"][0]["read"]["clat_ns"]["bins"], "json+ carries latency bins"
    for kind in ("bw", "iops", "lat", "clat_hist"):
        assert [i for i, _ in log_files(run_dir, kind)] == [1, 2], kind
    meta = json.loads((run_dir / "metadata.json").read_text(encoding="utf-8"))
    version = subprocess.run(["fio", "--version"], capture_output=True, text=True, check=True)
    assert meta["fio_version"] == version.stdout.strip()
    assert meta["kernel"] == f"Linux {os.uname().release}"
    assert meta["jobs"][0]["sha256"] == hashlib.sha256(TINY_JOB.encode()).hexdigest()
    assert meta["exit_status"] == 0
    assert not (run_dir / "scratch").exists(), "fio's test files are removed after the run"
    assert (data_dir / "tiny.fio").read_text(encoding="utf-8") == TINY_JOB


def test_second_run_keeps_first(data_dir: Path) -> None:
    """Unlike the seed's run.sh, a second run leaves the first run's files byte for byte."""
    assert tool(data_dir, "tool", JOBFILES="tiny.fio", PLOTNAME="keep").returncode == 0
    assert tool(data_dir, "genplots").returncode == 0
    (first,) = run_dirs(data_dir)
    before = tree_digest(first)
    assert tool(data_dir, "tool", JOBFILES="tiny.fio", PLOTNAME="keep").returncode == 0
    dirs = run_dirs(data_dir)
    assert len(dirs) == 2 and first in dirs
    assert tree_digest(first) == before


def test_two_concurrent_runs_do_not_clobber(data_dir: Path) -> None:
    """Two fio-tool runs started together with the same PLOTNAME get separate run dirs."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dockyard.fio", "tool"],
            env=fio_env(data_dir, JOBFILES="tiny.fio", PLOTNAME="same"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    dirs = run_dirs(data_dir)
    assert len(dirs) == 2
    for run_dir in dirs:
        meta = json.loads((run_dir / "metadata.json").read_text(encoding="utf-8"))
        assert meta["run"] == run_dir.name and meta["exit_status"] == 0
        result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
        assert len(result["jobs"]) == 2


def test_fio_exit_status_is_the_runs(data_dir: Path, tmp_path: Path) -> None:
    """A job that fails at run time: the tool exits with the status fio itself gives."""
    failing = (
        "[readmissing]\nrw=read\nsize=1M\nallow_file_create=0\nfilename=dockyard-missing-file\n"
    )
    (data_dir / "fail.fio").write_text(failing, encoding="utf-8")
    direct = subprocess.run(
        ["fio", str(data_dir / "fail.fio")], capture_output=True, cwd=tmp_path, check=False
    )
    assert direct.returncode != 0
    proc = tool(data_dir, "tool", JOBFILES="fail.fio", PLOTNAME="fails")
    assert proc.returncode == direct.returncode
    (run_dir,) = run_dirs(data_dir)
    meta = json.loads((run_dir / "metadata.json").read_text(encoding="utf-8"))
    assert meta["exit_status"] == direct.returncode


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("[x]\nrw=randread\nbogus_option=1\n", "bogus_option"),
        ("[x]\nrw=randreadx\n", "rw="),
    ],
)
def test_parse_only_rejects_before_anything_is_written(
    data_dir: Path, content: str, needle: str
) -> None:
    """A job fio --parse-only rejects: exit 2, fio's complaint shown, no run dir created."""
    (data_dir / "bad.fio").write_text(content, encoding="utf-8")
    proc = tool(data_dir, "tool", JOBFILES="bad.fio")
    assert proc.returncode == 2
    assert "--parse-only" in proc.stderr and needle in proc.stderr
    assert not (data_dir / "runs").exists()


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({}, "JOBFILES"),
        ({"JOBFILES": "missing.fio"}, "missing.fio"),
        ({"JOBFILES": "tiny.fio", "PLOTNAME": "../escape"}, "PLOTNAME"),
    ],
)
def test_bad_environment_is_named(data_dir: Path, env: dict[str, str], needle: str) -> None:
    """Missing JOBFILES, a missing job file, or an unusable PLOTNAME: exit 2 naming it."""
    proc = tool(data_dir, "tool", **env)
    assert proc.returncode == 2 and needle in proc.stderr
    assert not (data_dir / "runs").exists()


def test_graphs_have_titles_and_seed_options_work(data_dir: Path) -> None:
    """genplots draws bandwidth, IOPS and latency PNGs; `-t -b|-i -g -p` add the seed's graphs."""
    assert tool(data_dir, "tool", JOBFILES="tiny.fio", PLOTNAME="Graphs").returncode == 0
    for args in (
        ["-t", "My16k", "-b", "-g", "-p", "*_bw*"],
        ["-t", "My16k", "-i", "-g", "-p", "*_iops*"],
    ):
        proc = tool(data_dir, "genplots", *args)
        assert proc.returncode == 0, proc.stderr
    (run_dir,) = run_dirs(data_dir)
    expected = {
        "bandwidth.png": "Bandwidth over time: Graphs",
        "iops.png": "IOPS over time: Graphs",
        "latency.png": "Completion latency p50 / p99 / p99.9 over time: Graphs",
        "My16k_bw.png": "My16k: bandwidth over time",
        "My16k_iops.png": "My16k: IOPS over time",
    }
    for name, title in expected.items():
        info = png_info(run_dir / name)
        assert info.title == title
        assert 400 <= info.width <= 3000 and 200 <= info.height <= 2000
        assert (run_dir / name).stat().st_size > 10_000, f"{name} looks empty"
    page = (data_dir / "index.html").read_text(encoding="utf-8")
    assert run_dir.name in page and "tiny-read" in page


def test_comparison_chart_over_two_runs(data_dir: Path) -> None:
    """genplots draws the comparison chart over all runs, or over the runs named by --compare."""
    for name in ("gp3", "io2"):
        assert tool(data_dir, "tool", JOBFILES="tiny.fio", PLOTNAME=name).returncode == 0
    assert tool(data_dir, "genplots").returncode == 0
    info = png_info(data_dir / "compare.png")
    assert info.title == "Comparison of 2 runs"
    assert 'src="compare.png"' in (data_dir / "index.html").read_text(encoding="utf-8")
    assert tool(data_dir, "tool", JOBFILES="tiny.fio", PLOTNAME="st1").returncode == 0
    assert tool(data_dir, "genplots").returncode == 0
    assert png_info(data_dir / "compare.png").title == "Comparison of 3 runs"
    chosen = [p.name for p in run_dirs(data_dir)][1:]
    assert tool(data_dir, "genplots", "--compare", *chosen).returncode == 0
    assert png_info(data_dir / "compare.png").title == "Comparison of 2 runs"


def test_latency_percentiles_match_fio(data_dir: Path) -> None:
    """Fed fio's own whole-run histogram (json+ clat_ns.bins), our percentile math gives
    exactly fio's p50/p99/p99.9; the clat histogram logs parse into full-resolution
    intervals. (fio logs no final partial interval, so the logs hold a prefix of the run:
    they are for latency over time, not for the run's totals.)"""
    assert tool(data_dir, "tool", JOBFILES="tiny.fio", PLOTNAME="hist").returncode == 0
    (run_dir,) = run_dirs(data_dir)
    result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
    index_of = {int(bucket_value(i)): i for i in range(PLAT_NR)}
    keys = ("50.000000", "99.000000", "99.900000")
    checked = 0
    for job in result["jobs"]:
        for name in ("read", "write"):
            stats = job[name]
            if not stats["total_ios"]:
                continue
            counts = [0] * PLAT_NR
            for value, count in stats["clat_ns"]["bins"].items():
                counts[index_of[int(value)]] = count
            ours = histogram_percentiles(counts, [50.0, 99.0, 99.9])
            table = stats["clat_ns"]["percentile"]
            assert ours == [float(table[k]) for k in keys], (job["jobname"], name)
            checked += 1
    assert checked == 2
    for index, path in log_files(run_dir, "clat_hist"):
        job = result["jobs"][index - 1]
        for direction, samples in read_hist_log(path).items():
            name = {0: "read", 1: "write"}[direction]
            assert samples and all(len(c) == PLAT_NR for _, c in samples)
            assert 0 < sum(sum(c) for _, c in samples) <= job[name]["total_ios"]


def test_bench_shows_progress_and_keeps_results(tmp_path: Path) -> None:
    """`dockyard bench DIR -j JOB --no-serve`: fio's eta as progress, results under DIR."""
    require_tool("fio")
    target = tmp_path / "volume"
    target.mkdir()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dockyard",
            "bench",
            str(target),
            "-j",
            str(QUICK_JOB),
            "-n",
            "laptop",
            "--no-serve",
            "--log-msec",
            "500",
        ],
        env=fio_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\[eta\s+\d+m:\d+s\]", proc.stderr), proc.stderr
    (run_dir,) = sorted((target / "fio-data" / "runs").iterdir())
    assert f"results: {target / 'fio-data' / 'runs' / run_dir.name}" in proc.stdout
    assert (run_dir / "bandwidth.png").is_file()
    assert sorted(p.name for p in target.iterdir()) == [".dockyard-fio", "fio-data"]
    assert sorted(p.name for p in (target / ".dockyard-fio").iterdir()) == [
        "randread-4k.0.0",
        "randwrite-4k.0.0",
    ], "fio's test files stay in one reusable place, not in the results"


def test_bench_rejects_missing_target(tmp_path: Path) -> None:
    """A target that is not a directory: exit 2 with one line naming it."""
    proc = subprocess.run(
        [sys.executable, "-m", "dockyard", "bench", str(tmp_path / "nope"), "--no-serve"],
        env=fio_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("dockyard: ") and "nope" in proc.stderr


def bench(cwd: Path, *args: str | bytes) -> subprocess.CompletedProcess[str]:
    """`dockyard bench ARGS` run in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "dockyard", "bench", *args],
        cwd=cwd,
        env=fio_env(cwd),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["t", "--port", "99999"], "--port must be a whole number from 0 to 65535"),
        (["t", "--port", "-1"], "--port must be"),
        (["t", "--port", "1" * 5000], "--port must be"),
        (["t", "--log-msec", "-5"], "--log-msec must be a whole number from 1"),
        (["t", "--log-msec", "9" * 30], "--log-msec must be"),
        (["t", "-d", "/proc/dockyard-results"], "data directory /proc/dockyard-results is not"),
        (["t", "-d", "afile/results"], "data directory afile/results is not writable"),
        (["/proc", "--no-serve"], "target /proc is not writable"),
        (["t", "-j", "latin1.fio"], "not a UTF-8 text job file"),
        (["t", "-j", "jobs"], "is a directory"),
        (["t", "-j", "huge.fio"], "larger than"),
        ([b"t\xff"], "is not a UTF-8 path"),
        (["t", "-d", b"results\xff"], "is not a UTF-8 path"),
    ],
)
def test_bench_bad_input_is_one_line(tmp_path: Path, args: list[str | bytes], needle: str) -> None:
    """Each bad input: exit 2, one line naming it (no traceback), before fio runs, and no
    file left behind."""
    require_tool("fio")
    (tmp_path / "t").mkdir()
    (tmp_path / b"t\xff".decode(errors="surrogateescape")).mkdir()
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "latin1.fio").write_bytes("[caf\u00e9]\nrw=read\n".encode("latin-1"))
    (tmp_path / "jobs").mkdir()
    (tmp_path / "huge.fio").write_bytes(b";" * (2 * 1024 * 1024))
    before = tree(tmp_path)
    proc = bench(tmp_path, *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("dockyard: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert tree(tmp_path) == before


def test_bench_port_in_use_is_found_before_fio_runs(tmp_path: Path) -> None:
    """A --port something already listens on: exit 2 naming it at once, no run made."""
    require_tool("fio")
    (tmp_path / "t").mkdir()
    (tmp_path / "long.fio").write_text(TINY_JOB.replace("runtime=1", "runtime=20"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        start = time.monotonic()
        proc = bench(tmp_path, "t", "-j", "long.fio", "--port", str(port))
        seconds = time.monotonic() - start
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        f"dockyard: cannot serve the report on 127.0.0.1:{port} (Address already in use); "
        "choose another --port or --bind, or use --no-serve\n"
    )
    assert seconds < 15, "fio ran before the port was checked"
    assert tree(tmp_path / "t") == []


def test_bench_serves_the_report_and_stops_on_sigterm(tmp_path: Path) -> None:
    """Without --no-serve, bench prints the URL, serves the page there, and stops on SIGTERM."""
    import signal
    import urllib.request

    require_tool("fio")
    target = tmp_path / "volume"
    target.mkdir()
    (tmp_path / "tiny.fio").write_text(TINY_JOB, encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "bench", str(target), "-j", str(tmp_path / "tiny.fio"),
         "--port", str(port), "--log-msec", "500"],
        env=fio_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert lines[1].strip() == f"report: http://127.0.0.1:{port}/", lines
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode()
        (run_dir,) = (target / "fio-data" / "runs").iterdir()
        assert run_dir.name in page
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
