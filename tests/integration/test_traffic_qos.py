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
import tarfile
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
        "traffic_qos_docker_host": f"unix://{socket}",
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
    return _measure(
        ["ip", "netns", "exec", client.namespace, require_tool("iperf3")],
        server,
        ["-B", client.address],
        seconds,
    )


def _measure(client: list[str], server: SshHost, options: list[str], seconds: int = 6) -> float:
    """Bits per second the iperf3 client (the argv prefix `client`, with `options`)
    measured against an iperf3 server on `server` (with -R: what the server sent)."""
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
                [*client, "-J", "-c", server.address, *options, "-t", str(seconds), "-O", "1"],
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


IMAGE = "dockyard-test/iperf3:local"
SENDER = "qos-sender"
BRIDGE_SUBNET = "172.29.5.0/24"


def _iperf3_image(host: SshHost, tmp: Path) -> None:
    """An image holding only Debian's iperf3 and the libraries ldd names (no registry
    here): `docker import` of a tar made from this machine's files."""
    iperf3 = Path(require_tool("iperf3")).resolve()
    listed = subprocess.run(["ldd", str(iperf3)], capture_output=True, text=True, check=True)
    files = [iperf3, *(Path(p) for p in re.findall(r"(/\S+) \(0x", listed.stdout))]
    tar = tmp / "iperf3.tar"
    with tarfile.open(tar, "w") as archive:
        for file in files:
            archive.add(file.resolve(), arcname=str(file).lstrip("/"))
        info = tarfile.TarInfo("tmp")  # iperf3 makes its stream buffers in /tmp
        info.type, info.mode = tarfile.DIRTYPE, 0o1777
        archive.addfile(info)
    _docker(host, "import", str(tar), IMAGE)


def _docker(host: SshHost, *args: str) -> str:
    proc = subprocess.run(
        ["docker", "-H", f"unix://{host.docker_socket}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"docker {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def _netns(host: SshHost, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", host.namespace, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _start_sender(host: SshHost, address: str) -> None:
    """The container the rule names, at `address` on the Docker network (an iperf3
    server keeps it running; the measurements are `docker exec`s of iperf3 -c)."""
    _docker(host, "rm", "-f", SENDER)
    _docker(
        host,
        *("run", "-d", "--name", SENDER, "--network", "qosnet", "--ip", address),
        *(IMAGE, "/usr/bin/iperf3", "-s"),
    )


def test_a_container_source_is_resolved_on_the_host_and_followed_after_a_restart(
    tmp_path: Path,
) -> None:
    """A 2 Mbit/s rule whose source is a container name, on a Docker host (a namespace host
    with its own dockerd) whose Docker network is masqueraded as Docker does it: what the
    container sends to host 2 measures within 10% of 2 Mbit/s, what host 2 sends to the
    container and what host 1 itself sends to host 2 stay unshaped; a second run changes
    nothing; the container started again at another address is unshaped until the next
    run, which changes host 1 only and shapes it again; without the rule the CLASSIFY
    chain is gone."""
    require_tool("ansible-playbook")
    require_tool("iptables")
    (tmp_path / "command-tmp").mkdir()
    with ssh_cluster(tmp_path / "c", count=2, tag="dyqoc", subnet=239, docker=True) as cluster:
        one, two = cluster.hosts
        _iperf3_image(one, tmp_path)
        _docker(one, "network", "create", "--subnet", BRIDGE_SUBNET, "qosnet")
        # what Docker does with its default --iptables: forward and masquerade the
        # network's traffic leaving the host (the harness's dockerd runs without iptables)
        assert _netns(one, "sysctl", "-qw", "net.ipv4.ip_forward=1").returncode == 0
        masquerade = ["-s", BRIDGE_SUBNET, "-o", "dyqocv1b", "-j", "MASQUERADE"]
        assert (
            _netns(one, "iptables", "-t", "nat", "-A", "POSTROUTING", *masquerade).returncode == 0
        )
        _start_sender(one, "172.29.5.10")
        in_container = ["docker", "-H", f"unix://{one.docker_socket}", "exec", SENDER, "iperf3"]
        rules = {
            "limit-sender": {
                "source": SENDER,
                "dest": {"cidr": f"{two.address}/32", "port": 5201, "protocol": "tcp"},
                "rate": "2mbit",
            }
        }
        shaped = _evaluate(cluster, tmp_path, rules)
        first = _run(shaped, tmp_path)
        assert all(first[address] > 0 for address in cluster.addresses), first
        limited = _measure(in_container, two, [])
        reverse = _measure(in_container, two, ["-R"])
        host_itself = _iperf3(one, two)
        print(
            f"\nwith the 2mbit rule on container {SENDER}: container->2 {_mbit(limited)}, "
            f"2->container {_mbit(reverse)}, host 1->2 {_mbit(host_itself)}"
        )
        assert abs(limited - RATE) <= 0.10 * RATE, _mbit(limited)
        assert reverse > 50 * RATE and host_itself > 50 * RATE, (reverse, host_itself)
        chain = _netns(one, "iptables", "-t", "mangle", "-S", "DOCKYARD-QOS").stdout
        assert "-s 172.29.5.10/32" in chain and "--set-class 0001:0010" in chain, chain
        assert _run(shaped, tmp_path) == {address: 0 for address in cluster.addresses}

        _start_sender(one, "172.29.5.20")  # started again, with another address
        unshaped = _measure(in_container, two, [], seconds=3)
        rerun = _run(shaped, tmp_path)
        assert rerun == {one.address: rerun[one.address], two.address: 0} and rerun[one.address]
        followed = _measure(in_container, two, [])
        print(
            f"container at another address: {_mbit(unshaped)} before the run, "
            f"{_mbit(followed)} after it"
        )
        assert unshaped > 50 * RATE, _mbit(unshaped)
        assert abs(followed - RATE) <= 0.10 * RATE, _mbit(followed)
        chain = _netns(one, "iptables", "-t", "mangle", "-S", "DOCKYARD-QOS").stdout
        assert "-s 172.29.5.20/32" in chain and "172.29.5.10" not in chain, chain

        removed = _run(_evaluate(cluster, tmp_path, {}), tmp_path)
        assert all(removed[address] > 0 for address in cluster.addresses), removed
        assert _netns(one, "iptables", "-t", "mangle", "-S", "DOCKYARD-QOS").returncode != 0
        assert "DOCKYARD-QOS" not in _netns(one, "iptables", "-t", "mangle", "-S").stdout
