"""A local stand-in for checkip.amazonaws.com (what `me` in adminCidrs asks, through
dockyard/checkip.py): an HTTP server on 127.0.0.1 only, so no test or snapshot asks the
internet for this machine's address."""

from __future__ import annotations

import contextlib
import http.server
import os
import threading
from collections.abc import Iterator
from typing import Any

from dockyard.checkip import CHECKIP_URL_ENV

UNSERVED = "http://127.0.0.1:9/"
"""DOCKYARD_CHECKIP_URL for the whole suite (tests/conftest.py): a closed port on
127.0.0.1, so a lookup no test serves fails instead of asking the internet."""
ANSWER = b"203.0.113.10\n"
"""What the stand-in answers by default: an address of TEST-NET-3 (RFC 5737)."""


class _CheckIp(http.server.BaseHTTPRequestHandler):
    answer = ANSWER

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextlib.contextmanager
def checkip_server(answer: bytes = ANSWER) -> Iterator[str]:
    """A server on 127.0.0.1 answering `answer` to every GET; yields its URL."""
    handler = type("Handler", (_CheckIp,), {"answer": answer})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def served_checkip(answer: bytes = ANSWER) -> Iterator[str]:
    """checkip_server() with DOCKYARD_CHECKIP_URL pointing at it while open (restored
    after); yields the URL."""
    before = os.environ.get(CHECKIP_URL_ENV)
    with checkip_server(answer) as url:
        os.environ[CHECKIP_URL_ENV] = url
        try:
            yield url
        finally:
            if before is None:
                os.environ.pop(CHECKIP_URL_ENV, None)
            else:
                os.environ[CHECKIP_URL_ENV] = before
