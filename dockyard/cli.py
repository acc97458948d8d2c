"""The `dockyard` command: builds the parser from dockyard/commands/ and dispatches.

Each subcommand module has `register(subparsers)`, which adds its parser and sets
`func` (argparse.Namespace -> exit status). Bad input (`dockyard.errors.UsageError`)
exits 2 with one line on stderr. `python -m dockyard` and the `dockyard` script call
`main`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from dockyard.commands import bench, docker_env, inventory, ip, ls, rails, ssh
from dockyard.errors import EXIT_BAD_INPUT, UsageError

# The subcommands in the order `dockyard --help` lists them. Their heavy dependencies
# (boto3, matplotlib) are imported inside the functions that use them.
COMMANDS = (inventory, bench, docker_env, ls, ssh, ip, rails)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dockyard",
        description="Docker hosts for Ansible, fio benchmarks, and the tools around them.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as err:
        print(f"dockyard: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
