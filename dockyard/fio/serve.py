"""Serve the data directory's report on PLOTS_PORT: GET and HEAD only, nothing outside it.

`/` is the report page and `/runs.json` the listing, both made fresh per request (new
runs get their graphs then). `/?runs=a,b` compares the named runs with a chart drawn per
request (`/compare.png?runs=a,b`); an unknown run name gets 404. Any other path is a
file below the data directory; a path with `..`, an encoded form of it, a hidden name,
a symlink that resolves outside the directory, or a path the file system cannot resolve
(a symlink loop, a name too long) gets 404. Other methods get 405.

Every connection has a socket timeout, and at most `max_connections` are open at once
(fewer when the process may open few files). When the cap is reached, a new connection
takes the slot of the oldest one still sending its request (a half-open request); if
none is, it gets 503. So clients that open connections and never finish a request
cannot keep `/healthz` from answering.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import resource
import shutil
import socket
import sys
import threading
import urllib.parse
from collections.abc import Callable, Sequence
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dockyard.fio import PLOTS_PORT, export, plots, sweep_plots
from dockyard.fio.jobs import FioError
from dockyard.fio.report import (
    INDEX,
    RUNS_JSON,
    compare_href,
    default_selection,
    ensure_plots,
    export_links,
    listing,
    parse_selection,
    render_page,
    select_runs,
)
from dockyard.fio.results import RunInfo

REQUEST_TIMEOUT = 10.0
"""Seconds a connection may wait for the client (its request, or reading our answer)."""
MAX_CONNECTIONS = 128
"""Connections open at once, at most (see `connection_cap`)."""
# File descriptors kept free for everything else: stdio, the listening socket, files
# being served, matplotlib drawing plots for the page.
_RESERVED_FDS = 32
_BUSY = b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


STORED_TYPES = {".png": "image/png", ".json": "application/json"}
"""The content types a stored file is served with; every other file (job files, logs,
anything a run or a remote job file named `x.html` or `x.svg`) is plain text, so nothing
stored in a run can put a script on the report's origin."""
STORED_CSP = "default-src 'none'; sandbox"
"""Stored files are data, never a document that runs: no script, no subresource."""


_EXPORTS: dict[str, tuple[Callable[[Sequence[RunInfo]], str], str]] = {
    export.COMPARE_CSV: (export.comparison_csv, "text/csv; charset=utf-8"),
    export.COMPARE_JSON: (export.comparison_json, "application/json"),
}
"""The comparison as data, made per request (`/compare.csv?runs=a,b`)."""
_COMPARISONS = (plots.COMPARE_PNG, sweep_plots.COMPARE_SWEEP_PNG, *_EXPORTS)


def resolve_request_path(root: Path, raw_path: str) -> Path | None:
    """The file a request path names, or None when it is not a plain file under root."""
    path = urllib.parse.urlsplit(raw_path).path
    # Decode repeatedly so double-encoded forms (%252e%252e) cannot slip through.
    for _ in range(3):
        decoded = urllib.parse.unquote(path)
        if decoded == path:
            break
        path = decoded
    if "\x00" in path or "\\" in path:
        return None
    parts = [p for p in path.split("/") if p]
    if any(p in {".", ".."} or p.startswith(".") for p in parts):
        return None
    if not parts:
        return None
    try:
        real_root = root.resolve()
        candidate = (real_root / posixpath.join(*parts)).resolve()
        if not candidate.is_relative_to(real_root) or not candidate.is_file():
            return None
    except (OSError, RuntimeError):
        # A symlink loop (RuntimeError before Python 3.13), a name too long, no permission.
        return None
    return candidate


def connection_cap(limit: int = MAX_CONNECTIONS) -> int:
    """`limit`, or fewer when the open-files limit leaves less: each connection may hold
    two descriptors (its socket and the file it sends)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return limit
    return max(1, min(limit, (soft - _RESERVED_FDS) // 2))


class ReportServer(ThreadingHTTPServer):
    """A thread per connection, at most `max_connections` of them (see the module doc)."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], handler: Any, *, max_connections: int, timeout: float
    ) -> None:
        self.max_connections = max_connections
        self.request_timeout = timeout
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        # Connections still sending their request, oldest first (dicts keep order).
        self._reading: dict[socket.socket, None] = {}
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            if len(self._open) >= self.max_connections:
                if not self._reading:
                    self._refuse(request)
                    return
                oldest = next(iter(self._reading))
                self._forget(oldest)
                # Its thread wakes up with end-of-file, ends and closes the socket.
                with contextlib.suppress(OSError):
                    oldest.shutdown(socket.SHUT_RDWR)
            self._open.add(request)
            self._reading[request] = None
        super().process_request(request, client_address)

    def request_read(self, request: socket.socket) -> None:
        """The request line and headers are in: this connection is no longer half-open."""
        with self._lock:
            self._reading.pop(request, None)

    def _forget(self, request: socket.socket) -> None:
        self._open.discard(request)
        self._reading.pop(request, None)

    def _refuse(self, request: socket.socket) -> None:
        with contextlib.suppress(OSError):
            request.setblocking(False)
            request.send(_BUSY)
        super().shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._forget(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, not a traceback: a client going away mid-answer is not our error."""
        error = sys.exc_info()[1]
        print(f"dockyard-fio: {client_address[0]}: {error!r}", file=sys.stderr, flush=True)


class Handler(BaseHTTPRequestHandler):
    """Read-only handler over one directory."""

    server_version = "dockyard-fio"
    sys_version = ""
    server: ReportServer

    def __init__(
        self, *args: object, root: Path, notices: list[str] | None = None, **kwargs: object
    ) -> None:
        self.root = root
        self.notices = notices if notices is not None else []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.request_timeout)

    def log_message(self, format: str, *args: object) -> None:
        return

    def parse_request(self) -> bool:
        parsed = super().parse_request()
        self.server.request_read(self.connection)
        return parsed

    def _send(
        self,
        status: HTTPStatus,
        body: bytes,
        content_type: str,
        *,
        csp: bool = False,
        download: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if csp:
            self.send_header("Content-Security-Policy", STORED_CSP)
        if download and download.endswith(".csv"):
            self.send_header("Content-Disposition", f'attachment; filename="{download}"')
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _not_found(self) -> None:
        self._send(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def _selection(self, query: str) -> tuple[list[RunInfo], list[RunInfo]] | None:
        """(all runs, the compared ones) or None after a 404 for an unknown run name."""
        runs = ensure_plots(self.root)
        names = parse_selection(urllib.parse.parse_qs(query).get("runs", []))
        if not names:
            return runs, default_selection(runs)
        try:
            return runs, select_runs(runs, names)
        except FioError as err:
            self._send(HTTPStatus.NOT_FOUND, f"{err}\n".encode(), "text/plain; charset=utf-8")
            return None

    def _comparison(self, name: str, compared: list[RunInfo]) -> None:
        """compare.png, .csv or .json of the selected runs, made for this request."""
        if not compared:
            self._not_found()
            return
        if name == plots.COMPARE_PNG:
            self._send(HTTPStatus.OK, plots.comparison_png(compared), "image/png")
            return
        if name == sweep_plots.COMPARE_SWEEP_PNG:
            if not sweep_plots.sweep_runs(compared):
                self._not_found()
                return
            self._send(HTTPStatus.OK, sweep_plots.sweep_comparison_png(compared), "image/png")
            return
        make, content_type = _EXPORTS[name]
        body = make(compared).encode("utf-8")
        # Data, never a document: no script, no subresource; the CSV is a download.
        self._send(HTTPStatus.OK, body, content_type, csp=True, download=name)

    def do_GET(self) -> None:
        split = urllib.parse.urlsplit(self.path)
        raw = split.path
        if raw == "/healthz":
            # Healthy means the page renders: the same work as `/`, without sending it.
            try:
                render_page(self.root, ensure_plots(self.root), notices=self.notices)
            except Exception as err:  # any failure of the page is a failed health check
                body = f"the report page fails: {type(err).__name__}\n".encode()
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, body, "text/plain; charset=utf-8")
                return
            self._send(HTTPStatus.OK, b"ok\n", "text/plain; charset=utf-8")
            return
        if raw in {"/", f"/{INDEX}", *(f"/{name}" for name in _COMPARISONS)}:
            chosen = self._selection(split.query)
            if chosen is None:
                return
            runs, compared = chosen
            if raw != "/" and raw != f"/{INDEX}":
                self._comparison(raw.lstrip("/"), compared)
                return
            names = [run.name for run in compared]
            href = compare_href(names) if len(compared) >= 2 or split.query else None
            links = export_links(names) if href else None
            sweeps = href is not None and any(run.metadata.get("sweep") for run in compared)
            sweep_href = compare_href(names, sweep_plots.COMPARE_SWEEP_PNG) if sweeps else None
            page = render_page(
                self.root, runs, names, href, self.notices, links, sweep_href
            ).encode("utf-8")
            self._send(HTTPStatus.OK, page, "text/html; charset=utf-8")
            return
        if raw == f"/{RUNS_JSON}":
            runs = ensure_plots(self.root)
            body = (json.dumps(listing(runs), indent=2) + "\n").encode("utf-8")
            self._send(HTTPStatus.OK, body, "application/json")
            return
        target = resolve_request_path(self.root, self.path)
        if target is None:
            self._not_found()
            return
        content_type = STORED_TYPES.get(target.suffix.lower(), "text/plain; charset=utf-8")
        try:
            handle = target.open("rb")
        except OSError:
            self._not_found()
            return
        with handle:
            size = target.stat().st_size
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(size))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", STORED_CSP)
            self.end_headers()
            if self.command != "HEAD":
                shutil.copyfileobj(handle, self.wfile)

    def do_HEAD(self) -> None:
        self.do_GET()

    def _refuse(self) -> None:
        self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse


def make_server(
    root: Path,
    host: str = "0.0.0.0",  # noqa: S104 - a container's server
    port: int = PLOTS_PORT,
    *,
    timeout: float = REQUEST_TIMEOUT,
    max_connections: int | None = None,
    notices: list[str] | None = None,
) -> ReportServer:
    """A server over `root`, bound but not yet serving (`connection_cap()` by default);
    `notices` are shown on the page (the aio image's errors)."""
    handler = partial(Handler, root=root.resolve(), notices=notices)
    cap = connection_cap() if max_connections is None else max_connections
    return ReportServer((host, port), handler, max_connections=cap, timeout=timeout)
