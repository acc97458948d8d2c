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
import shlex
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.harness.command import command_env
from tests.harness.command import run_command as _run_command
from tests.harness.pulumi_program import RecordingMocks, Resource, evaluate
from tests.harness.sshhosts import SshCluster, ssh_cluster
from tests.harness.tools import REPO, VENV_BIN, require_tool

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

        # agentYml is the control host's; each host's names the host's own zone
        agent_yml = result.outputs["agentYml"]
        assert "example-secret" in agent_yml
        instances = sorted(
            result.of_type("aws:ec2/instance:Instance"), key=lambda i: int(i.name.rsplit("-")[-1])
        )
        assert len({i.outputs["availabilityZone"] for i in instances}) > 1
        for host, instance in zip(cluster.hosts, instances, strict=True):
            path = host.root / "etc" / "flocker" / "agent.yml"
            expected = yaml.safe_load(agent_yml)
            expected["dataset"]["zone"] = instance.outputs["availabilityZone"]
            assert yaml.safe_load(path.read_text(encoding="utf-8")) == expected
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        control_yml = cluster.hosts[0].root / "etc" / "flocker" / "agent.yml"
        assert control_yml.read_text(encoding="utf-8") == agent_yml

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


def _run_on_path(
    command: Resource, tmp: Path, path: str, settings: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """The Command's `create` as run_command runs it, with exactly this PATH."""
    env = {**command_env(command, tmp, **settings), "PATH": path}
    return subprocess.run(
        ["/bin/sh", "-c", command.inputs["create"]],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


_STAND_IN_AWS = """#!{python}
# Stands in for `aws ssm start-session` (the AWS CLI with its session-manager-plugin),
# which needs AWS: it logs its argv and carries ssh's bytes to the host the target names.
import json, os, socket, sys, threading
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
assert args[:2] == ["ssm", "start-session"], args
options = dict(zip(args[2::2], args[3::2], strict=True))
assert options["--document-name"] == "AWS-StartSSHSession", options
port = int(options["--parameters"].removeprefix("portNumber="))
address = json.load(open({hosts!r}))[options["--target"]]
sock = socket.create_connection((address, port), timeout=10)
sock.settimeout(None)
def upstream():
    while data := os.read(0, 65536):
        sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
threading.Thread(target=upstream, daemon=True).start()
while data := sock.recv(65536):
    os.write(1, data)
"""
_PING_PLAYBOOK = """- name: Reach every host
  hosts: nodes
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""


def test_ssm_run_goes_through_the_session_manager_proxy(tmp_path: Path) -> None:
    """ssm on, no public address, no admin CIDR: the Command's inventory names each host by
    its private address with ansible_host = its instance id and the ProxyCommand `dockyard
    ssh` uses (read back by ansible-inventory, then by `ssh -G`); run as-is with a stand-in
    for `aws ssm start-session` on PATH, Ansible reaches every host through it (the ids do
    not resolve: no other way in), host keys pinned under the instance ids; without the
    AWS CLI the run stops before Ansible starts, naming the fix."""
    from dockyard.hosts.machines import SSM_PROXY_COMMAND
    from tests.harness.ansible import groups_and_vars, inventory_list

    require_tool("ansible-playbook")
    ssh = require_tool("ssh")
    (tmp_path / "command-tmp").mkdir()
    with ssh_cluster(tmp_path / "c", count=2, tag="dyssm", subnet=244) as cluster:
        known_hosts = tmp_path / "known_hosts"
        result = evaluate(
            {
                "dockyard:runAnsible": "true",
                "dockyard:ssm": "true",
                "dockyard:publicIp": "false",
                "dockyard:adminCidrs": [],
                "dockyard:ansibleAddress": "private",
                "dockyard:hostCount": 2,
                "dockyard:sshPublicKey": None,
                "dockyard:knownHostsFile": str(known_hosts),
                "dockyard:ansibleUser": cluster.user,
            },
            mocks=RecordingMocks(private_ips=cluster.addresses),
        )
        [command] = result.of_type("command:local:Command")
        [key_pair] = result.of_type("aws:ec2/keyPair:KeyPair")
        cluster.authorize(key_pair.inputs["publicKey"])
        environment = command.inputs["environment"]
        assert environment["DOCKYARD_SSM"] == "1"
        ids = {h["privateIp"]: h["instanceId"] for h in result.outputs["hosts"]}
        assert sorted(ids) == sorted(cluster.addresses)

        inventory = tmp_path / "inventory"
        inventory.write_text(environment["DOCKYARD_INVENTORY"], encoding="utf-8")
        _, hostvars = groups_and_vars(inventory_list(inventory, tmp_path))
        assert sorted(hostvars) == sorted(cluster.addresses)
        for address, hvars in hostvars.items():
            assert hvars["ansible_host"] == ids[address]
            extra = shlex.split(hvars["ansible_ssh_extra_args"])
            proxy = f"ProxyCommand={SSM_PROXY_COMMAND}"
            assert extra == [f"-oHostKeyAlias={ids[address]}", "-o", proxy]
            shown = subprocess.run(
                [ssh, "-G", *extra, "-l", cluster.user, hvars["ansible_host"]],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout
            config = dict(line.split(" ", 1) for line in shown.splitlines() if " " in line)
            assert config["proxycommand"] == SSM_PROXY_COMMAND
            assert config["hostname"] == config["hostkeyalias"] == ids[address]

        bin_dir, log = tmp_path / "bin", tmp_path / "aws.log"
        bin_dir.mkdir()
        targets = tmp_path / "targets.json"
        targets.write_text(json.dumps({v: k for k, v in ids.items()}), encoding="utf-8")
        aws = bin_dir / "aws"
        aws.write_text(
            _STAND_IN_AWS.format(python=sys.executable, log=str(log), hosts=str(targets)),
            encoding="utf-8",
        )
        aws.chmod(0o755)
        playbook = tmp_path / "ping.yml"
        playbook.write_text(_PING_PLAYBOOK, encoding="utf-8")
        settings = {
            "DOCKYARD_PLAYBOOK": str(playbook),
            "DOCKYARD_EXTRA_VARS": json.dumps({"ansible_python_interpreter": "/usr/bin/python3"}),
            "DOCKYARD_SSH_CONTROL_BASE": str(Path(tempfile.mkdtemp(prefix="dys", dir="/tmp"))),
        }
        # the stand-in first: the venv (which command_env puts on PATH) has the real CLI
        ran = _run_on_path(command, tmp_path, f"{bin_dir}:{VENV_BIN}:/usr/bin:/bin", settings)
        assert ran.returncode == 0, ran.stdout[-6000:] + ran.stderr[-3000:]
        recap = re.findall(r"^(\S+)\s+: ok=(\d+) .*unreachable=0\s+failed=0", ran.stdout, re.M)
        assert sorted(recap) == sorted((a, "1") for a in cluster.addresses)
        sessions = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        assert {s[s.index("--target") + 1] for s in sessions} == set(ids.values())
        # pinned under the instance ids (ssh may hash the names: ask ssh-keygen -F)
        assert len(known_hosts.read_text(encoding="utf-8").splitlines()) == len(ids)
        keygen = require_tool("ssh-keygen")
        for instance_id in ids.values():
            found = [keygen, "-F", instance_id, "-f", str(known_hosts)]
            assert subprocess.run(found, capture_output=True, check=False).returncode == 0

        # ansible-playbook on PATH (so the script adds no venv), and no AWS CLI
        only = tmp_path / "ansible-only"
        only.mkdir()
        (only / "ansible-playbook").symlink_to(VENV_BIN / "ansible-playbook")
        stopped = _run_on_path(command, tmp_path, f"{only}:/usr/bin:/bin", settings)
        assert stopped.returncode == 2
        assert "the AWS CLI (aws) is not on PATH" in stopped.stderr
        assert "PLAY" not in stopped.stdout
