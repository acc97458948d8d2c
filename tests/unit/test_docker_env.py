"""`dockyard docker-env`: bad input exits 2 with one line and writes no certificate."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from dockyard.cli import main

HOSTS = [
    {"name": "p-1", "role": "control", "dockerEnv": {"DOCKER_HOST": "tcp://1.2.3.4:2376"}},
    {"name": "p-2", "role": "agent", "dockerEnv": {"DOCKER_HOST": "tcp://1.2.3.5:2376"}},
]
TLS = {"caPem": "CA", "certPem": "CERT", "keyPem": "KEY"}


def _run(monkeypatch: pytest.MonkeyPatch, stdin: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["docker-env", *args])


@pytest.mark.parametrize(
    ("outputs", "args", "words"),
    [
        ("not json", [], "not JSON (line 1"),
        ({"dockerTls": TLS}, [], "no hosts"),
        ({"hosts": HOSTS, "dockerTls": "[secret]"}, [], "--show-secrets"),
        ({"hosts": HOSTS, "dockerTls": TLS}, ["--host", "p-9"], "pick one of p-1, p-2"),
    ],
)
def test_bad_input(
    outputs: Any,
    args: list[str],
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Each problem is named on stderr, exit 2, and the cert dir stays empty."""
    stdin = outputs if isinstance(outputs, str) else json.dumps(outputs)
    code = _run(monkeypatch, stdin, "--cert-dir", str(tmp_path / "certs"), *args)
    assert code == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "certs").exists() or not list((tmp_path / "certs").iterdir())


@pytest.mark.parametrize(("args", "expected"), [([], "1.2.3.4"), (["--host", "1"], "1.2.3.5")])
def test_exports_for_the_chosen_host(
    args: list[str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The control host by default, else by name or index; the key is written 0600."""
    stdin = json.dumps({"hosts": HOSTS, "dockerTls": TLS})
    assert _run(monkeypatch, stdin, "--cert-dir", str(tmp_path), *args) == 0
    out = capsys.readouterr().out
    assert f"export DOCKER_HOST=tcp://{expected}:2376" in out
    assert f"export DOCKER_CERT_PATH={tmp_path}" in out
    assert (tmp_path / "key.pem").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "ca.pem").read_text() == "CA"
