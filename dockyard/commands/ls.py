"""`dockyard ls`: the stack's Docker hosts as a table, as `docker-machine ls` listed them.

pulumi stack output --json --show-secrets | dockyard ls
"""

from __future__ import annotations

import argparse
import sys

from dockyard.commands import FROM_OUTPUTS, Subparsers, add_stack_option, stack_outputs
from dockyard.hosts.machines import machines, table


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "ls",
        help="list the stack's Docker hosts (name, role, instance, addresses, Docker URL)",
        description=f"List the stack's Docker hosts, as `docker-machine ls` did. {FROM_OUTPUTS}",
    )
    add_stack_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    sys.stdout.write(table(machines(stack_outputs(args, "ls"))))
    return 0
