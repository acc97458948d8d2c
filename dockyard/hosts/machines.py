"""The Docker hosts of a stack, as `docker-machine ls/ssh/ip` knew them: pure functions over
the stack-outputs document (dockyard/stack_outputs.py reads it).

The `hosts` output lists each host (name, role, instanceId, publicIp, privateIp,
dockerHost, dockerEnv); the `ssh` output says how to log in (user, which address,
the per-stack known_hosts file); `sshPrivateKey` is the generated key (secret). Every
value that reaches a file name, a shell or ssh's command line is checked here first.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.errors import UsageError

HOST_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
"""Host names become directory names (docker-env's default cert dir): no slash, no
leading dot."""
INSTANCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
"""An instance id as ssh and Ansible may be given it (HostKeyAlias): no space, no option."""
USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
NO_HOSTS = (
    "the stack output has no hosts: read `pulumi stack output --json --show-secrets` of a "
    "stack with dockerHosts on"
)


@dataclass(frozen=True)
class Machine:
    """One entry of the `hosts` output: DockerHosts writes it with `to_output`, the
    commands and the Ansible hand-off read it back, checked, with `from_output`."""

    index: int
    name: str
    role: str
    instance_id: str
    public_ip: str | None
    private_ip: str | None
    docker_host: str
    docker_env: dict[str, str] = field(default_factory=dict)
    availability_zone: str | None = None

    @classmethod
    def serving(
        cls,
        index: int,
        name: str,
        role: str,
        values: Sequence[Any],
        *,
        docker_port: int,
    ) -> Machine:
        """A new host's entry: `values` are its instance id, private IP, public IP (or
        None), zone, and the address clients reach its engine at."""
        instance_id, private_ip, public_ip, zone, address = values
        docker_host = f"tcp://{address}:{docker_port}"
        return cls(
            index=index,
            name=name,
            role=role,
            instance_id=instance_id,
            public_ip=public_ip,
            private_ip=private_ip,
            docker_host=docker_host,
            # what `docker-machine env` printed; the certificates are the dockerTls output
            docker_env={
                "DOCKER_HOST": docker_host,
                "DOCKER_TLS_VERIFY": "1",
                "DOCKER_MACHINE_NAME": name,
            },
            availability_zone=zone,
        )

    def to_output(self) -> dict[str, Any]:
        """The entry as the `hosts` stack output holds it (docs/outputs.md)."""
        return {
            "name": self.name,
            "role": self.role,
            "instanceId": self.instance_id,
            "privateIp": self.private_ip,
            "publicIp": self.public_ip,
            "availabilityZone": self.availability_zone,
            "dockerHost": self.docker_host,
            "dockerEnv": dict(self.docker_env),
        }

    @classmethod
    def from_output(cls, entry: Any, index: int) -> Machine:
        """hosts[index] of a stack output, each value checked; UsageError naming the first
        problem."""
        where = f"hosts[{index}]"
        if not isinstance(entry, dict):
            raise UsageError(f"{where} is not an object")
        name = _text(entry, "name", where, required=True)
        assert name is not None
        if not HOST_NAME.fullmatch(name):
            raise UsageError(
                f"{where}'s name {name[:60]!r} is not a host name (letters, digits, . _ -)"
            )
        instance_id = _text(entry, "instanceId", where, required=False) or ""
        if instance_id and not INSTANCE_ID.fullmatch(instance_id):
            raise UsageError(f"{where}'s instanceId {instance_id[:60]!r} is not an instance id")
        return cls(
            index=index,
            name=name,
            role=_text(entry, "role", where, required=False) or "",
            instance_id=instance_id,
            public_ip=_ip(entry, "publicIp", where),
            private_ip=_ip(entry, "privateIp", where),
            docker_host=_text(entry, "dockerHost", where, required=False) or "",
            docker_env=_env(entry, where),
            availability_zone=_text(entry, "availabilityZone", where, required=False),
        )

    def address(self, kind: str = "public") -> str:
        """The address to reach it at: `public` (when it has one, else private) or
        `private`."""
        address = self.public_ip if kind == "public" else None
        address = address or self.private_ip
        if address is None:
            raise UsageError(f"host {self.name} has no {kind} address in the stack output")
        return address


def _text(entry: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise UsageError(f"{where} has no {key} string")
    return value


def _ip(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    value = _text(entry, key, where, required=False)
    if value is None:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise UsageError(f"{where}'s {key} {value[:60]!r} is not an IP address") from None


def _env(entry: Mapping[str, Any], where: str) -> dict[str, str]:
    env = entry.get("dockerEnv")
    if env is None:
        return {}
    if not isinstance(env, dict):
        raise UsageError(f"{where}'s dockerEnv is not an object")
    checked: dict[str, str] = {}
    for key, value in env.items():
        if not ENV_NAME.fullmatch(key):
            raise UsageError(
                f"{where}'s dockerEnv has the name {key[:60]!r}: names are A-Z, 0-9 and _"
            )
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise UsageError(f"{where}'s dockerEnv {key} is not a string")
        checked[key] = str(value)
    return checked


def machines(outputs: Mapping[str, Any]) -> list[Machine]:
    """The hosts of the `hosts` output, each checked; UsageError naming the first problem."""
    hosts = outputs.get("hosts")
    if not isinstance(hosts, list) or not hosts:
        raise UsageError(NO_HOSTS)
    return [Machine.from_output(entry, index) for index, entry in enumerate(hosts)]


def select(found: Sequence[Machine], host: str | None) -> Machine:
    """The host named `host` (its name or index), else the control host (else the first)."""
    if host is None:
        return next((m for m in found if m.role == "control"), found[0])
    for machine in found:
        if host in (machine.name, str(machine.index)):
            return machine
    names = ", ".join(m.name for m in found)
    raise UsageError(f"no host {host[:60]!r} in the stack: pick one of {names} (or an index)")


def pick(found: Sequence[Machine], hosts: Sequence[str], *, every: bool) -> list[Machine]:
    """The hosts named (names or indexes, each once, in the stack's order), or all of them
    with `every`; UsageError for none of either, both, or a name not in the stack."""
    if every and hosts:
        raise UsageError("name hosts or give --all, not both")
    if every:
        return list(found)
    if not hosts:
        raise UsageError("name the hosts (names or indexes), or give --all for every host")
    wanted = {select(found, host).index for host in hosts}
    return [m for m in found if m.index in wanted]


SSM_PROXY_COMMAND = (
    "aws ssm start-session --target %h --document-name AWS-StartSSHSession "
    "--parameters portNumber=%p"
)
"""ssh through Session Manager (the AWS CLI and its session-manager-plugin): ssh is given
the instance id as the host, which `%h` passes to the proxy; `%p` is port 22."""
SSM_PROXY_OPTION = f"ProxyCommand={SSM_PROXY_COMMAND}"
"""The ssh option (`-o` value) that goes through Session Manager: `dockyard ssh`/`scp` and
the Ansible run's inventory (ansible_ssh_extra_args) use this one."""


@dataclass(frozen=True)
class SshSettings:
    """How to log in to the hosts: the `ssh` output, overridden by flags."""

    user: str
    address: str
    """`public` or `private`."""
    known_hosts_file: Path
    ssm: bool = False
    """Through Session Manager (SSM_PROXY_COMMAND) instead of to an address."""


def ssh_settings(
    outputs: Mapping[str, Any],
    *,
    user: str | None,
    address: str | None,
    known_hosts: str | None,
    ssm: bool | None = None,
) -> SshSettings:
    """The `ssh` output's user, address kind, known_hosts file and ssm switch; a flag wins
    over it."""
    given = outputs.get("ssh")
    settings: Mapping[str, Any] = given if isinstance(given, dict) else {}
    user = user or settings.get("user")
    address = address or settings.get("address") or "public"
    known_hosts = known_hosts or settings.get("knownHostsFile")
    through_ssm = settings.get("ssm", False) if ssm is None else ssm
    if not isinstance(user, str) or not USER.fullmatch(user):
        raise UsageError(
            "the stack output has no usable ssh.user: pass --user (the AMI's login, e.g. ubuntu)"
        )
    if address not in ("public", "private"):
        raise UsageError(f"ssh.address is {str(address)[:20]!r}, not public or private")
    if not isinstance(through_ssm, bool):
        raise UsageError(f"ssh.ssm is {str(through_ssm)[:20]!r}, not true or false")
    if not isinstance(known_hosts, str) or not known_hosts:
        raise UsageError(
            "the stack output has no ssh.knownHostsFile: pass --known-hosts PATH (the stack's "
            "known_hosts file, e.g. ~/.ssh/dockyard-STACK.known_hosts)"
        )
    path = Path(known_hosts).expanduser()
    if any(c in str(path) for c in '"%'):
        # ssh splits the option on whitespace (quoted here) and expands % tokens in it
        raise UsageError(f"the known_hosts path {str(path)[:80]!r} holds a quote or a %")
    return SshSettings(user, address, path, through_ssm)


def private_key(outputs: Mapping[str, Any]) -> str:
    """The stack's generated key (the `sshPrivateKey` output)."""
    key = outputs.get("sshPrivateKey")
    if key is None:
        raise UsageError(
            "the stack output has no sshPrivateKey (the stack logs in with your own key "
            "pair): pass --identity PATH"
        )
    if not isinstance(key, str) or "PRIVATE KEY-----" not in key:
        raise UsageError(
            "sshPrivateKey is hidden or not a key: read the outputs with --show-secrets, or "
            "pass --identity PATH"
        )
    return key if key.endswith("\n") else key + "\n"


def ssh_options(machine: Machine, settings: SshSettings, identity: Path) -> list[str]:
    """The options ssh and scp share: the key alone, host keys checked against the
    per-stack file under the instance id (a new instance is a new host; a changed key for
    the same instance is refused), and with ssm the Session Manager proxy."""
    if not machine.instance_id:
        raise UsageError(f"host {machine.name} has no instanceId in the stack output")
    options = [
        "-i",
        str(identity),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        f"HostKeyAlias={machine.instance_id}",
        "-o",
        f'UserKnownHostsFile="{settings.known_hosts_file}"',
        "-o",
        "StrictHostKeyChecking=accept-new",
    ]
    if settings.ssm:
        options += ["-o", SSM_PROXY_OPTION]
    return options


def destination(machine: Machine, settings: SshSettings) -> str:
    """What ssh connects to: the address, or with ssm the instance id (the proxy's %h)."""
    if settings.ssm:
        if not machine.instance_id:
            raise UsageError(f"host {machine.name} has no instanceId in the stack output")
        return machine.instance_id
    return machine.address(settings.address)


def ssh_argv(
    machine: Machine, settings: SshSettings, identity: Path, command: Sequence[str]
) -> list[str]:
    """ssh's argv (ssh_options), the host after `--` so it can never read as an option."""
    return [
        "ssh",
        *ssh_options(machine, settings, identity),
        "-l",
        settings.user,
        "--",
        destination(machine, settings),
        *command,
    ]


@dataclass(frozen=True)
class Operand:
    """One side of `dockyard scp`: a path on a host of the stack, or a local path."""

    machine: Machine | None
    path: str


def scp_operand(found: Sequence[Machine], text: str) -> Operand:
    """`HOST:PATH` (HOST a name or index of the stack) is remote; anything else is a local
    path, which scp reads as remote when a colon comes before any slash, so it is given
    as `./PATH` then."""
    host, colon, path = text.partition(":")
    if colon and "/" not in host:
        for machine in found:
            if host in (machine.name, str(machine.index)):
                return Operand(machine, path or ".")
        if host:
            names = ", ".join(m.name for m in found)
            raise UsageError(
                f"no host {host[:60]!r} in the stack (for a local file with a colon in its "
                f"name write ./{text[:60]}): pick one of {names}"
            )
    if not text:
        raise UsageError("an empty path: give HOST:PATH or a local path")
    return Operand(None, f"./{text}" if colon and "/" not in host else text)


def scp_argv(
    found: Sequence[Machine],
    settings: SshSettings,
    identity: Path,
    operands: tuple[str, str],
    *,
    recursive: bool = False,
) -> list[str]:
    """scp's argv for SRC DST, one of them on a host: the same options as ssh_argv (one
    HostKeyAlias, so a copy between two hosts goes through this machine in two steps)."""
    source, target = (scp_operand(found, text) for text in operands)
    remote = [side for side in (source, target) if side.machine is not None]
    if len(remote) != 1:
        raise UsageError(
            "give one side as HOST:PATH and the other as a local path (between two hosts: "
            "copy to this machine, then on)"
        )
    machine = remote[0].machine
    assert machine is not None
    host = destination(machine, settings)
    host = f"[{host}]" if ":" in host else host

    def operand(side: Operand) -> str:
        return f"{settings.user}@{host}:{side.path}" if side.machine else side.path

    return [
        "scp",
        *ssh_options(machine, settings, identity),
        *(["-r"] if recursive else []),
        "--",
        operand(source),
        operand(target),
    ]
