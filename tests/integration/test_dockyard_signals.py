"""`dockyard ssh` signalled mid-session leaves nothing behind (issue 23).

The generated private key is written 0600 into a temp directory for ssh. Ctrl-C,
SIGTERM (a CI runner cancelling) and SIGHUP (a closed terminal) must all remove it, end
ssh, and print one line with exit 128 + the signal. Real sshd hosts in namespaces, a
real dockyard process, real signals.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.harness.pulumi_program import RecordingMocks, evaluate
from tests.harness.sshhosts import ssh_cluster
from tests.harness.tools import VENV_BIN, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]


def _wait_for(predicate: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_signal_mid_session_removes_the_key(tmp_path: Path) -> None:
    """SIGINT, SIGTERM, SIGHUP while ssh runs a remote `sleep`: exit 130/143/129, one
    line of ours (beside ssh's own known-hosts warning), the temp key directory gone, no
    ssh process of ours left."""
    require_tool("ssh")
    home = tmp_path / "home"
    home.mkdir()
    with ssh_cluster(tmp_path / "c", count=1, tag="dyg", subnet=231) as cluster:
        result = evaluate(
            {
                "dockyard:sshPublicKey": None,
                "dockyard:hostCount": "1",
                "dockyard:publicIp": "false",
                "dockyard:ansibleAddress": "private",
                "dockyard:ansibleUser": cluster.user,
                "dockyard:knownHostsFile": str(tmp_path / "stack.known_hosts"),
            },
            mocks=RecordingMocks(private_ips=cluster.addresses),
        )
        [key_pair] = result.of_type("aws:ec2/keyPair:KeyPair")
        cluster.authorize(key_pair.inputs["publicKey"])
        document = json.dumps(json.loads(json.dumps(result.outputs)))
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            tmp = tmp_path / f"tmp-{signum.name}"
            tmp.mkdir()
            # The remote command is this run's own: the shell on the host execs `sleep`,
            # so its command line is exactly ["sleep", seconds] and tells the session is up.
            seconds = f"600.{int(signum)}"
            proc = subprocess.Popen(
                [str(VENV_BIN / "dockyard"), "ssh", "0", "sleep", seconds],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "HOME": str(home), "TMPDIR": str(tmp)},
            )
            assert proc.stdin is not None
            proc.stdin.write(document)
            proc.stdin.close()
            _wait_for(lambda: any(tmp.glob("dockyard-ssh-*/id")), "the key file")  # noqa: B023
            _wait_for(lambda: _remote_sleeps(seconds) == 1, "the remote sleep")  # noqa: B023
            proc.send_signal(signum)
            proc.wait(timeout=30)
            assert proc.stderr is not None
            err = proc.stderr.read()
            assert proc.returncode == 128 + signum, err
            ours = [line for line in err.splitlines() if not line.startswith("Warning: ")]
            assert len(ours) == 1 and ours[0].startswith("dockyard: "), err
            assert list(tmp.iterdir()) == [], "the temp key directory is left"
            _wait_for(lambda: _ssh_clients_with(seconds) == 0, "ssh to end")  # noqa: B023


def _cmdlines() -> list[list[str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.append((entry / "cmdline").read_bytes().split(b"\0"))
            except OSError:
                continue
    return [[part.decode(errors="replace") for part in cmd if part] for cmd in found]


def _remote_sleeps(seconds: str) -> int:
    """The remote `sleep` the host's sshd started (exec'd by the login shell, or still
    under `sh -c`): the dockyard process and the ssh client also name `seconds`, but
    never as a command of their own."""
    return sum(1 for cmd in _cmdlines() if cmd == ["sleep", seconds] or f"sleep {seconds}" in cmd)


def _ssh_clients_with(marker: str) -> int:
    return sum(1 for cmd in _cmdlines() if cmd and cmd[0] == "ssh" and marker in cmd)
