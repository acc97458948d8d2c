"""CLI arguments and files from outside: one line and exit 2 (or 130), never a traceback,
never a file's contents (issue 23). Each runs `python -m dockyard` for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.harness.tools import REPO, assert_bad_input, require_tool, run_dockyard

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("url", ["not a url", "ftp://x", "http://", "http://h:port", "h:1"])
@pytest.mark.parametrize(
    "argv",
    [["inventory", "--discover", "--region", "us-east-1"], ["bench", "pull", "s3://b/p"]],
)
def test_an_endpoint_url_that_is_not_one_is_refused(
    tmp_path: Path, argv: list[str], url: str
) -> None:
    """`--endpoint-url` must be http(s)://HOST[:PORT]: one line naming the option."""
    proc = run_dockyard([*argv, "--endpoint-url", url], "", tmp_path, {"PATH": "/usr/bin:/bin"})
    assert_bad_input(proc, "--endpoint-url")


def test_compare_png_into_a_missing_directory_is_refused(tmp_path: Path) -> None:
    """The chart's directory is checked before any work: one line, exit 2."""
    (tmp_path / "runs").mkdir()
    proc = run_dockyard(
        ["bench", "compare", "a", "b", "-d", str(tmp_path), "--png", str(tmp_path / "no/x.png")],
        "",
        tmp_path,
        {"PATH": "/usr/bin:/bin"},
    )
    assert_bad_input(proc, "is not a directory")


def test_a_file_that_is_not_a_job_file_is_never_echoed(tmp_path: Path) -> None:
    """`bench -j FILE` with a secret in it: fio's complaint, without the file's line."""
    require_tool("fio")
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash-value:20228:0:99999:7:::\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    proc = run_dockyard(
        ["bench", str(tmp_path / "data"), "-j", str(secret)],
        "",
        tmp_path,
        {"PATH": os.environ["PATH"]},
    )
    assert_bad_input(proc, "fio --parse-only rejected shadow")
    assert "secret-hash-value" not in proc.stderr


@pytest.mark.parametrize(
    "argv", [["inventory"], ["ls"], ["ip", "0"], ["docker-env", "--host", "0"]]
)
def test_ctrl_c_while_reading_stdin_is_one_line(tmp_path: Path, argv: list[str]) -> None:
    """SIGINT while the command waits on stdin: `dockyard: interrupted`, exit 130."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockyard", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(tmp_path)},
    )
    time.sleep(1.0)  # the interpreter is up and blocked in read()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err == "dockyard: interrupted\n"
    assert out == ""
