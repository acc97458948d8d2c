"""hostQos for real: the program's Command runs the traffic_qos role over SSH against two
hosts in network namespaces, and iperf3 (Debian's) measures between them.

As in the original workflow's Floodlight experiment: a 2 Mbit/s rule on the traffic from
one host to the other, the limited direction measured at ~2 Mbit/s, the opposite one
unchanged; then a second run changes nothing and taking the rule out restores the
unshaped rate.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.harness.command import run_command
from tests.harness.pulumi_program import Evaluation, RecordingMocks, evaluate
from tests.harness.sshhosts import SshCluster, SshHost, ssh_cluster
from tests.harness.tools import VENV_BIN, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]

RATE = 2_000_000
HOST = "{{ inventory_hostname }}"
TAG = "dyqos"
"""Names the namespaces, veths (<tag>v<n>a outside, <tag>v<n>b inside) and bridge."""


def _extra_vars(cluster: SshCluster) -> dict[str, Any]:
    """Per-host paths (the namespaces share this machine's filesystem), root login, the
    harness's dockerd (as tests/integration/test_ansible_run.py), no systemd."""
    per_host = f"{cluster.workdir}/hosts/{HOST}"
    socket = f"{cluster.docker_dir}/{HOST}/docker.sock"
    return {
        "ansible_become": False,
        "ansible_python_interpreter": "/usr/bin/python3",
        "node_ready_wait_for_cloud_init": False,
        "node_ready_timeout": 30,
        "flocker_agent_config_dir": f"{per_host}/etc/flocker",
        "docker_tls_config_dir": f"{per_host}/etc/docker",
        "docker_tls_systemd_dir": f"{per_host}/etc/systemd",
        "docker_tls_socket": socket,
        "docker_tls_restart_command": ["true"],
        "docker_swarm_docker_host": f"unix://{socket}",
        "traffic_qos_dir": f"{per_host}/etc/dockyard/traffic-qos",
        "traffic_qos_systemd_dir": f"{per_host}/etc/systemd",
        "traffic_qos_systemd_enable": False,
    }


def _evaluate(cluster: SshCluster, tmp: Path, rules: dict[str, Any]) -> Evaluation:
    return evaluate(
        {
            "dockyard:hostCount": str(len(cluster.hosts)),
            "dockyard:runAnsible": "true",
            "dockyard:sshPrivateKeyPath": str(cluster.private_key),
            "dockyard:knownHostsFile": str(tmp / "known_hosts"),
            "dockyard:ansibleUser": cluster.user,
            "dockyard:ansibleExtraVars": _extra_vars(cluster),
            "dockyard:hostQos": rules,
        },
        mocks=RecordingMocks(public_ips=cluster.addresses, private_ips=cluster.addresses),
    )


def _run(result: Evaluation, tmp: Path) -> dict[str, int]:
    """Run the Command; returns changed= per host from the recap."""
    [command] = result.of_type("command:local:Command")
    proc = run_command(command, tmp)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.MULTILINE)
    return {host: int(changed) for host, changed in recap}


def _iperf3(client: SshHost, server: SshHost, seconds: int = 6) -> float:
    """Bits per second the server received from the client (TCP, iperf3 -J), measured
    after the first second (slow start and HTB's initial burst left out)."""
    iperf3 = require_tool("iperf3")
    listener = subprocess.Popen(
        ["ip", "netns", "exec", server.namespace, iperf3, "-s", "-1", "-B", server.address],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            proc = subprocess.run(
                [
                    *("ip", "netns", "exec", client.namespace, iperf3, "-J"),
                    *("-c", server.address, "-B", client.address, "-t", str(seconds), "-O", "1"),
                ],
                capture_output=True,
                text=True,
                timeout=seconds + 30,
                check=False,
            )
            # iperf3 -J exits 0 with {"error": ...} when it could not connect
            report = json.loads(proc.stdout) if proc.stdout.strip() else {}
            if (proc.returncode == 0 and "error" not in report) or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # the server was not listening yet
        assert proc.returncode == 0 and "error" not in report, proc.stdout[-2000:] + proc.stderr
        return float(report["end"]["sum_received"]["bits_per_second"])
    finally:
        listener.kill()
        listener.wait(10)


def _dockyard_qos(cluster: SshCluster, result: Evaluation, host: SshHost) -> str:
    """`dockyard qos N` on the stack's outputs, as a user runs it (the role's directory
    is below the host's own, as the namespaces share this machine's filesystem)."""
    index = cluster.hosts.index(host)
    name = result.outputs["hosts"][index]["name"]
    proc = subprocess.run(
        [
            str(VENV_BIN / "dockyard"),
            *("qos", name, "--identity", str(cluster.private_key)),
            *("--rules-dir", str(host.root / "etc" / "dockyard" / "traffic-qos")),
        ],
        input=json.dumps(result.outputs),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _mbit(bits: float) -> str:
    return f"{bits / 1e6:.2f} Mbit/s"


@pytest.mark.parametrize("direction", ["egress", "ingress"])
def test_a_rule_limits_one_direction_and_goes_when_taken_out(
    tmp_path: Path, direction: str
) -> None:
    """A 2 Mbit/s rule on what host 1 sends to host 2's 5201/tcp, shaped where host 1 sends
    it (egress: an HTB class on its interface) or where host 2 receives it (ingress: its
    ifb device): host 1 -> 2 measures within 10% of 2 Mbit/s, host 2 -> 1 stays unshaped,
    `dockyard qos` shows the class with what went through it; a second run changes
    nothing; without the rule host 1 -> 2 is unshaped again and the role's files are gone."""
    require_tool("ansible-playbook")
    require_tool("tc")
    (tmp_path / "command-tmp").mkdir()
    with ssh_cluster(
        tmp_path / "c", count=2, tag=TAG, subnet=241 if direction == "egress" else 240, docker=True
    ) as cluster:
        one, two = cluster.hosts
        started = time.monotonic()
        before_forward, before_reverse = _iperf3(one, two), _iperf3(two, one)
        print(f"measured in {time.monotonic() - started:.1f}s")
        rules = {
            "limit-one-to-two": {
                "source": f"{one.address}/32",
                # iperf3's port: the data host 1 sends to host 2's server is shaped; the
                # ACKs host 1 sends back from its own server (the reverse measurement)
                # go to host 2's ephemeral port and are not (shaped ACKs would slow it)
                "dest": {"cidr": f"{two.address}/32", "port": 5201, "protocol": "tcp"},
                "rate": "2mbit",
                "direction": direction,
            }
        }
        shaped = _evaluate(cluster, tmp_path, rules)
        first = _run(shaped, tmp_path)
        assert all(first[address] > 0 for address in cluster.addresses), first
        limited, reverse = _iperf3(one, two), _iperf3(two, one)
        print(
            f"\nunshaped: 1->2 {_mbit(before_forward)}, 2->1 {_mbit(before_reverse)}"
            f"\nwith the 2mbit {direction} rule: 1->2 {_mbit(limited)}, 2->1 {_mbit(reverse)}"
        )
        assert abs(limited - RATE) <= 0.10 * RATE, _mbit(limited)
        # unchanged: as fast as before (loosely: this machine runs other tests too), and
        # far above the limit
        assert reverse > 0.5 * before_reverse, (_mbit(reverse), _mbit(before_reverse))
        assert reverse > 50 * RATE

        # the host that shapes: the sender on egress, the receiver (its ifb) on ingress
        shaper, other = (one, two) if direction == "egress" else (two, one)
        device = f"{TAG}v1b" if direction == "egress" else "dyqos0"
        shown = _dockyard_qos(cluster, shaped, shaper)
        print(f"dockyard qos on the shaping host:\n{shown}")
        header, row = shown.splitlines()
        assert header.split()[:6] == ["RULE", "DIRECTION", "DEVICE", "CLASS", "RATE", "SENT"]
        cells = row.split()
        assert cells[:5] == ["limit-one-to-two", direction, device, "1:10", "2mbit"], row
        sent, packets, overlimits = int(cells[5].removesuffix("B")), int(cells[6]), int(cells[8])
        # the limited measurement (6 s at ~2 Mbit/s, after a 1 s ramp) went through it
        assert sent > 6 * RATE / 8 * 0.8 and packets > 0 and overlimits > 0, row
        # the other host has the rule too, with nothing through it
        assert _dockyard_qos(cluster, shaped, other).splitlines()[1].split()[5] == "0B"

        second = _run(shaped, tmp_path)
        assert second == {address: 0 for address in cluster.addresses}, second

        removed = _run(_evaluate(cluster, tmp_path, {}), tmp_path)
        assert all(removed[address] > 0 for address in cluster.addresses), removed
        restored = _iperf3(one, two)
        print(f"rule taken out: 1->2 {_mbit(restored)}")
        assert restored > 0.5 * before_forward, (_mbit(restored), _mbit(before_forward))
        for host in cluster.hosts:
            assert not (host.root / "etc" / "dockyard" / "traffic-qos").exists()
            assert not (host.root / "etc" / "systemd" / "dockyard-traffic-qos.service").exists()
        assert _run(_evaluate(cluster, tmp_path, {}), tmp_path) == {
            address: 0 for address in cluster.addresses
        }
