"""Docker engines managed the way the docker_tls role expects, on the SSH hosts of
tests/harness/sshhosts.py.

On a real host systemd starts dockerd from /etc/docker/daemon.json and the role's
handler restarts it. Here each host gets a supervisor in its network namespace that
starts dockerd from the daemon.json the role wrote below the host's directory (once it
exists) and starts it again whenever it exits; the role's restart command stops it.
`role_vars(cluster)` are the extra variables that point the roles at those per-host
paths.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.harness.sshhosts import SshCluster, SshHost
from tests.harness.tools import require_tool

HOST = "{{ inventory_hostname }}"

# Stop the engine and wait until it is gone (the supervisor starts it again).
RESTART = (
    'p="{pidfile}"; [ -f "$p" ] || exit 0; pid=$(cat "$p"); kill "$pid"; '
    'while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done'
)


def config_dir(host: SshHost) -> Path:
    """Where the role writes daemon.json and tls/ for this host."""
    return host.root / "etc" / "docker"


def role_vars(cluster: SshCluster) -> dict[str, Any]:
    """Extra variables for site.yml against these hosts: per-host paths (the namespaces
    share this machine's filesystem), root login without become, the supervised restart."""
    per_host = f"{cluster.workdir}/hosts/{HOST}"
    socket = f"{cluster.docker_dir}/{HOST}/docker.sock"
    return {
        "ansible_become": False,
        # this machine's PATH has pyenv shims that discovery would pick
        "ansible_python_interpreter": "/usr/bin/python3",
        "node_ready_wait_for_cloud_init": False,
        "node_ready_timeout": 30,
        "flocker_agent_config_dir": f"{per_host}/etc/flocker",
        "docker_tls_config_dir": f"{per_host}/etc/docker",
        "docker_tls_systemd_dir": f"{per_host}/etc/systemd/system/docker.service.d",
        "docker_tls_socket": socket,
        "docker_tls_restart_command": [
            "sh",
            "-c",
            RESTART.format(pidfile=f"{per_host}/docker/docker.pid"),
        ],
        "docker_tls_restart_timeout": 90,
        "docker_swarm_docker_host": f"unix://{socket}",
    }


def ansible_config(
    cluster: SshCluster, known_hosts: Path, extra_vars: dict[str, Any] | None = None
) -> dict[str, str | dict[str, Any]]:
    """Stack config whose Ansible Command configures these hosts with the stack's key and
    `known_hosts` (extra variables: `role_vars(cluster)` unless given)."""
    return {
        "dockyard:hostCount": str(len(cluster.hosts)),
        "dockyard:runAnsible": "true",
        "dockyard:sshPrivateKeyPath": str(cluster.private_key),
        "dockyard:knownHostsFile": str(known_hosts),
        "dockyard:ansibleUser": cluster.user,
        "dockyard:ansibleExtraVars": role_vars(cluster) if extra_vars is None else extra_vars,
    }


def _supervisor(host: SshHost) -> str:
    dockerd = require_tool("dockerd")
    state = host.root / "docker"
    daemon_json = config_dir(host) / "daemon.json"
    command = " ".join(
        shlex.quote(part)
        for part in (
            dockerd,
            "--config-file",
            str(daemon_json),
            "--data-root",
            str(state / "data"),
            "--exec-root",
            str(host.docker_dir / "x"),
            "--pidfile",
            str(state / "docker.pid"),
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "--ip-masq=false",
            "--default-ulimit",
            "nofile=20000:20000",
        )
    )
    log = shlex.quote(str(state / "dockerd.log"))
    return (
        f"while :; do if [ -f {shlex.quote(str(daemon_json))} ]; then "
        f"echo starting >>{log}; {command} >>{log} 2>&1; fi; sleep 0.2; done"
    )


@contextlib.contextmanager
def supervised_dockerds(cluster: SshCluster) -> Iterator[None]:
    """A supervised dockerd per host (see the module docstring), all stopped on exit."""
    require_tool("docker")
    groups: list[int] = []
    try:
        for host in cluster.hosts:
            (host.root / "docker").mkdir(exist_ok=True)
            host.docker_dir.mkdir(parents=True, exist_ok=True)
            process = subprocess.Popen(
                [
                    require_tool("nsenter"),
                    f"--net=/run/netns/{host.namespace}",
                    "bash",
                    "-c",
                    _supervisor(host),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            groups.append(process.pid)
        yield
    finally:
        for group in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for group in groups:
            while time.monotonic() < deadline:
                try:
                    os.killpg(group, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)


def dockerd_starts(host: SshHost) -> int:
    """How many times the supervisor has started this host's dockerd."""
    log = host.root / "docker" / "dockerd.log"
    if not log.exists():
        return 0
    return log.read_text(errors="replace").splitlines().count("starting")


def docker_over_tls(
    address: str, pems: dict[str, str], workdir: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """The docker CLI against address:2376 over TLS with the given caPem/certPem/keyPem
    (the dockerTls output's shape; a missing certPem/keyPem means no client certificate)."""
    workdir.mkdir(parents=True, exist_ok=True)
    flags = ["--tls"]
    for key, flag in (("caPem", "--tlscacert"), ("certPem", "--tlscert"), ("keyPem", "--tlskey")):
        if key in pems:
            path = workdir / f"{key}.pem"
            path.write_text(pems[key], encoding="utf-8")
            path.chmod(0o600)
            flags += [flag, str(path)]
    if "caPem" in pems:
        flags[0] = "--tlsverify"
    return subprocess.run(
        [require_tool("docker"), "-H", f"tcp://{address}:2376", *flags, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "DOCKER_CONFIG": str(workdir)},
    )
