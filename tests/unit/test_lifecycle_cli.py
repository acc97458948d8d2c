"""The lifecycle commands' pure parts: ls's filters and formats, scp's operands, inspect's
terminal-safe JSON, and the host selection of status/start/stop/restart; and their
refusals, each one line and exit 2 before any AWS call."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from dockyard.errors import UsageError
from dockyard.hosts.listing import Row, matches, parse_filters, render, sources
from dockyard.hosts.machines import machines, pick, scp_argv, ssh_settings
from tests.harness.tools import VENV_BIN

HOSTS = [
    {
        "name": "dev-1",
        "role": "control",
        "instanceId": "i-0123456789abcdef0",
        "publicIp": "203.0.113.11",
        "privateIp": "10.0.1.11",
        "availabilityZone": "eu-west-1a",
        "dockerHost": "tcp://203.0.113.11:2376",
    },
    {
        "name": "dev-2",
        "role": "agent",
        "instanceId": "i-0123456789abcdef1",
        "publicIp": None,
        "privateIp": "2001:db8::12",
        "dockerHost": "tcp://[2001:db8::12]:2376",
    },
]
SSH = {"user": "ubuntu", "address": "public", "knownHostsFile": "/k/known_hosts"}
OUTPUTS = {"hosts": HOSTS, "ssh": SSH}


def dockyard(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "dockyard"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _rows() -> list[Row]:
    found = machines(OUTPUTS)
    return [Row(found[0], state="running"), Row(found[1], state="stopped", errors=("e1", "e2"))]


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        ([], ["dev-1", "dev-2"]),
        (["state=RUNNING"], ["dev-1"]),
        (["state=running", "state=stopped"], ["dev-1", "dev-2"]),
        (["name=^dev-[2-9]$"], ["dev-2"]),
        (["name=1", "role=agent"], []),
        (["role=control", "name=dev"], ["dev-1"]),
    ],
)
def test_filters(filters: list[str], names: list[str]) -> None:
    """One key's filters are alternatives, keys must all match; state and role in any case,
    name a regex search."""
    parsed = parse_filters(filters)
    assert [r.machine.name for r in _rows() if matches(r, parsed)] == names


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("driver=amazonec2", "is not KEY=VALUE with a key of name, state, role"),
        ("state", "is not KEY=VALUE"),
        ("name=(", "is not a regex"),
    ],
)
def test_bad_filters(value: str, words: str) -> None:
    """An unknown key, no `=`, a bad regex: UsageError naming it."""
    with pytest.raises(UsageError, match=words):
        parse_filters([value])


def test_formats() -> None:
    """{{.Field}} lines; `table` aligns with a header; \\t is a tab; -q names only."""
    rows = _rows()
    assert render(rows, template="{{.Name}}={{ .State }};{{.Error}}") == (
        "dev-1=running;\ndev-2=stopped;e1; e2\n"
    )
    assert render(rows, template="table {{.Name}}\\t{{.PrivateIP}}\\t{{.URL}}").splitlines() == [
        "NAME   PRIVATE       URL",
        "dev-1  10.0.1.11     tcp://203.0.113.11:2376",
        "dev-2  2001:db8::12  tcp://[2001:db8::12]:2376",
    ]
    assert render(rows, quiet=True) == "dev-1\ndev-2\n"


@pytest.mark.parametrize(
    ("template", "word"),
    [("{{.Driver}}", "'{{.Driver}}' is not a field"), ("{{json .}}", "is not a field")],
)
def test_bad_formats(template: str, word: str) -> None:
    """A field that does not exist, a Go template function: UsageError listing the fields."""
    with pytest.raises(UsageError, match=word):
        render(_rows(), template=template)


def test_what_is_asked() -> None:
    """-q, or a format of stack fields only, asks nothing; State or a state filter asks EC2,
    DockerVersion the engines, the table and Error both."""
    assert sources({}, None, quiet=True) == frozenset()
    assert sources({}, "{{.Name}} {{.PublicIP}}", quiet=False) == frozenset()
    assert sources({}, "{{.Name}} {{.State}}", quiet=False) == {"ec2"}
    assert sources({}, "{{.DockerVersion}}", quiet=False) == {"engine"}
    assert sources({"state": ["running"]}, None, quiet=True) == {"ec2"}
    assert sources({}, None, quiet=False) == {"ec2", "engine"}
    assert sources({}, "{{.Error}}", quiet=False) == {"ec2", "engine"}


def test_pick() -> None:
    """Names and indexes, once each, in the stack's order; --all; neither or both refused."""
    found = machines(OUTPUTS)
    assert [m.name for m in pick(found, ["1", "dev-1", "dev-2"], every=False)] == [
        "dev-1",
        "dev-2",
    ]
    assert pick(found, [], every=True) == found
    with pytest.raises(UsageError, match="or give --all"):
        pick(found, [], every=False)
    with pytest.raises(UsageError, match="not both"):
        pick(found, ["0"], every=True)
    with pytest.raises(UsageError, match="no host 'dev-9'"):
        pick(found, ["dev-9"], every=False)


def test_scp_operands() -> None:
    """HOST:PATH by name or index becomes user@address:PATH (IPv6 bracketed); a local path
    with a colon is ./PATH, so scp cannot take it for a host; the options are ssh's."""
    found = machines(OUTPUTS)
    settings = ssh_settings(OUTPUTS, user=None, address=None, known_hosts=None)
    argv = scp_argv(found, settings, Path("/k/id"), (":b.txt", "1:/tmp/"), recursive=True)
    assert argv[argv.index("-r") :] == ["-r", "--", "./:b.txt", "ubuntu@[2001:db8::12]:/tmp/"]
    assert "HostKeyAlias=i-0123456789abcdef1" in argv
    assert 'UserKnownHostsFile="/k/known_hosts"' in argv
    argv = scp_argv(found, settings, Path("/k/id"), ("dev-1:", "-x"))
    assert argv[-3:] == ["--", "ubuntu@203.0.113.11:.", "-x"]


@pytest.mark.parametrize(
    ("operands", "words"),
    [
        (("dev-1:/a", "dev-2:/b"), "one side as HOST:PATH"),
        (("./a", "/b"), "one side as HOST:PATH"),
        (("dev-9:/a", "."), "no host 'dev-9' in the stack (for a local file"),
    ],
)
def test_scp_refusals(operands: tuple[str, str], words: str) -> None:
    """Two hosts (one HostKeyAlias per scp), no host, an unknown host: UsageError."""
    settings = ssh_settings(OUTPUTS, user=None, address=None, known_hosts=None)
    with pytest.raises(UsageError, match=re.escape(words)):
        scp_argv(machines(OUTPUTS), settings, Path("/k/id"), operands)


def test_inspect_offline_is_terminal_safe_json() -> None:
    """inspect prints the host's entry, index and ssh settings as JSON in which every
    control and non-ASCII character is escaped; it parses back to the same values."""
    hostile = {**OUTPUTS, "ssh": {**SSH, "user": "\x1b]0;owned\x07\u202e\x7fé"}}
    done = dockyard("inspect", "1", "--offline", stdin=json.dumps(hostile))
    assert done.returncode == 0, done.stderr
    assert all(" " <= ch <= "~" for ch in done.stdout.replace("\n", ""))
    facts = json.loads(done.stdout)
    assert facts["ssh"]["user"] == hostile["ssh"]["user"]
    assert (facts["index"], facts["name"], facts["privateIp"]) == (1, "dev-2", "2001:db8::12")
    assert facts["live"] is None


@pytest.mark.parametrize(
    ("args", "hosts", "words"),
    [
        (["stop"], HOSTS, "name the hosts (names or indexes), or give --all"),
        (["start", "--all", "dev-1"], HOSTS, "name hosts or give --all, not both"),
        (["restart", "dev-3"], HOSTS, "no host 'dev-3' in the stack"),
        (["stop", "--all", "--timeout", "0"], HOSTS, "is not 1 to 3600 seconds"),
        (
            ["status", "--region", "eu-west-1"],
            [{**HOSTS[0], "instanceId": "i-1"}],
            "is not an EC2 instance id",
        ),
        (["status", "--region", "mars-1"], HOSTS, "'mars-1' is not an AWS region"),
        (["ls", "--filter", "x=y"], HOSTS, "--filter 'x=y' is not KEY=VALUE"),
    ],
)
def test_refused_before_any_call(args: list[str], hosts: list[object], words: str) -> None:
    """Bad selections, timeouts, instance ids and regions: one line, exit 2, no AWS call
    (no credentials are set, so a call would fail differently)."""
    done = dockyard(*args, stdin=json.dumps({**OUTPUTS, "hosts": hosts}))
    assert done.returncode == 2, done.stderr
    assert words in done.stderr
    assert len(done.stderr.splitlines()) == 1 or "usage:" in done.stderr
