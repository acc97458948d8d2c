"""Real SSH hosts on this machine: network namespaces on a bridge, sshd in each.

Namespaces share the host's filesystem, so every host gets its own directory
(`SshHost.root`) that playbooks under test must write below. Everything made here
(namespaces, bridge, sshd and ssh mux processes, files) is removed on exit.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
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
    docker_dir: Path
    """Short path (unix sockets allow ~100 chars) for dockerd's exec root and socket."""
    process: subprocess.Popen[bytes] | None = None
    dockerd: subprocess.Popen[bytes] | None = None

    @property
    def docker_socket(self) -> Path:
        return self.docker_dir / "docker.sock"


@dataclass
class SshCluster:
    hosts: list[SshHost]
    bridge: str
    private_key: Path
    public_key: str
    workdir: Path
    docker_dir: Path
    """Holds <address>/docker.sock for each host when dockerd runs."""
    user: str = "root"
    _netns: list[str] = field(default_factory=list)

    @property
    def addresses(self) -> list[str]:
        return [h.address for h in self.hosts]

    def authorize(self, public_key: str) -> None:
        """Let `public_key` log in too (as a key pair on the instances would)."""
        with (self.workdir / "authorized_keys").open("a", encoding="utf-8") as keys:
            keys.write(public_key.strip() + "\n")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


SHELL_STARTUP_FILES = (".bashrc", ".profile", ".bash_profile", ".bash_login")
"""What bash reads in the login's home when sshd runs a command (Debian's bash reads
.bashrc for ssh commands too)."""


def _clean_shell(workdir: Path) -> list[str]:
    """The argv prefix that starts sshd with this machine's root shell startup files
    masked by an empty one, in the mount namespace `ip netns exec` makes for it: the hosts
    are fresh machines, and the machine's own (a pyenv init whose rehash lock a killed
    shell left behind made every login wait, then time out) are not theirs."""
    empty = workdir / "empty-startup-file"
    empty.write_text("", encoding="utf-8")
    home = Path("~root").expanduser()
    mounts = [
        f"mount --bind {shlex.quote(str(empty))} {shlex.quote(str(home / name))}"
        for name in SHELL_STARTUP_FILES
        if (home / name).is_file()
    ]
    return ["sh", "-c", " && ".join([*mounts, 'exec "$@"']), "clean-shell"]


def _wait_port(address: str, port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((address, port), 0.5):
            return
        time.sleep(0.05)
    raise AssertionError(f"sshd on {address}:{port} did not answer within {timeout}s")


def _unmount_below(path: Path) -> None:
    """Lazily unmount anything a killed dockerd left mounted below path."""
    mounts = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    points = sorted((line.split()[1] for line in mounts), key=len, reverse=True)
    for point in points:
        if point.startswith(str(path) + "/"):
            subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def _kill_matching(needle: str) -> None:
    """Kill leftover processes (ssh ControlPersist masters) whose command line names needle."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if needle in cmdline and int(proc.name) != os.getpid():
                os.kill(int(proc.name), signal.SIGTERM)


def _kill_namespace(ns: str) -> None:
    """Kill every process still in namespace `ns`, then delete it. sshd's per-connection
    children outlive the listener; once the veth is gone their client's FIN never
    arrives and they would wait for ever, holding the namespace."""
    listed = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
    for pid in listed.stdout.split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)
    subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


def _start_dockerd(host: SshHost) -> subprocess.Popen[bytes]:
    """dockerd inside the host's namespace (nsenter, not `ip netns exec`: see the notes)."""
    dockerd = require_tool("dockerd")
    require_tool("docker")
    state = host.root / "docker"
    state.mkdir()
    host.docker_dir.mkdir()
    return subprocess.Popen(
        [
            require_tool("nsenter"),
            f"--net=/run/netns/{host.namespace}",
            dockerd,
            "--data-root",
            str(state / "data"),
            "--exec-root",
            str(host.docker_dir / "x"),
            "--pidfile",
            str(state / "docker.pid"),
            "-H",
            f"unix://{host.docker_socket}",
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "--ip-masq=false",
            "--default-ulimit",
            "nofile=20000:20000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(state / "dockerd.log").open("wb"),
    )


def _wait_docker(host: SshHost, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and host.dockerd and host.dockerd.poll() is None:
        proc = subprocess.run(
            ["docker", "-H", f"unix://{host.docker_socket}", "info", "--format", "{{.ID}}"],
            capture_output=True,
            check=False,
        )
        if proc.returncode == 0:
            return
        time.sleep(0.2)
    log = (host.root / "docker" / "dockerd.log").read_text(errors="replace")[-2000:]
    raise AssertionError(f"dockerd in {host.namespace} did not start:\n{log}")


@contextlib.contextmanager
def ssh_cluster(
    workdir: Path, count: int = 3, *, tag: str = "dy", subnet: int = 231, docker: bool = False
) -> Iterator[SshCluster]:
    """`count` SSH hosts at 10.<subnet>.0.11.. behind bridge `<tag>br0`.

    `tag` (<= 6 chars) and `subnet` keep concurrent clusters apart. With `docker`, each
    host also runs its own dockerd (Debian's docker.io) on `SshHost.docker_socket`.
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
        hosts=[],
        bridge=bridge,
        private_key=private_key,
        public_key=public_key,
        workdir=workdir,
        docker_dir=Path(tempfile.mkdtemp(prefix=f"{tag}-", dir="/tmp")),
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
                [
                    "ip",
                    "netns",
                    "exec",
                    ns,
                    *_clean_shell(workdir),
                    sshd,
                    "-D",
                    "-e",
                    "-f",
                    str(config),
                ],
                stdout=subprocess.DEVNULL,
                stderr=(workdir / f"sshd_{index}.log").open("wb"),
            )
            cluster.hosts.append(
                SshHost(ns, address, host_root, cluster.docker_dir / address, process)
            )
        for host in cluster.hosts:
            _wait_port(host.address, 22)
        if docker:
            for host in cluster.hosts:
                host.dockerd = _start_dockerd(host)
            for host in cluster.hosts:
                _wait_docker(host)
        yield cluster
    finally:
        for host in cluster.hosts:
            if host.dockerd is not None:
                host.dockerd.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    host.dockerd.wait(20)
            if host.process is not None:
                host.process.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    host.process.wait(5)
        _kill_matching(str(workdir))
        _unmount_below(workdir)
        _unmount_below(cluster.docker_dir)
        for index, ns in enumerate(cluster._netns, start=1):
            _kill_namespace(ns)
            # a namespace lives on while a socket or process still holds it: remove
            # the veth pair explicitly so the next run can reuse the names
            subprocess.run(
                ["ip", "link", "del", f"{tag}v{index}a"], check=False, capture_output=True
            )
        subprocess.run(["ip", "link", "del", bridge], check=False, capture_output=True)
        shutil.rmtree(cluster.docker_dir, ignore_errors=True)
