"""moto server: a real HTTP AWS API emulator on 127.0.0.1 for boto3 code under test.

One server per test session (`moto_server -H 127.0.0.1 -p PORT`, ready in < 3 s);
`reset()` (POST /moto-api/reset) clears its state between tests.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.harness.tools import free_port, require_tool

REGION = "us-east-1"
READY_TIMEOUT = 30.0
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass
class MotoServer:
    """A running moto server and how to talk to it."""

    endpoint: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def env(self) -> dict[str, str]:
        """Environment for a subprocess using boto3 against this server (no real AWS)."""
        env = dict(os.environ)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.pop(key, None)
        env.update(CREDENTIALS)
        env["AWS_CONFIG_FILE"] = os.devnull
        env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
        return env

    def client(self, service: str, region: str = REGION) -> Any:
        import boto3

        return boto3.client(  # type: ignore[call-overload]
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def reset(self) -> None:
        # The endpoint is always the http://127.0.0.1 URL built above.
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            assert answer.status == 200, f"moto reset answered {answer.status}"


def _wait_ready(server: MotoServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"moto_server exited with {server.process.returncode}: "
                + server.log.read_text(errors="replace")[-2000:]
            )
        try:
            with urllib.request.urlopen(f"{server.endpoint}/moto-api/data.json", timeout=2):  # noqa: S310
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"moto_server not ready after {READY_TIMEOUT:.0f} s")


@contextlib.contextmanager
def running_moto_server() -> Iterator[MotoServer]:
    """Start moto server on a free 127.0.0.1 port; stop it (and only it) afterwards."""
    binary = require_tool("moto_server")
    with tempfile.TemporaryDirectory(prefix="dockyard-moto-") as tmp:
        log = Path(tmp) / "moto.log"
        port = free_port()
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [binary, "-H", "127.0.0.1", "-p", str(port)],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        server = MotoServer(f"http://127.0.0.1:{port}", process, log)
        try:
            _wait_ready(server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
