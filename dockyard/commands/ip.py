"""`dockyard ip [HOST]`: a host's address, as `docker-machine ip` printed it.

ssh ubuntu@"$(pulumi stack output --json --show-secrets | dockyard ip 1)"
"""

from __future__ import annotations

import argparse

from dockyard.commands import FROM_OUTPUTS, Subparsers, add_stack_option, stack_outputs
from dockyard.hosts.machines import machines, select


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "ip",
        help="print a host's address (public when it has one)",
        description=(
            "Print a host's address: its public one when it has one, else its private one "
            f"(--private: always the private one). {FROM_OUTPUTS}"
        ),
    )
    parser.add_argument("host", nargs="?", help="host name or index (default: the control host)")
    parser.add_argument("--private", action="store_true", help="print the private address")
    add_stack_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    machine = select(machines(stack_outputs(args, "ip")), args.host)
    print(machine.address("private" if args.private else "public"))
    return 0
