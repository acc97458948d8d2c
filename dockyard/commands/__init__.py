"""The `dockyard` subcommands, one module each: inventory, bench, docker-env.

Each module has `register(subparsers)`, which adds its parser and sets `func`
(argparse.Namespace -> exit status) as its default, and that `run`. They turn
arguments, stdin and files into calls to the pure code in dockyard/ and raise
`dockyard.errors.UsageError` for bad input.
"""

from __future__ import annotations

import argparse
from typing import TypeAlias

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
