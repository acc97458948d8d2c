"""Errors and exit statuses shared by the `dockyard` command and the images' entrypoints.

A leaf module: it imports nothing from dockyard, so every module can import it
without a cycle.
"""

from __future__ import annotations

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad input: printed as `dockyard: <message>` and exit status 2."""


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: raised in the main thread, so every `finally` and `with`
    cleans up (temp keys, half files) on the way out, as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
