"""Errors and exit statuses shared by the `dockyard` command and the images' entrypoints.

A leaf module: it imports nothing from dockyard, so every module can import it
without a cycle.
"""

from __future__ import annotations

EXIT_BAD_INPUT = 2


class DockyardError(Exception):
    """A failure dockyard explains: `dockyard.cli.main` catches every one, prints
    `dockyard: <message>` and exits with `exit_status`. The domain errors (FioError,
    CheckIpError, the Rails tasks' AWS errors...) subclass it; the message names the
    problem and the fix."""

    exit_status = EXIT_BAD_INPUT


class UsageError(DockyardError):
    """Bad input: printed as `dockyard: <message>` and exit status 2."""


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: raised in the main thread, so every `finally` and `with`
    cleans up (temp keys, half files) on the way out, as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
