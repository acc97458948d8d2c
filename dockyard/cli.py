"""The `dockyard` command: builds the parser from dockyard/commands/ and dispatches.

Each subcommand module has `register(subparsers)`, which adds its parser and sets
`func` (argparse.Namespace -> exit status). Every `dockyard.errors.DockyardError` (bad
input, a failed fio run, an AWS call refused...) is caught here, once: one line
`dockyard: <message>` on stderr and the error's exit status (2). `python -m dockyard` and
the `dockyard` script call `main`. `dockyard bench ARGS` without an action is
`dockyard bench run ARGS` (`bench.with_default_action` rewrites argv before parsing).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence

from dockyard.commands import (
    bench,
    docker_env,
    inspect,
    inventory,
    ip,
    lifecycle,
    ls,
    qos,
    rails,
    scp,
    ssh,
)
from dockyard.errors import DockyardError, Stopped
from dockyard.terminal import printable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)

# The subcommands in the order `dockyard --help` lists them. Their heavy dependencies
# (boto3, matplotlib) are imported inside the functions that use them.
COMMANDS = (inventory, bench, docker_env, ls, inspect, lifecycle, ssh, scp, ip, rails, qos)


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
        words = sys.argv[1:] if argv is None else argv
        args = build_parser().parse_args(bench.with_default_action(words))
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except DockyardError as err:
        print(f"dockyard: {printable(str(err))}", file=sys.stderr)
        return err.exit_status
    except KeyboardInterrupt:
        print("dockyard: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Stopped as stop:
        print(f"dockyard: stopped by {signal.Signals(stop.signum).name}", file=sys.stderr)
        return 128 + stop.signum
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
