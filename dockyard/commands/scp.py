"""`dockyard scp SRC DST`: copy files to or from a host, as `docker-machine scp` did.

    pulumi stack output --json --show-secrets | dockyard scp ./app.env my-prefix-1:/tmp/
    dockyard scp --stack dev -r 2:/var/log/docker ./logs

One side is `HOST:PATH` (a host's name or index), the other a local path. The key, the
user, the address and the host-key rules are `dockyard ssh`'s: the stack's known_hosts
file under the instance id (HostKeyAlias), new instances accepted on first use, a changed
key for the same instance refused.
"""

from __future__ import annotations

import argparse
import subprocess

from dockyard.commands import FROM_OUTPUTS, Subparsers, stack_outputs
from dockyard.commands.ssh import add_login_options, login
from dockyard.hosts.machines import machines, scp_argv


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "scp",
        help="copy files to or from a host (HOST:PATH) with the stack's key",
        description=(
            "Copy SRC to DST with scp, one of them HOST:PATH, with the stack's key and "
            f"known_hosts file (host keys checked as by dockyard ssh). {FROM_OUTPUTS}"
        ),
    )
    parser.add_argument("source", metavar="SRC", help="HOST:PATH or a local path")
    parser.add_argument("target", metavar="DST", help="HOST:PATH or a local path")
    parser.add_argument("-r", "--recursive", action="store_true", help="copy directories")
    add_login_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    outputs = stack_outputs(args, "scp")
    found = machines(outputs)
    with login(args, outputs, "scp") as (settings, identity):
        argv = scp_argv(
            found, settings, identity, (args.source, args.target), recursive=args.recursive
        )
        return subprocess.run(argv, check=False).returncode
