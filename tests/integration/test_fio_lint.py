"""The fio Dockerfile through hadolint and its entrypoint through shellcheck; example jobs
through `fio --parse-only`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.harness.fio import JOBS_DIR
from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration

FIO_DIR = REPO / "containers" / "fio"


def test_dockerfile_is_hadolint_clean() -> None:
    """hadolint (any level, info included) reports nothing for containers/fio/Dockerfile."""
    hadolint = require_tool("hadolint")
    proc = subprocess.run(
        [hadolint, "--failure-threshold", "info", str(FIO_DIR / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_entrypoint_is_shellcheck_clean() -> None:
    """shellcheck (all severities) is silent on the entrypoint."""
    shellcheck = require_tool("shellcheck")
    proc = subprocess.run(
        [shellcheck, "--severity=style", str(FIO_DIR / "entrypoint.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("job", sorted(JOBS_DIR.glob("*.fio")), ids=lambda p: p.name)
def test_example_jobs_parse(job: Path) -> None:
    """Every example job file is accepted by `fio --parse-only`."""
    fio = require_tool("fio")
    proc = subprocess.run(
        [fio, "--parse-only", str(job)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_entrypoint_refuses_missing_data_dir(tmp_path: Path) -> None:
    """Run for real: a data dir that does not exist gives exit 2 and says to mount one."""
    proc = subprocess.run(
        ["bash", str(FIO_DIR / "entrypoint.sh"), "tool"],
        env={"DATA_DIR": str(tmp_path / "nope"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "mount a volume" in proc.stderr


@pytest.mark.parametrize(
    ("args", "env", "code", "out", "err"),
    [
        (["echo", "hi"], {}, 0, "hi\n", ""),
        (["-t", "x", "-b"], {}, 2, "", "usage: fio-entrypoint"),
        (["-t", "x", "-b"], {"FIO_TOOL": "genplots"}, 2, "", "mount a volume"),
        ([], {"FIO_TOOL": "tool"}, 2, "", "mount a volume"),
    ],
    ids=["other-command", "options-without-tool", "options-for-tool", "no-args-tool"],
)
def test_entrypoint_dispatch(
    args: list[str], env: dict[str, str], code: int, out: str, err: str, tmp_path: Path
) -> None:
    """Run for real: a command that is not a tool is exec'd as given; options (or nothing)
    go to $FIO_TOOL, which checks the data dir first; options without FIO_TOOL are refused."""
    proc = subprocess.run(
        ["bash", str(FIO_DIR / "entrypoint.sh"), *args],
        env={"DATA_DIR": str(tmp_path / "nope"), "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == code and proc.stdout == out and err in proc.stderr, proc.stderr
