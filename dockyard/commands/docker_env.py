"""`dockyard docker-env`: what `docker-machine env` printed, from the stack's outputs.

    eval "$(pulumi stack output --json --show-secrets | dockyard docker-env)"

Writes the client certificates (`dockerTls`) into a directory (the key 0600, all or
nothing) and prints the `export` lines of one host's `dockerEnv`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dockyard.commands import FROM_OUTPUTS, Subparsers, add_stack_option, stack_outputs
from dockyard.errors import UsageError
from dockyard.files import write_files
from dockyard.hosts.docker_env import cert_files, exports
from dockyard.hosts.machines import machines, select


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "docker-env",
        help="docker-machine env for a host, from `pulumi stack output --json --show-secrets`",
        description=(
            "Write the Docker client certificates into a directory and print the export "
            f"lines, as `docker-machine env` did. {FROM_OUTPUTS}"
        ),
    )
    parser.add_argument("--host", help="host name or index (default: the control host)")
    parser.add_argument(
        "--cert-dir",
        help="where to write ca.pem, cert.pem, key.pem (default ~/.docker/dockyard/HOST)",
    )
    add_stack_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    outputs = stack_outputs(args, "docker-env")
    machine = select(machines(outputs), args.host)
    cert_dir = Path(args.cert_dir or Path.home() / ".docker" / "dockyard" / machine.name)
    text = exports(machine, cert_dir.resolve())
    files = cert_files(outputs, cert_dir)
    try:
        cert_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_files(files)
    except OSError as err:
        raise UsageError(
            f"cannot write the certificates into {cert_dir}: {err.strerror or err}"
        ) from None
    sys.stdout.write(text)
    return 0
