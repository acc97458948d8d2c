"""`dockyard docker-env`: bad input exits 2 with one line and writes no certificate; its
output is safe to `eval` whatever the stack outputs hold."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dockyard.cli import main
from tests.harness.tools import VENV_BIN

HOSTS = [
    {"name": "p-1", "role": "control", "dockerEnv": {"DOCKER_HOST": "tcp://1.2.3.4:2376"}},
    {"name": "p-2", "role": "agent", "dockerEnv": {"DOCKER_HOST": "tcp://1.2.3.5:2376"}},
]
TLS = {"caPem": "CA", "certPem": "CERT", "keyPem": "KEY"}


def _run(monkeypatch: pytest.MonkeyPatch, stdin: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    return main(["docker-env", *args])


@pytest.mark.parametrize(
    ("outputs", "args", "words"),
    [
        ("not json", [], "not JSON (line 1"),
        ('{"hosts": [' + "1" * 4400 + "]}", [], "4300 digits"),
        ('{"hosts": [{"name": "\\ud800"}]}', [], "lone surrogate"),
        ({"hosts": ["p-1"], "dockerTls": TLS}, [], "hosts[0] is not an object"),
        ({"dockerTls": TLS}, [], "no hosts"),
        ({"hosts": [{**HOSTS[0], "name": "../x"}], "dockerTls": TLS}, [], "not a host name"),
        ({"hosts": [{**HOSTS[0], "name": "a\nb"}], "dockerTls": TLS}, [], "not a host name"),
        (
            {"hosts": [{**HOSTS[0], "dockerEnv": {"A=1; touch X; B": "1"}}], "dockerTls": TLS},
            [],
            "names are A-Z",
        ),
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


def test_cert_dir_that_is_a_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A --cert-dir that is a file exits 2 with one line naming it, the file untouched."""
    blocker = tmp_path / "certs"
    blocker.write_text("mine")
    stdin = json.dumps({"hosts": HOSTS, "dockerTls": TLS})
    assert _run(monkeypatch, stdin, "--cert-dir", str(blocker)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write the certificates" in err, err
    assert blocker.read_text() == "mine"


INJECTIONS = [
    {"DOCKER_HOST": "tcp://1.2.3.4:2376", "DOCKER_TLS_VERIFY": "1$(touch {marker})"},
    {"DOCKER_HOST": "tcp://1.2.3.4:2376'; touch {marker}; '"},
    {"DOCKER_HOST": "tcp://1.2.3.4:2376\ntouch {marker}"},
    {"DOCKER_HOST": "x", "A=1; touch {marker}; B": "1"},
    {"DOCKER_HOST": "x", "DOCKER_MACHINE_NAME": "`touch {marker}`"},
]


@pytest.mark.parametrize("env", INJECTIONS)
@pytest.mark.parametrize("name", ["p-1", "p-1\ntouch {marker}", "p-1; touch {marker}"])
def test_eval_of_the_output_runs_nothing(env: dict[str, str], name: str, tmp_path: Path) -> None:
    """Shell code in dockerEnv names or values, or in the host name, never runs through
    `eval "$(dockyard docker-env)"` in bash: it is quoted, or the command refuses it
    (exit 2); the marker file is never created."""
    marker = tmp_path / "pwned"
    host = {
        "name": name.format(marker=marker),
        "role": "control",
        "dockerEnv": {k.format(marker=marker): v.format(marker=marker) for k, v in env.items()},
    }
    outputs = json.dumps({"hosts": [host], "dockerTls": TLS})
    script = (
        'eval "$("$DOCKYARD" docker-env --cert-dir "$CERTS" < "$OUTPUTS")"; echo "$DOCKER_HOST"'
    )
    (tmp_path / "outputs.json").write_text(outputs)
    done = subprocess.run(
        ["bash", "-c", script],
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "DOCKYARD": str(VENV_BIN / "dockyard"),
            "CERTS": str(tmp_path / "certs"),
            "OUTPUTS": str(tmp_path / "outputs.json"),
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert not marker.exists(), done.stdout + done.stderr
    if done.stderr:  # refused: one line, nothing printed to eval
        assert done.stderr.count("\n") == 1, done.stderr
        assert done.stdout == "\n"
    else:
        assert done.stdout == host["dockerEnv"]["DOCKER_HOST"] + "\n"
