"""The `dockyard` command: one subcommand per module, each a pure transform plus a thin main.

Subcommand modules expose `register(subparsers)`, which adds their parser and sets
`func` (argparse.Namespace -> exit status) as its default. Bad input exits 2 with
one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

EXIT_BAD_INPUT = 2

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


class UsageError(Exception):
    """Bad input: printed as `dockyard: <message>` and exit status 2."""


def _subcommands() -> list[Register]:
    # Imported here so `dockyard --help` stays fast and each subcommand's
    # dependencies load only when it is registered.
    from dockyard import docker_env, inventory_cli
    from dockyard.fio.cli import register as register_bench

    registered: list[Register] = [inventory_cli.register, register_bench, docker_env.register]
    return registered


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dockyard",
        description="Docker hosts for Ansible, fio benchmarks, and the tools around them.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in _subcommands():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except UsageError as err:
        print(f"dockyard: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
