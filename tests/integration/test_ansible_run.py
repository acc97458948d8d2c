"""The Command the program carries, executed as-is against real SSH hosts.

The program is evaluated under mocks whose Elastic IPs are the addresses of sshd
hosts in network namespaces; the recorded Command's argv and environment are then
run exactly as pulumi-command's local provider would (`/bin/sh -c CREATE` in the
project directory). Each host also runs its own dockerd, so the swarm role runs
for real.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.harness.command import run_command as _run_command
from tests.harness.pulumi_program import RecordingMocks, evaluate
from tests.harness.sshhosts import SshCluster, ssh_cluster
from tests.harness.tools import require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]


def _docker(cluster: SshCluster, index: int, *args: str) -> str:
    socket = cluster.hosts[index].docker_socket
    return subprocess.run(
        [require_tool("docker"), "-H", f"unix://{socket}", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def test_playbook_command_against_three_hosts(tmp_path: Path) -> None:
    """With the stack's generated key (no key file anywhere): agent.yml lands 0600 on each
    agent, the swarm forms, temp files (the key among them) go, reruns change nothing."""
    require_tool("ansible-playbook")
    (tmp_path / "command-tmp").mkdir()
    with ssh_cluster(tmp_path / "c", count=3, tag="dyr", subnet=233, docker=True) as cluster:
        per_host = f"{cluster.workdir}/hosts/{{{{ inventory_hostname }}}}"
        socket = f"{cluster.docker_dir}/{{{{ inventory_hostname }}}}/docker.sock"
        known_hosts = tmp_path / "known_hosts"
        result = evaluate(
            {
                "dockyard:runAnsible": "true",
                "dockyard:sshPublicKey": None,
                "dockyard:knownHostsFile": str(known_hosts),
                "dockyard:ansibleUser": cluster.user,
                "dockyard:flockerAccessKeyId": "AKIAEXAMPLE",
                "dockyard:flockerSecretAccessKey": "example-secret",
                "dockyard:ansibleExtraVars": {
                    # the namespaces share this machine's filesystem and root login
                    "ansible_become": False,
                    # this machine's PATH has pyenv shims that discovery would pick
                    "ansible_python_interpreter": "/usr/bin/python3",
                    "node_ready_wait_for_cloud_init": False,
                    "node_ready_timeout": 30,
                    "flocker_agent_config_dir": f"{per_host}/etc/flocker",
                    # this test's dockerd is the harness's (no daemon.json): the TLS
                    # files go below the host's directory and no restart is needed
                    # (tests/integration/test_ansible_day2.py runs them for real)
                    "docker_tls_config_dir": f"{per_host}/etc/docker",
                    "docker_tls_systemd_dir": f"{per_host}/etc/systemd",
                    "docker_tls_socket": socket,
                    "docker_tls_restart_command": ["true"],
                    "docker_swarm_docker_host": f"unix://{socket}",
                },
            },
            secret_keys=["dockyard:flockerAccessKeyId", "dockyard:flockerSecretAccessKey"],
            mocks=RecordingMocks(public_ips=cluster.addresses, private_ips=cluster.addresses),
        )
        [command] = result.of_type("command:local:Command")
        assert "example-secret" not in command.inputs["create"]
        # the instances get the generated key's public half through the key pair
        [key_pair] = result.of_type("aws:ec2/keyPair:KeyPair")
        cluster.authorize(key_pair.inputs["publicKey"])
        environment = command.inputs["environment"]
        assert "DOCKYARD_PRIVATE_KEY" not in environment
        assert environment["DOCKYARD_PRIVATE_KEY_TEXT"] == result.outputs["sshPrivateKey"]

        # this test's runs keep their ssh control sockets apart, so only their masters count
        control = Path(tempfile.mkdtemp(prefix="dyt", dir="/tmp"))
        first = _run_command(command, tmp_path, DOCKYARD_SSH_CONTROL_BASE=str(control))
        assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:]

        agent_yml = result.outputs["agentYml"]
        assert "example-secret" in agent_yml
        for host in cluster.hosts:
            path = host.root / "etc" / "flocker" / "agent.yml"
            assert path.read_text(encoding="utf-8") == agent_yml
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

        # the key, inventory, agent.yml and extra vars were written to a temp dir and removed
        assert list((tmp_path / "command-tmp").iterdir()) == []
        # host keys were accepted on first use into the per-stack file, not ignored
        known = known_hosts.read_text(encoding="utf-8").splitlines()
        assert len(known) == 3

        states = {
            _docker(cluster, i, "info", "--format", "{{.Swarm.LocalNodeState}}").strip()
            for i in range(3)
        }
        assert states == {"active"}
        nodes = _docker(cluster, 0, "node", "ls", "--format", "{{.Status}} {{.ManagerStatus}}")
        assert sorted(nodes.split("\n")[:-1]) == ["Ready ", "Ready ", "Ready Leader"]

        second = _run_command(command, tmp_path, DOCKYARD_SSH_CONTROL_BASE=str(control))
        assert second.returncode == 0, second.stdout[-6000:]
        recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", second.stdout, re.MULTILINE)
        assert sorted(h for h, _ in recap) == sorted(cluster.addresses)
        assert {changed for _, changed in recap} == {"0"}

        # ssh's ControlPersist masters end with the run instead of idling on
        assert _mux_masters(control) == []

        # a failed run keeps ansible-playbook's exit status (2: a host failed; here it
        # never answered node_ready's wait for a connection)
        unreachable = f"{cluster.addresses[0]}0"
        extra_vars = {**json.loads(environment["DOCKYARD_EXTRA_VARS"]), "node_ready_timeout": 3}
        failed = _run_command(
            command,
            tmp_path,
            DOCKYARD_INVENTORY=environment["DOCKYARD_INVENTORY"].replace(
                cluster.addresses[0], unreachable
            ),
            DOCKYARD_EXTRA_VARS=json.dumps(extra_vars),
            DOCKYARD_SSH_CONTROL_BASE=str(control),
        )
        assert failed.returncode == 2, failed.stdout[-3000:] + failed.stderr[-3000:]
        assert re.search(rf"^{re.escape(unreachable)}\s+: ok=0 .* failed=1", failed.stdout, re.M)
        assert list((tmp_path / "command-tmp").iterdir()) == []
        assert _mux_masters(control) == []

        # a key path that does not exist on this machine stops the run before Ansible starts
        missing = tmp_path / "no-such-key"
        stopped = _run_command(
            command, tmp_path, DOCKYARD_PRIVATE_KEY_TEXT="", DOCKYARD_PRIVATE_KEY=str(missing)
        )
        assert stopped.returncode == 2
        assert f"dockyard:sshPrivateKeyPath: {missing} does not exist" in stopped.stderr
        assert "PLAY" not in stopped.stdout
        assert list((tmp_path / "command-tmp").iterdir()) == []


def _mux_masters(base: Path) -> list[str]:
    """Command lines of ssh ControlPersist masters whose control directory run-playbook.sh
    made under `base` (DOCKYARD_SSH_CONTROL_BASE)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if f"{base}/dyssh." in cmdline and "[mux]" in cmdline:
            found.append(cmdline)
    return found
