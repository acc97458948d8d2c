"""Day 2 of the Ansible run, for real: a replaced host, a changed host key, renewed
certificates, an interrupted run.

The program is evaluated under mocks whose addresses are those of sshd hosts in network
namespaces (tests/harness/sshhosts.py) and whose TLS resources are real
(tests/harness/tls_mocks.py); the recorded Command is executed as pulumi-command would
(tests/harness/command.py). Each host's dockerd is started from the daemon.json the
docker_tls role wrote and restarted when the role's handler stops it
(tests/harness/tls_hosts.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pulumi
import pytest

from tests.harness.command import run_command, start_command
from tests.harness.pulumi_program import Evaluation, Resource, evaluate
from tests.harness.sshhosts import SshCluster, ssh_cluster
from tests.harness.tls_hosts import (
    ansible_config,
    config_dir,
    docker_over_tls,
    dockerd_starts,
    supervised_dockerds,
)
from tests.harness.tls_mocks import TlsMocks
from tests.harness.tools import require_tool

pytestmark = pytest.mark.integration

INSTANCE = "aws:ec2/instance:Instance"
COMMAND = "command:local:Command"
TLS_TASKS = {
    "docker_tls : Install the CA certificate",
    "docker_tls : Install the server certificate",
    "docker_tls : Install the server key",
    "docker_tls : Restart dockerd with docker_tls_restart_command",
}


class HostMocks(TlsMocks):
    """TlsMocks in which the instances numbered in `replaced` have new ids, as a
    replaced instance would."""

    def __init__(self, addresses: list[str], replaced: frozenset[int] = frozenset()) -> None:
        super().__init__(addresses)
        self.replaced = replaced

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid, outputs = super().new_resource(args)
        if args.typ == INSTANCE and self._index(args.name) in self.replaced:
            rid = f"i-{0xFEED0000 + self._index(args.name):017x}"
        return rid, outputs


def _evaluate(cluster: SshCluster, tmp: Path, mocks: TlsMocks) -> Evaluation:
    return evaluate(
        ansible_config(cluster, tmp / "known_hosts"),
        mocks=mocks,
    )


def _command(result: Evaluation) -> Resource:
    [command] = result.of_type(COMMAND)
    return command


def _ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc


def _task_results(stdout: str) -> dict[str, dict[str, str]]:
    """Task (or handler) name -> host -> status, from ansible-playbook's default output."""
    results: dict[str, dict[str, str]] = {}
    task = ""
    for line in stdout.splitlines():
        header = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.+?)\]", line)
        if header:
            task = header.group(1)
            continue
        status = re.match(r"^(ok|changed|skipping|fatal|failed): \[([^\]]+)\]", line)
        if status and task:
            results.setdefault(task, {})[status.group(2)] = status.group(1)
    return results


def _new_host_key(cluster: SshCluster, index: int) -> None:
    """Host `index` (1-based) gets a new sshd host key at the same address."""
    host = cluster.hosts[index - 1]
    assert host.process is not None
    host.process.terminate()
    host.process.wait(10)
    key = cluster.workdir / f"host_key_{index}"
    key.unlink()
    Path(f"{key}.pub").unlink(missing_ok=True)
    subprocess.run(
        [require_tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True
    )
    config = cluster.workdir / f"sshd_config_{index}"
    host.process = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            host.namespace,
            require_tool("sshd"),
            "-D",
            "-e",
            "-f",
            str(config),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host.address, 22), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"sshd on {host.address} did not come back")


def _known(tmp: Path, names: list[str]) -> bool:
    """known_hosts has exactly one entry per name (entries may be hashed: ssh-keygen -F)."""
    known_hosts = tmp / "known_hosts"
    if len(known_hosts.read_text().splitlines()) != len(names):
        return False
    return all(
        subprocess.run(
            [require_tool("ssh-keygen"), "-F", name, "-f", str(known_hosts)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
        for name in names
    )


@pytest.mark.root
def test_replaced_instance_is_accepted_and_a_changed_key_refused(tmp_path: Path) -> None:
    """known_hosts is keyed by instance id: after host 2 is replaced (new instance id, new
    host key, same address) the next run succeeds; a new key for the same instance id is
    refused."""
    (tmp_path / "command-tmp").mkdir()
    with (
        ssh_cluster(tmp_path / "c", count=2, tag="dyk", subnet=238) as cluster,
        supervised_dockerds(cluster),
    ):
        addresses = cluster.addresses
        first = _evaluate(cluster, tmp_path, HostMocks(addresses))
        _ok(run_command(_command(first), tmp_path))
        ids = [h["instanceId"] for h in first.outputs["hosts"]]
        assert _known(tmp_path, ids)

        _new_host_key(cluster, 2)
        replaced = _evaluate(cluster, tmp_path, HostMocks(addresses, frozenset({2})))
        new_id = replaced.outputs["hosts"][1]["instanceId"]
        assert new_id not in ids
        assert (
            f"HostKeyAlias={new_id}"
            in _command(replaced).inputs["environment"]["DOCKYARD_INVENTORY"]
        )
        _ok(run_command(_command(replaced), tmp_path))
        assert _known(tmp_path, [*ids, new_id])

        _new_host_key(cluster, 2)
        environment = _command(replaced).inputs["environment"]
        extra_vars = {**json.loads(environment["DOCKYARD_EXTRA_VARS"]), "node_ready_timeout": 5}
        refused = run_command(
            _command(replaced), tmp_path, DOCKYARD_EXTRA_VARS=json.dumps(extra_vars)
        )
        assert refused.returncode != 0
        output = refused.stdout + refused.stderr
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in output or (
            "Host key verification failed" in output
        ), output[-4000:]
        assert re.search(rf"^{re.escape(addresses[0])}\s+: ok=\d+ .*failed=0", output, re.M)
        assert not re.search(rf"^{re.escape(addresses[1])}\s+: ok=\d+ .*failed=0", output, re.M)
        assert _known(tmp_path, [*ids, new_id])
        assert list((tmp_path / "command-tmp").iterdir()) == []


@pytest.mark.root
def test_engine_serves_the_role_s_tls_and_a_certificate_change_rotates_only_it(
    tmp_path: Path,
) -> None:
    """dockerd serves TLS with the certificates the role installed (key 0600, directory
    0700): the docker CLI connects with the client certificate and is refused without.
    After the certificates change, the next run changes only the TLS tasks, restarts
    dockerd once per host, and the engine serves the new certificates; the swarm stays."""
    (tmp_path / "command-tmp").mkdir()
    with (
        ssh_cluster(tmp_path / "c", count=2, tag="dyc", subnet=239) as cluster,
        supervised_dockerds(cluster),
    ):
        first = _evaluate(cluster, tmp_path, TlsMocks(cluster.addresses))
        _ok(run_command(_command(first), tmp_path))
        old_tls = first.outputs["dockerTls"]
        for host in cluster.hosts:
            tls = config_dir(host) / "tls"
            assert stat.S_IMODE(tls.stat().st_mode) == 0o700
            assert stat.S_IMODE((tls / "server-key.pem").stat().st_mode) == 0o600
            _ok(docker_over_tls(host.address, old_tls, tmp_path / "old", "info"))
            anonymous = {"caPem": old_tls["caPem"]}
            refused = docker_over_tls(host.address, anonymous, tmp_path / "anon", "info")
            assert refused.returncode != 0, refused.stdout
        starts = [dockerd_starts(h) for h in cluster.hosts]

        second = _evaluate(cluster, tmp_path, TlsMocks(cluster.addresses))
        before, after = _command(first).inputs, _command(second).inputs
        assert (
            after["environment"]["DOCKYARD_INVENTORY"]
            == (before["environment"]["DOCKYARD_INVENTORY"])
        )
        assert [
            t for t, u in zip(before["triggers"], after["triggers"], strict=True) if t != u
        ] == [before["triggers"][4]]
        rotated = _ok(run_command(_command(second), tmp_path))
        results = _task_results(rotated.stdout)
        changed = {task for task, hosts in results.items() if "changed" in hosts.values()}
        assert changed == TLS_TASKS, rotated.stdout[-6000:]
        for task in TLS_TASKS:
            assert set(results[task]) == set(cluster.addresses)
        recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", rotated.stdout, re.M)
        assert sorted(recap) == sorted((a, str(len(TLS_TASKS))) for a in cluster.addresses)
        assert [dockerd_starts(h) for h in cluster.hosts] == [n + 1 for n in starts]

        new_tls = second.outputs["dockerTls"]
        for host in cluster.hosts:
            info = _ok(
                docker_over_tls(
                    host.address,
                    new_tls,
                    tmp_path / "new",
                    "info",
                    "--format",
                    "{{.Swarm.LocalNodeState}}",
                )
            )
            assert info.stdout.strip() == "active"
            stale = docker_over_tls(host.address, old_tls, tmp_path / "old", "info")
            assert stale.returncode != 0


def _processes_naming(needle: str) -> dict[int, str]:
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if needle in cmdline:
            found[int(proc.name)] = cmdline
    return found


def _children(pid: int) -> list[int]:
    children = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat_line = (proc / "stat").read_text()
            except OSError:
                continue
            if int(stat_line.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(proc.name))
    return children


def test_sigterm_stops_ansible_playbook_and_leaves_no_file(tmp_path: Path) -> None:
    """SIGTERM to run-playbook.sh while the playbook runs (waiting for hosts that never
    answer) stops ansible-playbook and everything it started, and removes every file."""
    command_tmp = tmp_path / "command-tmp"
    command_tmp.mkdir()
    key = tmp_path / "id_ed25519"
    key.write_text("unused: the hosts never answer\n", encoding="utf-8")
    result = evaluate(
        {
            "dockyard:runAnsible": "true",
            "dockyard:sshPrivateKeyPath": str(key),
            "dockyard:knownHostsFile": str(tmp_path / "known_hosts"),
            "dockyard:ansibleExtraVars": {"node_ready_timeout": 300},
        },
        mocks=TlsMocks(["192.0.2.10", "192.0.2.11", "192.0.2.12"]),
    )
    process = start_command(_command(result), tmp_path)
    try:
        deadline = time.monotonic() + 60
        playbooks: dict[int, str] = {}
        while time.monotonic() < deadline and not playbooks:
            playbooks = {
                pid: line
                for pid, line in _processes_naming(str(command_tmp)).items()
                if "ansible-playbook" in line
            }
            time.sleep(0.2)
        assert playbooks, "ansible-playbook did not start"
        time.sleep(2)  # let it reach the hosts' wait
        environ = Path(f"/proc/{min(playbooks)}/environ").read_bytes().split(b"\0")
        controldir = next(
            e.split(b"=", 1)[1].decode()
            for e in environ
            if e.startswith(b"ANSIBLE_SSH_CONTROL_PATH_DIR=")
        )
        assert Path(controldir).is_dir()
        # /bin/sh -c runs `bash ansible/run-playbook.sh` as its child (or execs it)
        [script] = [
            pid
            for pid in [process.pid, *_children(process.pid)]
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"bash\0")
        ]
        os.kill(script, signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            for pid in [process.pid, *_processes_naming(str(command_tmp))]:
                os.kill(pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 128 + signal.SIGTERM, stderr
    assert "stopping ansible-playbook (SIGTERM)" in stderr
    assert _processes_naming(str(command_tmp)) == {}
    assert _processes_naming(controldir) == {}
    assert not Path(controldir).exists()
    assert list(command_tmp.iterdir()) == []
