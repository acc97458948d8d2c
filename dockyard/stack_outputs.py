"""The stack-outputs document the machine commands read (ls, ssh, ip, docker-env), and
the object-valued outputs the flows' commands read from it (OutputRecord).

`pulumi stack output --json --show-secrets` prints it; the commands read it from stdin,
or run that command themselves when stdin is a terminal or a stack is named (`--stack`).
Anything that is not a JSON object of outputs in valid Unicode is bad input (UsageError):
text that is not UTF-8 or not JSON, an integer beyond Python's digit limit, a lone
surrogate escape.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from typing import IO, Any, ClassVar, Self, get_args

import msgspec

from dockyard.errors import UsageError

OUTPUT_ARGV = ("stack", "output", "--json", "--show-secrets")
PIPE = "pulumi stack output --json --show-secrets"
PULUMI_TIMEOUT_SECONDS = 120


def parse(data: bytes) -> dict[str, Any]:
    """The outputs document from its bytes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("the stack outputs are not UTF-8 text") from None
    if not text.strip():
        raise UsageError(f"the stack outputs are empty: pipe in `{PIPE}`")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise UsageError(
            f"the stack outputs are not JSON (line {err.lineno}, column {err.colno})"
        ) from None
    except (ValueError, RecursionError) as err:
        # an integer longer than Python converts (4300 digits), nesting too deep
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise UsageError(f"the stack outputs are not usable JSON: {reason}") from None
    if not isinstance(document, dict):
        raise UsageError("the stack outputs are not a JSON object of outputs")
    _check_unicode(document)
    return document


def _check_unicode(value: Any) -> None:
    """Every string (keys too) must be encodable: JSON's \\ud800 escapes decode to lone
    surrogates, which no file, terminal or shell can take."""
    strings: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            strings.append(item)
        elif isinstance(item, dict):
            strings.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    for text in strings:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(
                "the stack outputs hold a lone surrogate (an unpaired \\ud800-\\udfff escape), "
                "not text"
            ) from None


def read(
    stdin: IO[bytes], *, stdin_is_terminal: bool, stack: str | None, command: str
) -> dict[str, Any]:
    """The outputs from stdin, or from `pulumi stack output` when stdin is a terminal or
    `stack` names a stack."""
    if stack is None and not stdin_is_terminal:
        return parse(stdin.read())
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise UsageError(
            f"pipe the stack outputs in ({PIPE} | dockyard {command}), or put the Pulumi CLI "
            "on PATH"
        )
    argv = [pulumi, *OUTPUT_ARGV, *(["--stack", stack] if stack else [])]
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=PULUMI_TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise UsageError(f"`pulumi {' '.join(argv[1:])}` did not run: {err}") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise UsageError(
            f"`pulumi {' '.join(argv[1:])}` failed: {lines[-1] if lines else done.returncode}"
        )
    return parse(done.stdout)


class OutputRecord(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One object-valued stack output (railsTasks, fioTasks), defined once: the component
    exports `Record(...).to_output()`, a command reads it back with `from_output`. Each
    field is the camelCase key of the same name.

    A stack made by an older dockyard may lack keys: a key that is absent, empty or of
    another type reads as None (a name-to-name map keeps its string entries), and only a
    command that needs it stops, naming it and the fix (`need`)."""

    OUTPUT: ClassVar[str]
    """The output's name."""

    def to_output(self) -> dict[str, Any]:
        """The stack output's value: every key, camelCase, its value as given (the component
        gives Pulumi Outputs, so a preview still shows the keys it knows)."""
        return {f.encode_name: getattr(self, f.name) for f in msgspec.structs.fields(self)}

    @classmethod
    def from_output(cls, value: Mapping[str, Any]) -> Self:
        """The output as read back from a stack; what is missing or malformed reads as None."""
        found: dict[str, Any] = {}
        for field in msgspec.structs.fields(cls):
            raw = value.get(field.encode_name)
            if raw in (None, "", []):
                continue
            if dict[str, str] in get_args(field.type):
                # read entry by entry: the command that needs one names the one missing
                items = raw.items() if isinstance(raw, Mapping) else ()
                raw = {k: v for k, v in items if isinstance(v, str)}
            try:
                found[field.name] = msgspec.convert(raw, field.type)
            except msgspec.ValidationError:
                continue
        return cls(**found)

    def need(self, key: str) -> Any:
        """The value of output key `key` (e.g. webTaskDefinition), or a UsageError naming it
        when the stack's output lacks it."""
        names = {f.encode_name: f.name for f in msgspec.structs.fields(self)}
        value = getattr(self, names[key])
        if value is None:
            raise UsageError(
                f"the stack output {self.OUTPUT} has no {key}: run `pulumi up` with this "
                "version of dockyard, then try again"
            )
        return value
