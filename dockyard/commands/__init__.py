"""The `dockyard` subcommands, one module each: inventory, bench, docker-env, ls, inspect,
lifecycle (status, start, stop, restart), ssh, scp, ip, rails.

Each module has `register(subparsers)`, which adds its parser (and the parsers of its
actions: `bench run|compare|pull|serve`,
`rails exec|run|import-db|logs|status|rollback|maintenance`) and sets `func`
(argparse.Namespace -> exit status) on each. They turn arguments, stdin and files into
calls to the pure code in dockyard/ and raise `dockyard.errors.UsageError` for bad input;
the domain errors that code raises (all `DockyardError`s) go up to `dockyard.cli.main`.
The machine commands (docker-env, ls, inspect, status..., ssh, scp, ip) and rails read
the stack outputs through `add_stack_option` and `stack_outputs`.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from typing import Any, TypeAlias

from dockyard import stack_outputs as outputs_document
from dockyard.errors import UsageError

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

FROM_OUTPUTS = (
    "Reads the stack's outputs: `pulumi stack output --json --show-secrets` piped to stdin, or "
    "runs that itself when stdin is a terminal or --stack is given (the Pulumi CLI on PATH)."
)


def add_stack_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack",
        metavar="NAME",
        help="run `pulumi stack output --json --show-secrets --stack NAME` (default: stdin)",
    )


def stack_outputs(args: argparse.Namespace, command: str) -> dict[str, Any]:
    """The outputs document, from stdin or `pulumi stack output` (see add_stack_option)."""
    return outputs_document.read(
        sys.stdin.buffer,
        stdin_is_terminal=sys.stdin.isatty(),
        stack=args.stack,
        command=command,
    )


def check_endpoint_url(value: str | None, option: str = "--endpoint-url") -> str | None:
    """An endpoint URL as boto3 needs it (`http(s)://HOST[:PORT][/PATH]`), or UsageError."""
    if value is None:
        return None
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in {"http", "https"}
        or not parts.hostname
        or any(ch.isspace() or not ch.isprintable() for ch in value)
    ):
        raise UsageError(
            f"{option} {value!r} is not a URL: give http(s)://HOST[:PORT], e.g. "
            "http://127.0.0.1:5000 for a moto server"
        )
    return value
