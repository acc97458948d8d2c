"""`dockyard ssh`, `ls` and `ip` against real sshd hosts, from the stack's own outputs.

The program is evaluated under mocks whose addresses are sshd hosts in network namespaces;
its outputs (hosts, ssh settings, the generated key) are the document the commands read,
exactly what `pulumi stack output --json --show-secrets` would print. The generated key's
public half goes where the key pair would put it (authorized_keys).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.harness.pulumi_program import RecordingMocks, evaluate
from tests.harness.sshhosts import ssh_cluster
from tests.harness.tools import dockyard_fed, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]


def _dockyard(document: dict[str, Any], home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return dockyard_fed(document, *args, env={"HOME": str(home)})


def test_ssh_ls_ip_from_the_stack_outputs(tmp_path: Path) -> None:
    """ssh runs a command on the host by name or index with the generated key; the host key
    is accepted on first use into the stack's known_hosts under the instance id; a different
    key for the same instance is refused; a new instance at the same address is a new host."""
    require_tool("ssh")
    home = tmp_path / "home"
    home.mkdir()
    with ssh_cluster(tmp_path / "c", count=2, tag="dys", subnet=238) as cluster:
        known_hosts = tmp_path / "stack.known_hosts"
        result = evaluate(
            {
                "dockyard:sshPublicKey": None,
                "dockyard:hostCount": "2",
                "dockyard:publicIp": "false",
                "dockyard:ansibleAddress": "private",
                "dockyard:ansibleUser": cluster.user,
                "dockyard:knownHostsFile": str(known_hosts),
            },
            mocks=RecordingMocks(private_ips=cluster.addresses),
        )
        [key_pair] = result.of_type("aws:ec2/keyPair:KeyPair")
        cluster.authorize(key_pair.inputs["publicKey"])
        document = json.loads(json.dumps(result.outputs))
        ids = [h["instanceId"] for h in document["hosts"]]

        listed = _dockyard(document, home, "ls", "--offline")
        assert listed.returncode == 0, listed.stderr
        rows = [line.split() for line in listed.stdout.splitlines()[1:]]
        assert [(r[0], r[3], r[5]) for r in rows] == [
            ("my-prefix-1", ids[0], cluster.addresses[0]),
            ("my-prefix-2", ids[1], cluster.addresses[1]),
        ]
        ip = _dockyard(document, home, "ip", "my-prefix-2")
        assert ip.stdout == cluster.addresses[1] + "\n", ip.stderr

        for host, address in (("my-prefix-2", cluster.addresses[1]), ("0", cluster.addresses[0])):
            ran = _dockyard(document, home, "ssh", host, "ip", "-4", "-o", "addr", "show")
            assert ran.returncode == 0, ran.stderr
            assert f"inet {address}/24" in ran.stdout  # inside that host's namespace
        assert len(known_hosts.read_text().splitlines()) == 2
        for instance_id in ids:  # (entries may be hashed: HashKnownHosts)
            found = subprocess.run(
                [require_tool("ssh-keygen"), "-F", instance_id, "-f", str(known_hosts)],
                capture_output=True,
                check=False,
            )
            assert found.returncode == 0, instance_id
        # no key file stays behind (it lived in a private temp dir for the session)
        assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("dockyard-ssh-*/id"))

        # host 1 answering with host 0's instance id: a changed key for the same instance
        swapped = json.loads(json.dumps(document))
        swapped["hosts"][1]["instanceId"] = ids[0]
        refused = _dockyard(swapped, home, "ssh", "1", "true")
        assert refused.returncode == 255
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in refused.stderr

        # a replaced instance (new id) at the same address is a new host: accepted
        replaced = json.loads(json.dumps(document))
        replaced["hosts"][1]["instanceId"] = "i-0fffffffffffffff9"
        accepted = _dockyard(replaced, home, "ssh", "1", "true")
        assert accepted.returncode == 0, accepted.stderr
        assert len(known_hosts.read_text().splitlines()) == 3
    assert list(home.iterdir()) == []
