"""The report server over real HTTP: only files below the data dir, only GET and HEAD."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.harness.fio import raw_request, served

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
    ],
)
def test_outside_or_hidden_paths_are_404(port: int, path: str) -> None:
    """Traversal (plain, encoded, double-encoded, backslash), symlinks out, dirs, dotfiles: 404."""
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
