"""`dockyard ls`, `ip` and `ssh` on a stack-outputs document: the table, the addresses, the
ssh command line, and bad documents exiting 2 with one line (run as the real command, so
a traceback would show)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dockyard.hosts.machines import machines, ssh_argv, ssh_settings
from tests.harness.tools import VENV_BIN

HOSTS = [
    {
        "name": "dev-1",
        "role": "control",
        "instanceId": "i-0000000000000001",
        "publicIp": "203.0.113.11",
        "privateIp": "10.0.1.11",
        "dockerHost": "tcp://203.0.113.11:2376",
    },
    {
        "name": "dev-2",
        "role": "agent",
        "instanceId": "i-0000000000000002",
        "publicIp": None,
        "privateIp": "10.0.1.12",
        "dockerHost": "tcp://10.0.1.12:2376",
    },
]
SSH = {"user": "ubuntu", "address": "public", "knownHostsFile": "~/.ssh/dockyard-dev.known_hosts"}
OUTPUTS = {"hosts": HOSTS, "ssh": SSH}


def dockyard(*args: str, stdin: str | bytes) -> subprocess.CompletedProcess[str]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    done = subprocess.run(
        [str(VENV_BIN / "dockyard"), *args],
        input=data,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def test_ls_lists_every_host() -> None:
    """One aligned row per host, `-` where a host has no public address; --offline makes no
    EC2 call, so the state is `-`."""
    done = dockyard("ls", "--offline", stdin=json.dumps(OUTPUTS))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "NAME   ROLE     STATE  INSTANCE            PUBLIC        PRIVATE    URL"
        "                      DOCKER  ERRORS",
        "dev-1  control  -      i-0000000000000001  203.0.113.11  10.0.1.11  "
        "tcp://203.0.113.11:2376  -       -",
        "dev-2  agent    -      i-0000000000000002  -             10.0.1.12  "
        "tcp://10.0.1.12:2376     -       -",
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "203.0.113.11"),
        (["dev-1", "--private"], "10.0.1.11"),
        (["1"], "10.0.1.12"),
        (["dev-2"], "10.0.1.12"),
    ],
)
def test_ip(args: list[str], expected: str) -> None:
    """The control host by default, else by name or index; public when it has one."""
    done = dockyard("ip", *args, stdin=json.dumps(OUTPUTS))
    assert (done.returncode, done.stdout) == (0, expected + "\n"), done.stderr


@pytest.mark.parametrize(
    ("command", "stdin", "words"),
    [
        (["ls"], "", "empty"),
        (["ls"], "[1, 2]", "not a JSON object"),
        (["ls"], b"\xff\xfe", "not UTF-8"),
        (["ls"], '{"hosts": [' + "9" * 4400 + "]}", "4300 digits"),
        (["ls"], '{"hosts": [{"name": "\\udc00"}]}', "lone surrogate"),
        (["ls"], json.dumps({"ssh": SSH}), "no hosts"),
        (["ls"], json.dumps({"hosts": [None]}), "hosts[0] is not an object"),
        (["ls"], json.dumps({"hosts": [{"role": "control"}]}), "no name"),
        (
            ["ip"],
            json.dumps({"hosts": [{**HOSTS[0], "publicIp": "-oProxyCommand=x"}]}),
            "not an IP",
        ),
        (["ip", "dev-9"], json.dumps(OUTPUTS), "pick one of dev-1, dev-2"),
        (["ssh", "dev-1", "true"], json.dumps(OUTPUTS), "no sshPrivateKey"),
        (["ssh", "true"], json.dumps({**OUTPUTS, "sshPrivateKey": "[secret]"}), "no host 'true'"),
        (["ssh", "0", "true"], json.dumps({**OUTPUTS, "sshPrivateKey": "[secret]"}), "hidden"),
        (["ssh", "0", "true"], json.dumps({"hosts": HOSTS}), "no usable ssh.user"),
    ],
)
def test_bad_documents_exit_2_with_one_line(
    command: list[str], stdin: str | bytes, words: str
) -> None:
    """Each problem is one line on stderr, exit 2, no traceback, nothing on stdout."""
    done = dockyard(*command, stdin=stdin)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("dockyard: "), done.stderr
    assert words in done.stderr, done.stderr
    assert done.stdout == ""


def test_without_stdin_or_pulumi_it_says_how() -> None:
    """With nothing piped in and no Pulumi CLI on PATH, the message shows the pipe."""
    done = subprocess.run(
        [str(VENV_BIN / "dockyard"), "ls", "--stack", "dev"],
        env={"PATH": "/nonexistent"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "pulumi stack output --json --show-secrets | dockyard ls" in done.stderr


def test_ssh_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ssh logs in with the key alone, checks host keys in the stack's known_hosts under the
    instance id (new instances accepted, changed keys refused), the address after `--`."""
    monkeypatch.setenv("HOME", str(tmp_path))
    machine = machines(OUTPUTS)[0]
    settings = ssh_settings(OUTPUTS, user=None, address=None, known_hosts=None)
    argv: list[Any] = ssh_argv(machine, settings, Path("/k/id"), ["docker", "info"])
    assert argv == [
        "ssh",
        "-i",
        "/k/id",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "HostKeyAlias=i-0000000000000001",
        "-o",
        f'UserKnownHostsFile="{tmp_path}/.ssh/dockyard-dev.known_hosts"',
        "-o",
        "StrictHostKeyChecking=accept-new",
        "-l",
        "ubuntu",
        "--",
        "203.0.113.11",
        "docker",
        "info",
    ]
