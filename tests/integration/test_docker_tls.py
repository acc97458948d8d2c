"""A Docker host as the program makes it, for real: its engine serves TLS, our client env works.

The TLS resources are answered by real cryptography (tests/harness/tls_mocks.py), so the
certificates are the ones the program's wiring asks for. The program's Ansible Command
runs against an SSH host in a network namespace; its docker_tls role installs the CA,
the server certificate and key, daemon.json and the systemd drop-in below the host's
directory, and a real dockerd starts from that daemon.json in the namespace
(tests/harness/tls_hosts.py). `dockyard docker-env` turns the stack outputs into the
client's environment, and the real docker CLI connects over TLS; without a client
certificate it is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.command import run_command
from tests.harness.pulumi_program import evaluate
from tests.harness.sshhosts import ssh_cluster
from tests.harness.tls_hosts import ansible_config, config_dir, supervised_dockerds
from tests.harness.tls_mocks import TlsMocks
from tests.harness.tools import REPO, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]


def _docker(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("docker"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_engine_serves_tls_from_the_ansible_run_and_docker_env_connects(tmp_path: Path) -> None:
    """dockerd from the daemon.json the Ansible run installed answers on 2376 only to a
    client with our certificate; the user data carries no TLS material."""
    (tmp_path / "command-tmp").mkdir()
    with (
        ssh_cluster(tmp_path / "c", count=1, tag="dyt2", subnet=236) as cluster,
        supervised_dockerds(cluster),
    ):
        host = cluster.hosts[0]
        result = evaluate(
            ansible_config(cluster, tmp_path / "known_hosts"),
            mocks=TlsMocks([host.address]),
        )
        [instance] = result.of_type("aws:ec2/instance:Instance")
        assert "-----BEGIN" not in instance.inputs["userData"]
        [command] = result.of_type("command:local:Command")
        run = run_command(command, tmp_path)
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
        daemon = json.loads((config_dir(host) / "daemon.json").read_text())
        assert daemon["tlsverify"] is True
        assert "tcp://0.0.0.0:2376" in daemon["hosts"]
        dropin = config_dir(host).parent / "systemd/system/docker.service.d/dockyard.conf"
        assert "ExecStart=/usr/bin/dockerd --containerd" in dropin.read_text()

        cert_dir = tmp_path / "certs"
        proc = subprocess.run(
            [sys.executable, "-m", "dockyard", "docker-env", "--cert-dir", str(cert_dir)],
            input=json.dumps(result.outputs),
            capture_output=True,
            text=True,
            cwd=REPO,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        env = dict(os.environ)
        for line in proc.stdout.splitlines():
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").partition("=")
                env[key] = value.strip("'")
        assert env["DOCKER_HOST"] == f"tcp://{host.address}:2376"
        assert (cert_dir / "key.pem").stat().st_mode & 0o777 == 0o600

        # the role's handler waited for the restarted engine to answer
        info = _docker(env, "info", "--format", "{{.ServerVersion}}")
        assert info.returncode == 0, info.stderr

        anonymous = {k: v for k, v in env.items() if k != "DOCKER_CERT_PATH"}
        anonymous["DOCKER_CERT_PATH"] = str(tmp_path / "no-certs")
        (tmp_path / "no-certs").mkdir()
        (tmp_path / "no-certs" / "ca.pem").write_text((cert_dir / "ca.pem").read_text())
        refused = _docker(anonymous, "--tls", "info")
        assert refused.returncode != 0
