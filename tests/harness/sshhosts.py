"""Real SSH hosts on this machine: network namespaces on a bridge, sshd in each.

Namespaces share the host's filesystem, so every host gets its own directory
(`SshHost.root`) that playbooks under test must write below. Everything made here
(namespaces, bridge, sshd and ssh mux processes, files) is removed on exit.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.tools import require_root, require_tool

SSHD_CONFIG = """\
Port 22
ListenAddress {address}
HostKey {host_key}
AuthorizedKeysFile {authorized_keys}
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
Subsystem sftp internal-sftp
"""


@dataclass
class SshHost:
    namespace: str
    address: str
    root: Path
    process: subprocess.Popen[bytes] | None = None


@dataclass
class SshCluster:
    hosts: list[SshHost]
    bridge: str
    private_key: Path
    public_key: str
    workdir: Path
    user: str = "root"
    _netns: list[str] = field(default_factory=list)

    @property
    def addresses(self) -> list[str]:
        return [h.address for h in self.hosts]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def _wait_port(address: str, port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((address, port), 0.5):
            return
        time.sleep(0.05)
    raise AssertionError(f"sshd on {address}:{port} did not answer within {timeout}s")


def _kill_matching(needle: str) -> None:
    """Kill leftover processes (ssh ControlPersist masters) whose command line names needle."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if needle in cmdline and int(proc.name) != os.getpid():
                os.kill(int(proc.name), signal.SIGTERM)


@contextlib.contextmanager
def ssh_cluster(
    workdir: Path, count: int = 3, *, tag: str = "dy", subnet: int = 231
) -> Iterator[SshCluster]:
    """`count` SSH hosts at 10.<subnet>.0.11.. behind bridge `<tag>br0`.

    `tag` (<= 6 chars) and `subnet` keep concurrent clusters apart.
    """
    require_root()
    require_tool("ip")
    sshd = require_tool("sshd")
    keygen = require_tool("ssh-keygen")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    private_key = workdir / "id_ed25519"
    subprocess.run(
        [keygen, "-q", "-t", "ed25519", "-N", "", "-C", "dockyard-test", "-f", str(private_key)],
        check=True,
    )
    public_key = (workdir / "id_ed25519.pub").read_text(encoding="utf-8").strip()
    authorized = workdir / "authorized_keys"
    authorized.write_text(public_key + "\n", encoding="utf-8")
    bridge = f"{tag}br0"
    cluster = SshCluster(
        hosts=[], bridge=bridge, private_key=private_key, public_key=public_key, workdir=workdir
    )
    try:
        _ip("link", "add", bridge, "type", "bridge")
        _ip("addr", "add", f"10.{subnet}.0.1/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for index in range(1, count + 1):
            ns = f"{tag}h{index}"
            address = f"10.{subnet}.0.{10 + index}"
            _ip("netns", "add", ns)
            cluster._netns.append(ns)
            outer, inner = f"{tag}v{index}a", f"{tag}v{index}b"
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
            _ip("link", "set", inner, "netns", ns)
            _ip("link", "set", outer, "master", bridge, "up")
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", inner)
            _ip("-n", ns, "link", "set", inner, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            host_root = workdir / "hosts" / address
            host_root.mkdir(parents=True)
            host_key = workdir / f"host_key_{index}"
            subprocess.run(
                [keygen, "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True
            )
            config = workdir / f"sshd_config_{index}"
            config.write_text(
                SSHD_CONFIG.format(address=address, host_key=host_key, authorized_keys=authorized),
                encoding="utf-8",
            )
            process = subprocess.Popen(
                ["ip", "netns", "exec", ns, sshd, "-D", "-e", "-f", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=(workdir / f"sshd_{index}.log").open("wb"),
            )
            cluster.hosts.append(SshHost(ns, address, host_root, process))
        for host in cluster.hosts:
            _wait_port(host.address, 22)
        yield cluster
    finally:
        for host in cluster.hosts:
            if host.process is not None:
                host.process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    host.process.wait(5)
        _kill_matching(str(workdir))
        for ns in cluster._netns:
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
        subprocess.run(["ip", "link", "del", bridge], check=False, capture_output=True)
