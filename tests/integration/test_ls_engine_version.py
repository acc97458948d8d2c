"""`dockyard ls`'s DOCKER column against a real dockerd with TLS, as the program makes it.

The engine is installed by the program's own Ansible Command (docker_tls role) on an SSH
host in a network namespace (tests/harness/tls_hosts.py), with certificates from real
cryptography (tests/harness/tls_mocks.py); ls asks it for its version with the stack's
client certificate and shows what the docker CLI reports. An address where no engine
listens is an error in the row, and hidden certificates are one line on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.harness.command import run_command
from tests.harness.pulumi_program import evaluate
from tests.harness.sshhosts import ssh_cluster
from tests.harness.tls_hosts import ansible_config, supervised_dockerds
from tests.harness.tls_mocks import TlsMocks
from tests.harness.tools import dockyard_fed, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]


def _dockyard(document: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return dockyard_fed(document, *args, env={"AWS_EC2_METADATA_DISABLED": "true"})


def test_ls_shows_each_engines_version_over_tls(tmp_path: Path) -> None:
    """The DOCKER column is the version the engine reports to the docker CLI; an engine that
    does not answer is `unknown` with the reason; no certificate, no column, one line."""
    docker = require_tool("docker")
    (tmp_path / "command-tmp").mkdir()
    with (
        ssh_cluster(tmp_path / "c", count=1, tag="dyls", subnet=242) as cluster,
        supervised_dockerds(cluster),
    ):
        host = cluster.hosts[0]
        result = evaluate(
            ansible_config(cluster, tmp_path / "known_hosts"),
            mocks=TlsMocks([host.address]),
        )
        [command] = result.of_type("command:local:Command")
        run = run_command(command, tmp_path)
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
        document = json.loads(json.dumps(result.outputs))

        certs = tmp_path / "certs"
        certs.mkdir()
        for key, name in (("caPem", "ca.pem"), ("certPem", "cert.pem"), ("keyPem", "key.pem")):
            (certs / name).write_text(document["dockerTls"][key])
        reported = subprocess.run(
            [docker, "--tlsverify", "-H", document["hosts"][0]["dockerHost"],
             "version", "--format", "{{.Server.Version}}"],
            env={**os.environ, "DOCKER_CERT_PATH": str(certs)},
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout.strip()  # fmt: skip
        assert reported

        listed = _dockyard(document, "ls", "--format", "{{.Name}} {{.DockerVersion}}")
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout == f"my-prefix-1 {reported}\n"
        assert listed.stderr == ""

        silent = json.loads(json.dumps(document))
        silent["hosts"][0]["dockerHost"] = f"tcp://{cluster.addresses[0]}:2377"
        down = _dockyard(silent, "ls", "--format", "{{.DockerVersion}}|{{.Error}}")
        assert down.returncode == 0, down.stderr
        version, error = down.stdout.strip().split("|")
        assert version == "unknown"
        assert f"engine at {cluster.addresses[0]}:2377: " in error

        hidden = {**document, "dockerTls": "[secret]"}
        blind = _dockyard(hidden, "ls", "--format", "{{.Name}} {{.DockerVersion}}")
        assert blind.stdout == "my-prefix-1 unknown\n"
        assert blind.stderr == (
            "dockyard: ls: no engine versions (dockerTls is missing or hidden: read the "
            "outputs with --show-secrets)\n"
        )
