"""The `dockyard` command: builds the parser from dockyard/commands/ and dispatches.

Each subcommand module has `register(subparsers)`, which adds its parser and sets
`func` (argparse.Namespace -> exit status). Bad input (`dockyard.errors.UsageError`)
exits 2 with one line on stderr. `python -m dockyard` and the `dockyard` script call
`main`.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence

from dockyard.commands import bench, docker_env, inventory, ip, ls, qos, rails, ssh
from dockyard.errors import EXIT_BAD_INPUT, Stopped, UsageError
from dockyard.terminal import printable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)

# The subcommands in the order `dockyard --help` lists them. Their heavy dependencies
# (boto3, matplotlib) are imported inside the functions that use them.
COMMANDS = (inventory, bench, docker_env, ls, ssh, ip, rails, qos)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dockyard",
        description="Docker hosts for Ansible, fio benchmarks, and the tools around them.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand. Ctrl-C, SIGTERM and SIGHUP end it with one line (exit 130, or
    128 + the signal) after its cleanups ran: nothing it wrote for itself is left."""
    previous = {signum: signal.signal(signum, _stop) for signum in STOP_SIGNALS}
    try:
        args = build_parser().parse_args(argv)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except UsageError as err:
        print(f"dockyard: {printable(str(err))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("dockyard: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Stopped as stop:
        print(f"dockyard: stopped by {signal.Signals(stop.signum).name}", file=sys.stderr)
        return 128 + stop.signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
