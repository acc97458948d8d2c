"""`dockyard ssh [HOST [COMMAND...]]`: log in to a host, as `docker-machine ssh` did.

    pulumi stack output --json --show-secrets | dockyard ssh 1 docker info

The key is the stack's generated one (the `sshPrivateKey` output, written 0600 into a
private temp dir for the session and removed after) or `--identity PATH`. Host keys are
checked against the stack's known_hosts file under the instance id (HostKeyAlias), the
scheme the Ansible run uses: a new instance is a new host, accepted on first use; a
changed key for the same instance is refused. With `--ssm` (or the stack's `ssm` switch)
ssh goes through AWS Session Manager (`aws ssm start-session` as its ProxyCommand, to
the instance id), still pinned to the instance's host key.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dockyard.commands import FROM_OUTPUTS, Subparsers, add_stack_option, stack_outputs
from dockyard.errors import UsageError
from dockyard.files import write_file
from dockyard.hosts.machines import (
    SshSettings,
    machines,
    private_key,
    select,
    ssh_argv,
    ssh_settings,
)


def add_login_options(parser: argparse.ArgumentParser) -> None:
    """The options ssh and scp share: key, user, known_hosts, address, ssm."""
    parser.add_argument(
        "-i", "--identity", metavar="PATH", help="private key file (default: sshPrivateKey)"
    )
    parser.add_argument("--user", help="login user (default: the stack's ssh.user)")
    parser.add_argument(
        "--known-hosts",
        metavar="PATH",
        help="known_hosts file (default: the stack's ssh.knownHostsFile)",
    )
    parser.add_argument("--private", action="store_true", help="connect to the private address")
    parser.add_argument(
        "--ssm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="through AWS Session Manager (aws ssm start-session; default: the stack's ssh.ssm)",
    )
    add_stack_option(parser)


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "ssh",
        help="log in to a host (or run COMMAND on it) with the stack's key",
        description=(
            "Log in to a host, or run COMMAND on it, with the stack's key and its known_hosts "
            f"file (host keys checked). {FROM_OUTPUTS} With stdin taken by the outputs, "
            "give a COMMAND (or use --stack for an interactive session)."
        ),
    )
    parser.add_argument("host", nargs="?", help="host name or index (default: the control host)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="command to run on the host")
    add_login_options(parser)
    parser.set_defaults(func=run)


@contextlib.contextmanager
def login(
    args: argparse.Namespace, outputs: Mapping[str, Any], tool: str
) -> Iterator[tuple[SshSettings, Path]]:
    """The ssh settings and the key file: --identity, or the stack's key written 0600 into
    a private temp dir that is removed when the block ends."""
    settings = ssh_settings(
        outputs,
        user=args.user,
        address="private" if args.private else None,
        known_hosts=args.known_hosts,
        ssm=args.ssm,
    )
    if shutil.which(tool) is None:
        raise UsageError(f"{tool} (the OpenSSH client) is not on PATH")
    if settings.ssm and shutil.which("aws") is None:
        raise UsageError(
            "ssm needs the AWS CLI (aws) and its session-manager-plugin on PATH, or --no-ssm"
        )
    key_text = None if args.identity else private_key(outputs)
    if args.identity and not Path(args.identity).expanduser().is_file():
        raise UsageError(f"--identity {args.identity} is not a file")
    try:
        settings.known_hosts_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as err:
        raise UsageError(
            f"cannot create {settings.known_hosts_file.parent}: {err.strerror or err}"
        ) from None
    with tempfile.TemporaryDirectory(prefix="dockyard-ssh-") as private_dir:
        identity = Path(args.identity).expanduser() if args.identity else Path(private_dir) / "id"
        if key_text is not None:
            write_file(identity, key_text, 0o600)
        yield settings, identity


def run(args: argparse.Namespace) -> int:
    outputs = stack_outputs(args, "ssh")
    machine = select(machines(outputs), args.host)
    with login(args, outputs, "ssh") as (settings, identity):
        argv = ssh_argv(machine, settings, identity, args.command)
        return subprocess.run(argv, check=False).returncode
