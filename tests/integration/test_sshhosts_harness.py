"""The SSH-hosts harness itself: real sshd in namespaces, reachable with the test key."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.harness.sshhosts import SshCluster, SshHost, ssh_cluster
from tests.harness.tools import require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]


def _ssh(
    cluster: SshCluster, host: SshHost, command: str, *options: str
) -> subprocess.CompletedProcess[str]:
    """ssh as Ansible would: the cluster key, host keys accepted on first use, no prompts."""
    return subprocess.run(
        [
            require_tool("ssh"),
            "-i",
            str(cluster.private_key),
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            f"UserKnownHostsFile={cluster.workdir / 'known_hosts'}",
            "-o",
            "BatchMode=yes",
            *options,
            f"root@{host.address}",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )


def test_each_host_answers_over_ssh(tmp_path: Path) -> None:
    """ssh with the cluster key reaches every namespace host and runs in its own netns."""
    with ssh_cluster(tmp_path / "c", count=2, tag="dyt", subnet=232) as cluster:
        for host in cluster.hosts:
            proc = _ssh(cluster, host, "ip -4 -o addr show")
            assert host.address in proc.stdout
            others = [h.address for h in cluster.hosts if h is not host]
            assert not any(o in proc.stdout for o in others)


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for this container's init to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_leaving_the_cluster_leaves_no_process_behind(tmp_path: Path) -> None:
    """A connection still open at teardown (as Ansible's ControlPersist leaves one) must not
    leave sshd's session process waiting in a deleted namespace."""
    with ssh_cluster(tmp_path / "c", count=1, tag="dyk", subnet=237) as cluster:
        (host,) = cluster.hosts
        mux = ("-o", "ControlMaster=auto", "-o", f"ControlPath={cluster.workdir / 'mux'}")
        _ssh(cluster, host, "true", *mux, "-o", "ControlPersist=600")
        listed = subprocess.run(
            ["ip", "netns", "pids", host.namespace], capture_output=True, text=True, check=True
        )
        inside = [int(pid) for pid in listed.stdout.split()]
        assert len(inside) >= 2, "the listener and the open session's sshd"
    left = [pid for pid in inside if _alive(pid)]
    assert left == [], f"processes left from the namespace: {left}"
