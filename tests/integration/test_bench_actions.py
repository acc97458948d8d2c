"""`dockyard bench` with and without an action, for real with fio (issue 18): `bench DIR`
and every old form are `bench run`; `bench run serve` benchmarks a directory named serve;
`bench compare` of a good run and a corrupt one names the corrupt one (issue 23)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.harness.fio import TINY_JOB
from tests.harness.tools import REPO, assert_bad_input, require_tool, run_dockyard

pytestmark = pytest.mark.integration


def dockyard(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`python -m dockyard ARGV` run in `cwd`."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(cwd)}
    return run_dockyard(list(argv), "", cwd, env)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory holding tiny.fio and one directory per action's name."""
    require_tool("fio")
    (tmp_path / "tiny.fio").write_text(TINY_JOB, encoding="utf-8")
    for name in ("run", "compare", "pull", "serve", "vol"):
        (tmp_path / name).mkdir()
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "target"),
    [
        (["bench", "run", "serve", "-j", "tiny.fio"], "serve"),
        (["bench", "run", "pull", "-j", "tiny.fio"], "pull"),
        (["bench", "run", "compare", "-j", "tiny.fio"], "compare"),
        (["bench", "run", "run", "-j", "tiny.fio"], "run"),
        (["bench", "vol", "-j", "tiny.fio"], "vol"),
        (["bench", "-j", "tiny.fio", "vol"], "vol"),
        (["bench", "-n", "x", "-j", "tiny.fio", "-d", "vol/fio-data", "vol"], "vol"),
    ],
    ids=["run-serve", "run-pull", "run-compare", "run-run", "dir", "options-first",
         "every-option-first"],
)  # fmt: skip
def test_bench_runs_fio_on_the_directory(workdir: Path, argv: list[str], target: str) -> None:
    """`bench run NAME` benchmarks ./NAME even when NAME is an action's name; `bench DIR`
    (options before or after DIR) is `bench run DIR`: one run under DIR/fio-data."""
    proc = dockyard(workdir, *argv, "--no-serve")
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = (workdir / target / "fio-data" / "runs").iterdir()
    assert (run_dir / "result.json").is_file()
    assert f"results: {Path(target) / 'fio-data' / 'runs' / run_dir.name}" in proc.stdout
    assert (workdir / target / ".dockyard-fio").is_dir()


def test_plain_bench_benchmarks_the_current_directory(workdir: Path) -> None:
    """`dockyard bench -j JOB` with no DIR benchmarks `.`."""
    proc = dockyard(workdir / "vol", "bench", "-j", "../tiny.fio", "--no-serve")
    assert proc.returncode == 0, proc.stderr
    assert len(list((workdir / "vol" / "fio-data" / "runs").iterdir())) == 1


CORRUPT = {
    "20250101T000001Z-meta-null": b"null",
    "20250101T000002Z-meta-list": b"[1, 2]",
    "20250101T000003Z-meta-latin1": b'{"host": "\xe9t\xe9"}',
}
"""Runs whose metadata.json is not what fio-tool writes (from a pull, a full disk...)."""


@pytest.mark.parametrize("corrupt", CORRUPT)
def test_compare_names_the_corrupt_run(workdir: Path, corrupt: str) -> None:
    """`bench compare GOOD CORRUPT`: exit 2, one line naming the corrupt run, what is wrong
    and the fix, no traceback; `bench compare GOOD` alone still prints its table."""
    data = workdir / "vol" / "fio-data"
    proc = dockyard(workdir, "bench", "vol", "-j", "tiny.fio", "--no-serve")
    assert proc.returncode == 0, proc.stderr
    (good,) = [p.name for p in (data / "runs").iterdir()]
    (data / "runs" / corrupt).mkdir()
    (data / "runs" / corrupt / "metadata.json").write_bytes(CORRUPT[corrupt])
    bad = dockyard(workdir, "bench", "compare", good, corrupt, "-d", str(data))
    assert_bad_input(bad, f"cannot compare run {corrupt} (unreadable run")
    assert "is corrupt" in bad.stderr and "leave it out" in bad.stderr
    alone = dockyard(workdir, "bench", "compare", good, "-d", str(data))
    assert alone.returncode == 0, alone.stderr
    assert good in alone.stdout and corrupt not in alone.stdout
