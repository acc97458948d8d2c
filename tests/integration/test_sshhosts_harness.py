"""The SSH-hosts harness itself: real sshd in namespaces, reachable with the test key."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.harness.sshhosts import ssh_cluster
from tests.harness.tools import require_tool


@pytest.mark.integration
@pytest.mark.root
def test_each_host_answers_over_ssh(tmp_path: Path) -> None:
    """ssh with the cluster key reaches every namespace host and runs in its own netns."""
    ssh = require_tool("ssh")
    with ssh_cluster(tmp_path / "c", count=2, tag="dyt", subnet=232) as cluster:
        for host in cluster.hosts:
            proc = subprocess.run(
                [
                    ssh,
                    "-i",
                    str(cluster.private_key),
                    "-o",
                    "StrictHostKeyChecking=accept-new",
                    "-o",
                    f"UserKnownHostsFile={tmp_path / 'known_hosts'}",
                    "-o",
                    "BatchMode=yes",
                    f"root@{host.address}",
                    "ip -4 -o addr show",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
            assert host.address in proc.stdout
            others = [h.address for h in cluster.hosts if h is not host]
            assert not any(o in proc.stdout for o in others)
