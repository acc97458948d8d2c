"""`dockyard scp` against real sshd hosts in network namespaces, and the ssm ProxyCommand as
ssh itself reads it (`ssh -G`).

scp follows `dockyard ssh`'s host-key rules: the stack's known_hosts file, entries under
the instance id (HostKeyAlias), a new instance accepted on first use, a changed key for
the same instance refused (and nothing copied).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.session import get_session
from botocore.validate import ParamValidator

from dockyard.hosts.machines import SSM_PROXY_COMMAND, Machine, machines, ssh_argv, ssh_settings
from tests.harness.sshhosts import ssh_cluster
from tests.harness.tools import dockyard_fed, require_tool

pytestmark = [pytest.mark.integration]

IDS = ("i-0aaaaaaaaaaaaaaa1", "i-0aaaaaaaaaaaaaaa2")


def _dockyard(document: dict[str, Any], home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return dockyard_fed(document, *args, env={"HOME": str(home)})


def _outputs(addresses: list[str], user: str, key: Path, known_hosts: Path) -> dict[str, Any]:
    hosts = [
        Machine.serving(
            i, f"dy-{i + 1}", "control" if i == 0 else "agent",
            (IDS[i], address, None, "us-east-1a", address), docker_port=2376,
        ).to_output()
        for i, address in enumerate(addresses)
    ]  # fmt: skip
    return {
        "hosts": hosts,
        "ssh": {"user": user, "address": "private", "knownHostsFile": str(known_hosts)},
        "sshPrivateKey": key.read_text(),
    }


@pytest.mark.root
def test_scp_copies_both_ways_with_ssh_host_key_rules(tmp_path: Path) -> None:
    """A file up by name, a directory down by index (-r); the host keys land in the
    stack's known_hosts under the instance ids, shared with dockyard ssh; a changed key for
    an instance is refused and copies nothing; a new instance id is a new host."""
    require_tool("scp")
    home = tmp_path / "home"
    home.mkdir()
    with ssh_cluster(tmp_path / "c", count=2, tag="dyscp", subnet=241) as cluster:
        known_hosts = tmp_path / "stack.known_hosts"
        document = _outputs(cluster.addresses, cluster.user, cluster.private_key, known_hosts)
        local = tmp_path / "app.env"
        local.write_text("A=1\n")
        remote_dir = tmp_path / "remote"
        (remote_dir / "logs").mkdir(parents=True)
        (remote_dir / "logs" / "docker.log").write_text("started\n")

        up = _dockyard(document, home, "scp", str(local), f"dy-2:{remote_dir}/in.env")
        assert up.returncode == 0, up.stderr
        assert (remote_dir / "in.env").read_text() == "A=1\n"
        down = _dockyard(document, home, "scp", "-r", f"0:{remote_dir}/logs", str(tmp_path / "got"))
        assert down.returncode == 0, down.stderr
        assert (tmp_path / "got" / "docker.log").read_text() == "started\n"
        for instance_id in IDS:
            found = subprocess.run(
                [require_tool("ssh-keygen"), "-F", instance_id, "-f", str(known_hosts)],
                capture_output=True,
                check=False,
            )
            assert found.returncode == 0, instance_id
        assert len(known_hosts.read_text().splitlines()) == 2
        same = _dockyard(document, home, "ssh", "dy-2", "true")  # ssh reads what scp wrote
        assert same.returncode == 0, same.stderr
        assert len(known_hosts.read_text().splitlines()) == 2

        swapped = json.loads(json.dumps(document))
        swapped["hosts"][1]["instanceId"] = IDS[0]
        refused = _dockyard(swapped, home, "scp", str(local), f"dy-2:{remote_dir}/no.env")
        assert refused.returncode != 0
        assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in refused.stderr
        assert not (remote_dir / "no.env").exists()

        replaced = json.loads(json.dumps(document))
        replaced["hosts"][1]["instanceId"] = "i-0fffffffffffffff9"
        accepted = _dockyard(replaced, home, "scp", str(local), f"1:{remote_dir}/new.env")
        assert accepted.returncode == 0, accepted.stderr
        assert len(known_hosts.read_text().splitlines()) == 3
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("dockyard-ssh-*/id"))


def test_ssm_proxy_command_as_ssh_reads_it(tmp_path: Path) -> None:
    """With ssm, ssh connects to the instance id through `aws ssm start-session` (the
    AWS-StartSSHSession document on port %p), and host keys stay pinned to the instance id
    in the stack's file; ssh -G prints the settings it would use. The session's
    parameters, with ssh's tokens filled in, pass botocore's model of StartSession."""
    ssh = require_tool("ssh")
    outputs = {
        "hosts": [{"name": "dy-1", "instanceId": IDS[0], "privateIp": "10.0.0.5"}],
        "ssh": {"user": "ubuntu", "knownHostsFile": str(tmp_path / "kh"), "ssm": True},
    }
    [machine] = machines(outputs)
    settings = ssh_settings(outputs, user=None, address=None, known_hosts=None)
    argv = ssh_argv(machine, settings, tmp_path / "id", [])
    shown = subprocess.run(
        [ssh, "-G", *argv[1:]], capture_output=True, text=True, timeout=10, check=True
    ).stdout
    config = dict(line.split(" ", 1) for line in shown.splitlines() if " " in line)
    assert config["proxycommand"] == SSM_PROXY_COMMAND
    assert (config["hostname"], config["hostkeyalias"]) == (IDS[0], IDS[0])
    assert config["userknownhostsfile"] == str(tmp_path / "kh")
    assert config["stricthostkeychecking"] == "accept-new"
    assert (config["user"], config["port"]) == ("ubuntu", "22")
    words = config["proxycommand"].replace("%h", IDS[0]).replace("%p", config["port"]).split()
    assert words[:3] == ["aws", "ssm", "start-session"]
    options = dict(zip(words[3::2], words[4::2], strict=True))
    key, value = options["--parameters"].split("=")
    params = {
        "Target": options["--target"],
        "DocumentName": options["--document-name"],
        "Parameters": {key: [value]},
    }
    shape = get_session().get_service_model("ssm").operation_model("StartSession").input_shape
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()
    off = ssh_argv(machine, ssh_settings(outputs, user=None, address=None, known_hosts=None,
                                         ssm=False), tmp_path / "id", [])  # fmt: skip
    assert not any("ProxyCommand" in word for word in off) and off[-1] == "10.0.0.5"
