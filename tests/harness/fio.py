"""Helpers for the fio tests: tiny job files, PNG checks, a served data dir, a test CA."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import resource
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image

from tests.harness.tools import REPO

JOBS_DIR = REPO / "containers" / "fio" / "jobs"
QUICK_JOB = JOBS_DIR / "quick.fio"

# One second per job, 8 MiB files: keeps each real run near 2 s on 2 cores.
TINY_JOB = """\
[global]
ioengine=psync
size=8M
runtime=1
time_based

[tiny-read]
rw=randread
bs=4k

[tiny-write]
stonewall
rw=randwrite
bs=4k
"""


@dataclass(frozen=True)
class PngInfo:
    width: int
    height: int
    title: str


def png_info(path: Path) -> PngInfo:
    """Open with Pillow (which checks the PNG structure) and read size and Title chunk."""
    with Image.open(path) as image:
        assert image.format == "PNG", f"{path} is {image.format}, not PNG"
        image.load()
        text = getattr(image, "text", {})
        return PngInfo(image.width, image.height, str(text.get("Title", "")))


@contextlib.contextmanager
def served(data_dir: Path, **options: float) -> Iterator[int]:
    """dockyard's report server on a free port in a thread; yields the port.

    `options` go to make_server (timeout, max_connections).
    """
    from dockyard.fio.serve import make_server

    server = make_server(data_dir, host="127.0.0.1", port=0, **options)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


_SERVE_SCRIPT = """
import sys
from pathlib import Path
from dockyard.fio.serve import make_server
server = make_server(Path(sys.argv[1]), host="127.0.0.1", port=0)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@contextlib.contextmanager
def served_process(data_dir: Path, open_files: int) -> Iterator[int]:
    """The report server in its own process, allowed `open_files` file descriptors
    (RLIMIT_NOFILE); yields the port and stops the process at the end."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE_SCRIPT, str(data_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=limit,  # only setrlimit, before exec
    )
    try:
        assert proc.stdout is not None
        yield int(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.communicate(timeout=10)


@contextlib.contextmanager
def half_open_connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections to 127.0.0.1:port, each with a request that never ends (no
    blank line after the headers); all closed at the end."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /runs.json HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            socks.append(sock)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def timed_get(port: int, path: str, timeout: float) -> tuple[int, float]:
    """GET path: the status and the seconds it took (raises if over `timeout`)."""
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - start
    finally:
        conn.close()


def raw_request(port: int, method: str, path: str) -> tuple[int, bytes]:
    """Send the path exactly as given (no client-side normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass(frozen=True)
class LocalCA:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_test_ca(directory: Path) -> LocalCA:
    """A CA and a server certificate for 127.0.0.1, written as PEM files."""
    from cryptography import x509

    from tests.harness import certs

    ca_key = certs.new_key()
    ca_name = certs.common_name("dockyard test CA")
    ca_cert = certs.issue(
        ca_name,
        ca_key.public_key(),
        ca_name,
        ca_key,
        is_ca=True,
        usages=("digital_signature", "key_cert_sign", "crl_sign"),
    )
    key = certs.new_key()
    cert = certs.issue(
        certs.common_name("127.0.0.1"),
        key.public_key(),
        ca_name,
        ca_key,
        sans=[x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    ca = LocalCA(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    ca.ca_file.write_text(certs.cert_pem(ca_cert), encoding="utf-8")
    ca.cert_file.write_text(certs.cert_pem(cert), encoding="utf-8")
    ca.key_file.write_text(certs.key_pem(key), encoding="utf-8")
    return ca


@contextlib.contextmanager
def file_server(root: Path, ca: LocalCA | None = None) -> Iterator[str]:
    """A static file server over root (HTTPS with the test CA's cert when given)."""

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    scheme = "http"
    if ca is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ca.cert_file, ca.key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
