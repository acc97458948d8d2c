"""What the report server says a stored file is (issue 23): a run's files are data.

A job file is any text fio accepts, and a remote job names itself: `x.html` holding a
`; <script>` comment is valid fio. Served as text/html it would run on the report's
origin. Stored files are served as PNG, JSON or plain text only, with nosniff and a
sandboxing Content-Security-Policy; the report page itself stays HTML.
"""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from tests.harness.fio import served

pytestmark = pytest.mark.integration

RUN = "runs/20260101T000000Z-r1"
SCRIPT_JOB = "[global]\n; <script>document.title='owned'</script>\nrw=read\nsize=1m\n"


def _get(port: int, path: str) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("x.html", "text/plain; charset=utf-8"),
        ("x.HTM", "text/plain; charset=utf-8"),
        ("x.svg", "text/plain; charset=utf-8"),
        ("x.js", "text/plain; charset=utf-8"),
        ("x.xml", "text/plain; charset=utf-8"),
        ("x.fio", "text/plain; charset=utf-8"),
        ("fio_bw.1.log", "text/plain; charset=utf-8"),
        ("metadata.json", "application/json"),
        ("bw.png", "image/png"),
    ],
)
def test_stored_files_are_served_as_data(tmp_path: Path, name: str, expected: str) -> None:
    """A stored file's type comes from a short allow-list; markup is plain text, sandboxed."""
    run = tmp_path / RUN
    (run / "jobs").mkdir(parents=True)
    (run / "metadata.json").write_text('{"exit_status": 0, "plotname": "r1"}', encoding="utf-8")
    target = run / "jobs" / name
    target.write_text(SCRIPT_JOB, encoding="utf-8")
    with served(tmp_path) as port:
        status, headers = _get(port, f"/{RUN}/jobs/{name}")
        page_status, page_headers = _get(port, "/")
    assert status == 200
    assert headers["content-type"] == expected
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert page_status == 200 and page_headers["content-type"] == "text/html; charset=utf-8"
