"""REMOTEFILES from a local HTTPS server signed by a test CA: pins, schemes, failures."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.fio import TINY_JOB, LocalCA, file_server, make_test_ca
from tests.harness.tools import REPO, free_port, require_tool

pytestmark = pytest.mark.integration

DIGEST = hashlib.sha256(TINY_JOB.encode()).hexdigest()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    return make_test_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def https_url(ca: LocalCA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("www")
    (root / "job.fio").write_text(TINY_JOB, encoding="utf-8")
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
