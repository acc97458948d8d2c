"""The report server over real HTTP: only files below the data dir, only GET and HEAD."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.harness.fio import (
    half_open_connections,
    raw_request,
    served,
    served_process,
    timed_get,
)

pytestmark = pytest.mark.integration

SECRET = "dockyard-secret-outside-the-data-dir"


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    top = tmp_path_factory.mktemp("serve")
    (top / "secret.txt").write_text(SECRET, encoding="utf-8")
    data = top / "data"
    run = data / "runs" / "20260101T000000Z-r1"
    run.mkdir(parents=True)
    (run / "fio_bw.1.log").write_text("250, 100, 0, 4096, 0\n", encoding="utf-8")
    (run / "metadata.json").write_text('{"exit_status": 0, "plotname": "r1"}', encoding="utf-8")
    (run / "escape.log").symlink_to(top / "secret.txt")
    (data / "link").symlink_to(top)
    (data / ".hidden").write_text(SECRET, encoding="utf-8")
    (data / "inside.txt").symlink_to(run / "fio_bw.1.log")
    (data / "loop").symlink_to(data / "loop")
    with served(data) as number:
        yield number


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/runs/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/runs/%2e%2e/%2e%2e/secret.txt",
        "/%252e%252e/secret.txt",
        "/runs/20260101T000000Z-r1/..%5c..%5c..%5csecret.txt",
        "/runs/20260101T000000Z-r1/escape.log",
        "/link/secret.txt",
        "/.hidden",
        "/%2ehidden",
        "/runs",
        "/runs/",
        "/etc/passwd",
        "//etc/passwd",
        "/secret.txt%00.log",
        "/loop",
        "/loop/x",
        "/" + "a" * 256,
        "/runs/" + "b" * 256 + "/x.log",
    ],
)
def test_outside_or_hidden_paths_are_404(port: int, path: str) -> None:
    """Traversal (plain, encoded, double-encoded, backslash), symlinks out, dirs, dotfiles,
    and paths the file system cannot resolve (a symlink loop, a 256-character name): 404."""
    status, body = raw_request(port, "GET", path)
    assert status == 404
    assert SECRET.encode() not in body


def test_files_below_the_data_dir_are_served(port: int) -> None:
    """A log in a run dir, and a symlink that stays inside, are served as text."""
    for path in ("/runs/20260101T000000Z-r1/fio_bw.1.log", "/inside.txt"):
        status, body = raw_request(port, "GET", path)
        assert (status, body) == (200, b"250, 100, 0, 4096, 0\n")


def test_head_sends_no_body(port: int) -> None:
    """HEAD answers like GET without a body."""
    assert raw_request(port, "HEAD", "/runs/20260101T000000Z-r1/fio_bw.1.log") == (200, b"")
    assert raw_request(port, "HEAD", "/")[0] == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_other_methods_are_refused(port: int, method: str) -> None:
    """Anything but GET/HEAD gets 405."""
    assert raw_request(port, method, "/runs/20260101T000000Z-r1/fio_bw.1.log")[0] == 405


def test_unknown_method_is_not_implemented(port: int) -> None:
    """A made-up method gets 501 from http.server."""
    assert raw_request(port, "BREW", "/")[0] == 501


def test_page_and_listing(port: int) -> None:
    """`/` is the page and `/runs.json` the listing, each naming the run."""
    status, page = raw_request(port, "GET", "/")
    assert status == 200 and b"20260101T000000Z-r1" in page
    status, body = raw_request(port, "GET", "/runs.json")
    listing = json.loads(body)
    assert status == 200 and [r["name"] for r in listing] == ["20260101T000000Z-r1"]
    assert "runs/20260101T000000Z-r1/fio_bw.1.log" in listing[0]["files"]
    assert not any("escape" in f for f in listing[0]["files"]), "symlinks are not listed"


def _empty_data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    (data / "runs").mkdir(parents=True)
    return data


@pytest.mark.parametrize(
    ("where", "open_files"),
    [("in a thread", None), ("in a process with 64 open files", 64)],
)
def test_healthz_answers_under_150_half_open_connections(
    tmp_path: Path, where: str, open_files: int | None
) -> None:
    """150 connections that never finish their request (from this test, on 127.0.0.1,
    closed at the end) do not keep /healthz from answering within 2 s, also when the
    server may open only 64 files (the cap then keeps it below its descriptor limit)."""
    data = _empty_data_dir(tmp_path)
    server: AbstractContextManager[int] = (
        served(data) if open_files is None else served_process(data, open_files)
    )
    with server as port, half_open_connections(port, 150):
        status, seconds = timed_get(port, "/healthz", timeout=2.0)
        assert (status, seconds < 2.0) == (200, True), (where, seconds)


def test_half_open_connection_is_dropped_after_the_timeout(tmp_path: Path) -> None:
    """A connection that stops mid-request is closed by the server after its timeout."""
    with (
        served(_empty_data_dir(tmp_path), timeout=1.0) as port,
        half_open_connections(port, 1) as (sock,),
    ):
        sock.settimeout(5)
        start = time.monotonic()
        try:
            answer = sock.recv(1024)
        except TimeoutError:
            pytest.fail("the server kept a half-open request open for 5 s")
        except ConnectionResetError:
            answer = b""
        assert not answer.startswith(b"HTTP/1.1 200"), answer
        assert time.monotonic() - start < 3


def test_busy_server_answers_503(tmp_path: Path) -> None:
    """With every slot taken by a request being answered, a new connection gets 503 at once
    (here one slot, held by a client that never reads its large answer)."""
    data = _empty_data_dir(tmp_path)
    (data / "big.log").write_bytes(b"0" * (64 * 1024 * 1024))
    with (
        served(data, max_connections=1, timeout=5.0) as port,
        socket.create_connection(("127.0.0.1", port), timeout=5) as slow,
    ):
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(b"GET /big.log HTTP/1.0\r\n\r\n")
        time.sleep(0.5)
        status, _ = raw_request(port, "GET", "/healthz")
        assert status == 503
