"""The Docker engines' versions, asked over TLS with the stack's client certificate (the
`dockerTls` output), as `docker-machine ls` showed them in its DOCKER column.

Each host's `dockerHost` (tcp://ADDRESS:2376) is asked `GET /version`, all hosts at once,
each for at most TIMEOUT seconds; the server certificate is checked against the stack's
CA and the address. The client key is written 0600 into a private temp dir for the look
and removed after.
"""

from __future__ import annotations

import http.client
import json
import ssl
import tempfile
import urllib.parse
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from dockyard.files import write_file
from dockyard.hosts.machines import Machine

TIMEOUT = 3.0
MAX_VERSION = 64


def client_tls(outputs: Mapping[str, Any]) -> dict[str, str] | None:
    """dockerTls's caPem, certPem and keyPem, or None when it is missing or hidden."""
    tls = outputs.get("dockerTls")
    keys = ("caPem", "certPem", "keyPem")
    if not isinstance(tls, dict) or not all(isinstance(tls.get(k), str) for k in keys):
        return None
    if "PRIVATE KEY" not in tls["keyPem"]:
        return None
    return {k: tls[k] for k in keys}


def _context(tls: Mapping[str, str], private_dir: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=tls["caPem"])
    cert, key = private_dir / "cert.pem", private_dir / "key.pem"
    write_file(cert, tls["certPem"], 0o600)
    write_file(key, tls["keyPem"], 0o600)
    context.load_cert_chain(cert, key)
    return context


def _version(machine: Machine, context: ssl.SSLContext, timeout: float) -> tuple[str, str]:
    """(version, "") or ("unknown", why)."""
    url = urllib.parse.urlsplit(machine.docker_host)
    try:
        host, port = url.hostname, url.port
    except ValueError:
        host = port = None
    if url.scheme != "tcp" or not host or not port:
        return "unknown", f"dockerHost {machine.docker_host[:60]!r} is not tcp://ADDRESS:PORT"
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=timeout)
    try:
        connection.request("GET", "/version")
        answer = connection.getresponse()
        body = answer.read(65536)
        version = json.loads(body).get("Version") if answer.status == 200 else None
    except (OSError, http.client.HTTPException, ValueError, AttributeError) as err:
        reason = getattr(err, "reason", None) or getattr(err, "strerror", None) or err
        return "unknown", f"engine at {host}:{port}: {str(reason)[:120]}"
    finally:
        connection.close()
    if not isinstance(version, str) or not version or len(version) > MAX_VERSION:
        return "unknown", f"engine at {host}:{port} answered no version (HTTP {answer.status})"
    return version, ""


def versions(
    found: Sequence[Machine], tls: Mapping[str, str], *, timeout: float = TIMEOUT
) -> dict[str, tuple[str, str]]:
    """host name -> (engine version or `unknown`, the problem or "")."""
    with tempfile.TemporaryDirectory(prefix="dockyard-tls-") as private_dir:
        try:
            context = _context(tls, Path(private_dir))
        except (ssl.SSLError, ValueError) as err:
            why = f"dockerTls is not a usable certificate and key: {str(err)[:80]}"
            return {m.name: ("unknown", why) for m in found}
        with ThreadPoolExecutor(max_workers=min(16, max(1, len(found)))) as pool:
            answers = list(pool.map(lambda m: _version(m, context, timeout), found))
    return {m.name: answer for m, answer in zip(found, answers, strict=True)}
