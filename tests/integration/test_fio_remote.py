"""REMOTEFILES from a local HTTPS server signed by a test CA: pins, schemes, failures."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.fio.jobs import unpinned_refusals
from tests.harness.fio import TINY_JOB, LocalCA, file_server, make_test_ca
from tests.harness.tools import REPO, free_port, require_tool

pytestmark = pytest.mark.integration

DIGEST = hashlib.sha256(TINY_JOB.encode()).hexdigest()
# A job that runs a command before it starts: fio runs it in the run directory.
EXEC_JOB = TINY_JOB.replace("[global]\n", "[global]\nexec_prerun=touch exec-prerun-ran\n")
EXEC_DIGEST = hashlib.sha256(EXEC_JOB.encode()).hexdigest()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def https_url(ca: LocalCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("www")
    (root / "job.fio").write_text(TINY_JOB, encoding="utf-8")
    (root / "exec.fio").write_text(EXEC_JOB, encoding="utf-8")
    with file_server(root, ca) as url:
        yield url


@pytest.fixture(scope="module")
def http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("plain")
    (root / "job.fio").write_text(TINY_JOB, encoding="utf-8")
    with file_server(root) as url:
        yield url


def run_tool(data_dir: Path, ca: LocalCA, **env: str) -> subprocess.CompletedProcess[str]:
    require_tool("fio")
    full = dict(os.environ)
    full.update(
        {
            "DATA_DIR": str(data_dir),
            "FIO_CA_FILE": str(ca.ca_file),
            "FIO_LOG_MSEC": "500",
            "PYTHONPATH": str(REPO),
        }
    )
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "dockyard.fio", "tool"],
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("pinned", [True, False])
def test_https_download_runs(tmp_path: Path, ca: LocalCA, https_url: str, pinned: bool) -> None:
    """An https REMOTEFILES entry (pinned with the right sha256, or unpinned) is fetched and run."""
    url = f"{https_url}/job.fio" + (f"#sha256={DIGEST}" if pinned else "")
    proc = run_tool(tmp_path, ca, REMOTEFILES=url, JOBFILES="job.fio", PLOTNAME="remote")
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "jobs" / "job.fio").read_text(encoding="utf-8") == TINY_JOB
    assert (run_dir / "result.json").is_file()
    assert f"{https_url}/job.fio" in (run_dir / "metadata.json").read_text(encoding="utf-8")
    assert not (tmp_path / "job.fio").exists(), "downloads go into the run dir only"


def test_bad_checksum_stops_before_fio(tmp_path: Path, ca: LocalCA, https_url: str) -> None:
    """A pin that does not match: exit 2, both digests named, no run dir."""
    wrong = "0" * 64
    proc = run_tool(tmp_path, ca, REMOTEFILES=f"{https_url}/job.fio#sha256={wrong}")
    assert proc.returncode == 2
    assert DIGEST in proc.stderr and wrong in proc.stderr and "no job was run" in proc.stderr
    assert not (tmp_path / "runs").exists()


def test_plain_http_is_refused(tmp_path: Path, ca: LocalCA, http_url: str) -> None:
    """http:// is refused unless FIO_ALLOW_HTTP=1, which then fetches it."""
    proc = run_tool(tmp_path, ca, REMOTEFILES=f"{http_url}/job.fio")
    assert proc.returncode == 2
    assert "https" in proc.stderr and "FIO_ALLOW_HTTP" in proc.stderr
    assert not (tmp_path / "runs").exists()
    allowed = run_tool(tmp_path, ca, REMOTEFILES=f"{http_url}/job.fio", FIO_ALLOW_HTTP="1")
    assert allowed.returncode == 0, allowed.stderr


def test_untrusted_certificate_is_refused(tmp_path: Path, ca: LocalCA, https_url: str) -> None:
    """Without the test CA the server's certificate does not verify: exit 2, no run."""
    proc = run_tool(tmp_path, ca, REMOTEFILES=f"{https_url}/job.fio", FIO_CA_FILE="")
    assert proc.returncode == 2 and "CERTIFICATE_VERIFY_FAILED" in proc.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("path", ["missing.fio", None])
def test_unreachable_or_missing_url_fails_clearly(
    tmp_path: Path, ca: LocalCA, https_url: str, path: str | None
) -> None:
    """A 404 or a port nobody listens on: exit 2 naming the URL, before fio runs."""
    url = f"{https_url}/{path}" if path else f"https://127.0.0.1:{free_port()}/job.fio"
    proc = run_tool(tmp_path, ca, REMOTEFILES=url)
    assert proc.returncode == 2
    assert f"could not download {url}" in proc.stderr
    assert not (tmp_path / "runs").exists()


def test_unpinned_exec_job_is_refused(tmp_path: Path, ca: LocalCA, https_url: str) -> None:
    """An unpinned remote job with exec_prerun: exit 2 naming the option and the pin that
    would allow it; nothing ran, no run dir."""
    url = f"{https_url}/exec.fio"
    proc = run_tool(tmp_path, ca, REMOTEFILES=url)
    assert proc.returncode == 2, proc.stderr
    assert "exec_prerun runs a command" in proc.stderr
    assert f"{url}#sha256={EXEC_DIGEST}" in proc.stderr and "JOBFILES" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("source", ["pinned", "local"])
def test_pinned_or_local_exec_job_runs(
    tmp_path: Path, ca: LocalCA, https_url: str, source: str
) -> None:
    """The same job pinned by sha256, or as a file in the data dir, runs, command and all
    (in fio's working directory, the target: the run directory holds results only)."""
    if source == "pinned":
        env = {"REMOTEFILES": f"{https_url}/exec.fio#sha256={EXEC_DIGEST}"}
    else:
        (tmp_path / "exec.fio").write_text(EXEC_JOB, encoding="utf-8")
        env = {"JOBFILES": "exec.fio"}
    target = tmp_path / "target"
    target.mkdir()
    proc = run_tool(tmp_path, ca, PLOTNAME=source, FIO_TARGET_DIR=str(target), **env)
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (target / "exec-prerun-ran").is_file(), "fio ran the job's command"
    assert not (run_dir / "exec-prerun-ran").exists()


LONG = "description=" + "x" * (8191 - len("description="))


@pytest.mark.parametrize(
    "line",
    [
        "exec_prerun=touch ran",
        "  exec_prerun = touch ran",
        "\texec_prerun\t=touch ran",
        "exec_prerun\x01=touch ran",
        "exec_prerun=touch ran\r",
        LONG + "exec_prerun=touch ran",
        "exec_postrun=touch ran",
    ],
)
def test_every_spelling_fio_runs_is_refused(tmp_path: Path, line: str) -> None:
    """Real fio runs each of these commands (spacing, a control character it strips, the
    tail of a line longer than its line buffer); the check refuses each one."""
    require_tool("fio")
    job = f"[a]\nrw=read\nsize=64k\n{line}\n"
    (tmp_path / "j.fio").write_text(job, encoding="utf-8")
    proc = subprocess.run(
        ["fio", f"--directory={tmp_path}", "j.fio"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (tmp_path / "ran").is_file(), f"fio did not run it: {proc.stderr}"
    assert any("runs a command" in found for found in unpinned_refusals(job))
