"""`python -m dockyard`, as a user runs it: bad input to any subcommand is one line and exit 2."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockyard.checkip import CheckIpError
from dockyard.errors import DockyardError
from dockyard.fio.jobs import FioError
from tests.harness.tools import assert_bad_input, run_dockyard

NAMED = (
    '{"Reservations": [{"Instances": [{"InstanceId": "i-0a", "State": {"Code": 16}, '
    '"PublicIpAddress": "203.0.113.5", "Placement": {"AvailabilityZone": "us-east-1a"}, '
    '"Tags": [{"Key": "Name", "Value": "NAME"}]}]}]}'
)
"""A describe-instances document of one running host whose Name tag is NAME (JSON text)."""


@pytest.mark.parametrize(
    ("argv", "stdin", "words"),
    [
        (["inventory", "-o", "inv"], "", "stdin is empty"),
        (["inventory", "-o", "inv"], "{not json", "stdin is not valid JSON (line 1"),
        (["bench", "missing-dir", "--no-serve"], "", "missing-dir is not a directory"),
        (["docker-env", "--cert-dir", "certs"], "not json", "outputs are not JSON (line 1"),
        (["docker-env", "--cert-dir", "certs"], "{}", "no hosts"),
        (["inventory", "-o", "inv"], '{"Reservations": [{"Instances": [{"State": {"Code": '
         + "1" * 5000 + "}}]}]}", "a number too long"),
        (["inventory", "-o", "inv"], NAMED.replace("NAME", "my-prefix-1\\nevil=1"),
         "control character in its name ('my-prefix-1\\nevil=1')"),
        (["inventory", "-o", "inv"], NAMED.replace("NAME", "my-prefix-\\u0001"),
         "control character in its name ('my-prefix-\\x01')"),
    ],
    ids=["inventory-empty", "inventory-not-json", "bench-no-dir", "docker-env-not-json",
         "docker-env-no-hosts", "inventory-huge-int", "inventory-newline-in-name",
         "inventory-control-char-in-name"],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], stdin: str, words: str, tmp_path: Path
) -> None:
    """Each subcommand's UsageError reaches `main` (one class, from dockyard.errors): exit 2,
    one `dockyard: ...` line on stderr, no traceback, nothing written."""
    proc = run_dockyard(argv, stdin, tmp_path, {**os.environ, "HOME": str(tmp_path)})
    assert_bad_input(proc, words)
    assert list(tmp_path.iterdir()) == []


class Refused(DockyardError):
    """A domain error with its own exit status."""

    exit_status = 3


@pytest.mark.parametrize(
    ("error", "status", "line"),
    [
        (FioError("fio rejected x.fio"), 2, "dockyard: fio rejected x.fio"),
        (CheckIpError("no answer\nfrom checkip"), 2, "dockyard: no answer\\nfrom checkip"),
        (Refused("refused"), 3, "dockyard: refused"),
    ],
    ids=["fio-error", "checkip-error-escaped", "own-exit-status"],
)  # fmt: skip
def test_every_dockyard_error_is_caught_once_in_main(
    error: DockyardError,
    status: int,
    line: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A domain error (not a UsageError) raised by a subcommand reaches `cli.main`, which
    prints it as one escaped `dockyard: ...` line and exits with its exit_status."""
    from dockyard import cli
    from dockyard.commands import ls

    def fail(args: object) -> int:
        raise error

    monkeypatch.setattr(ls, "run", fail)
    assert cli.main(["ls"]) == status
    captured = capsys.readouterr()
    assert captured.err == line + "\n" and captured.out == ""
