"""`ansible-playbook -i inventory/dockyard-inventory` reaches real SSH hosts.

The hosts are sshd processes in network namespaces (tests/harness/sshhosts.py). moto
server holds EC2 instances whose private IPs are those hosts' addresses, plus a
stopped instance at an address where nothing listens: if the wrapper put it in the
inventory the play would fail on an unreachable host.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.ansible import ansible_env
from tests.harness.moto import REGION, MotoServer
from tests.harness.sshhosts import ssh_cluster
from tests.harness.tools import REPO, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]

WRAPPER = REPO / "inventory" / "dockyard-inventory"
SUBNET = 203  # 231-233 are the harness and lead tests; keep clusters apart

PLAYBOOK = """\
- name: Every node answers over SSH from its own namespace
  hosts: nodes
  gather_facts: false
  tasks:
    - name: Read the addresses of the host's network namespace
      ansible.builtin.command: ip -4 -o addr show
      register: dockyard_test_addrs
      changed_when: false
    - name: Record what the inventory said about this host
      ansible.builtin.copy:
        dest: "{{ dockyard_test_root }}/{{ inventory_hostname }}/reached.json"
        mode: "0644"
        content: >-
          {{ {'instance_id': instance_id, 'role': dockyard_role,
              'own_address': inventory_hostname in dockyard_test_addrs.stdout} | to_json }}

- name: The control group holds the one control host
  hosts: flocker_control_service
  gather_facts: false
  tasks:
    - name: Mark the control host
      ansible.builtin.copy:
        dest: "{{ dockyard_test_root }}/{{ inventory_hostname }}/control"
        mode: "0644"
        content: "control\\n"
"""


def test_one_playbook_run_reaches_the_running_instances(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """Wrapper -> moto -> private IPs -> sshd in namespaces: every running host, one control."""
    playbook_bin = require_tool("ansible-playbook")
    with ssh_cluster(tmp_path / "cluster", count=3, tag="i3", subnet=SUBNET) as cluster:
        client = moto_server.client("ec2")
        ami = client.describe_images()["Images"][0]["ImageId"]
        vpc = client.create_vpc(CidrBlock=f"10.{SUBNET}.0.0/16")["Vpc"]["VpcId"]
        subnet = client.create_subnet(VpcId=vpc, CidrBlock=f"10.{SUBNET}.0.0/24")["Subnet"][
            "SubnetId"
        ]
        ids: dict[str, str] = {}
        for index, address in enumerate([*cluster.addresses, f"10.{SUBNET}.0.99"]):
            tags = [{"Key": "Name", "Value": f"my-prefix-{index}"}]
            if index == 2:
                tags.append({"Key": "role", "Value": "control"})
            answer = client.run_instances(
                ImageId=ami,
                MinCount=1,
                MaxCount=1,
                SubnetId=subnet,
                PrivateIpAddress=address,
                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
            )
            ids[address] = answer["Instances"][0]["InstanceId"]
        client.stop_instances(InstanceIds=[ids[f"10.{SUBNET}.0.99"]])

        playbook = tmp_path / "reach.yml"
        playbook.write_text(PLAYBOOK)
        known_hosts = tmp_path / "known_hosts"
        env = {
            **ansible_env(tmp_path),
            **moto_server.env,
            "DOCKYARD_PYTHON": sys.executable,
            "DOCKYARD_REGION": REGION,
            "DOCKYARD_ENDPOINT_URL": moto_server.endpoint,
            "DOCKYARD_ANSIBLE_USER": cluster.user,
            "ANSIBLE_PRIVATE_KEY_FILE": str(cluster.private_key),
            # The namespaces share this machine's filesystem: use Debian's python3, not
            # whatever interpreter discovery finds first on PATH (a pyenv shim here).
            "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
            # Host keys stay checked (as in ansible/ansible.cfg): accepted on first use into
            # a known_hosts of this test; no ControlPersist masters left behind.
            "ANSIBLE_SSH_ARGS": (
                f"-o ControlMaster=no -o StrictHostKeyChecking=accept-new "
                f"-o UserKnownHostsFile={known_hosts}"
            ),
        }
        hosts_root = cluster.workdir / "hosts"
        result = subprocess.run(
            [
                playbook_bin,
                "-i",
                str(WRAPPER),
                str(playbook),
                "-e",
                f"dockyard_test_root={hosts_root}",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=180,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        for host in cluster.hosts:
            reached = json.loads((host.root / "reached.json").read_text())
            assert reached["instance_id"] == ids[host.address]
            assert reached["own_address"] is True
        control = cluster.hosts[2]
        assert json.loads((control.root / "reached.json").read_text())["role"] == "control"
        assert sorted(p.parent.name for p in hosts_root.glob("*/control")) == [control.address]
        recap = _recap(result.stdout)
        assert set(recap) == set(cluster.addresses)
        for address, counts in recap.items():
            assert counts["unreachable"] == 0 and counts["failed"] == 0
            assert counts["ok"] == (3 if address == control.address else 2)


def _recap(stdout: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP lines: host -> {ok, changed, unreachable, failed, ...}."""
    lines = stdout.split("PLAY RECAP")[-1].strip().splitlines()
    recap: dict[str, dict[str, int]] = {}
    for line in lines:
        host, colon, counts = line.partition(":")
        if not colon or "=" not in counts:
            continue  # the `PLAY RECAP ****` rule, blank lines
        pairs = (item.split("=") for item in counts.split())
        recap[host.strip()] = {key: int(value) for key, value in pairs}
    return recap
