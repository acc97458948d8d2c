"""Typed getters over the `dockyard:` stack config, with Pulumi.yaml as the schema.

Pulumi.yaml's `config:` section declares every key, its type and its default; the Reader
takes both from there and has no default of its own (the config dataclasses and the
components have none either: CONTRIBUTING, "Config keys"), and it refuses to read a key
Pulumi.yaml does not declare. A key the stack sets but Pulumi.yaml does not declare (a
typo) stops the program, naming the closest known key.

Empty means unset: the Pulumi CLI hands the program every declared key, filling in the
declared default for one the stack leaves out (an array's `[]` arrives as the text "[]"),
so an empty value must read exactly like an absent key (as under mocks): "" reads as
absent, [] and {} are what an absent array or map reads as, and a richer default in the
code (fioJobFiles' randread-4k.fio) applies to the empty value, never to absence alone.

Every problem stops the program with one ConfigError naming the key, the problem and the
fix (a `pulumi.RunError`, so `pulumi up` prints it without a traceback).
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import yaml
from pulumi.runtime import config as runtime_config

from components import PROJECT_DIR
from dockyard.netrules import CIDR_EXAMPLE, normalize_cidr

NAMESPACE = "dockyard"
PROJECT_FILE = PROJECT_DIR / "Pulumi.yaml"


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; the message names the key and the fix."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        # a bare key is the project's; another namespace's is given whole (aws:region)
        self.key = key if ":" in key else f"{NAMESPACE}:{key}"
        super().__init__(f"{self.key}: {problem}. Fix: {fix}")


@dataclass(frozen=True)
class Declaration:
    """One key of Pulumi.yaml's `config:` section."""

    type: str | None
    """string, integer, boolean or array; None for a map (Pulumi's project schema has no
    object type, so map keys are declared without one)."""
    default: Any


@functools.cache
def declarations() -> dict[str, Declaration]:
    """The keys Pulumi.yaml declares in the project's namespace, by bare name."""
    project = yaml.safe_load(PROJECT_FILE.read_text())
    declared: dict[str, Declaration] = {}
    for full, schema in (project.get("config") or {}).items():
        namespace, _, key = full.rpartition(":")
        if namespace in ("", NAMESPACE):
            declared[key] = Declaration(type=schema.get("type"), default=schema.get("default"))
    return declared


def configured_keys() -> set[str]:
    """Every config key the program was given: PULUMI_CONFIG (how the CLI's language host
    passes the stack's config) and the runtime's map (mocks, Automation API programs)."""
    return set(runtime_config.get_config_env()) | set(runtime_config.CONFIG.get())


def check_known_keys() -> None:
    """Stop on the first `dockyard:` key (in sorted order) that Pulumi.yaml does not
    declare, naming the closest declared key."""
    known = declarations()
    prefix = f"{NAMESPACE}:"
    unknown = sorted(
        key.removeprefix(prefix)
        for key in configured_keys()
        if key.startswith(prefix) and key.removeprefix(prefix) not in known
    )
    if not unknown:
        return
    key, others = unknown[0], unknown[1:]
    by_lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(key.lower(), by_lower, n=1)
    stack = pulumi.get_stack()
    rename = (
        f"did you mean {by_lower[close[0]]}? Rename it in stacks/Pulumi.{stack}.yaml"
        if close
        else f"remove it from stacks/Pulumi.{stack}.yaml (pulumi config rm {key})"
    )
    verb = "is" if len(others) == 1 else "are"
    also = f" (nor {verb} {', '.join(prefix + k for k in others)})" if others else ""
    raise ConfigError(
        key,
        f"is not a known key{also}",
        f"{rename}; Pulumi.yaml's config section lists every key",
    )


def check_ids(key: str, prefix: str, values: Iterable[str]) -> None:
    """Each value must be an AWS id starting with `prefix` (vpc-, subnet-, ami-)."""
    for value in values:
        if not value.startswith(prefix):
            raise ConfigError(
                key, f"{value!r} is not an id of the form {prefix}...", f"use ids like {prefix}0abc"
            )


_NOT_JSON = object()


def _shape(value: Any) -> str:
    """What a config value is, for an error message (never the value: it may be a secret)."""
    if value is _NOT_JSON:
        return "plain text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, str):
        return "one string"
    return f"a {type(value).__name__}"


class Reader:
    """Typed getters over `pulumi.Config`; the default of each key is Pulumi.yaml's, and
    every error is a ConfigError naming the key."""

    def __init__(self, config: pulumi.Config | None = None) -> None:
        self.config = config or pulumi.Config(NAMESPACE)
        self.read: set[str] = set()
        """The keys read so far (tests check that these are exactly the declared keys)."""

    def _raw(self, key: str, *types: str | None) -> tuple[str | None, Any]:
        """The key's text (None when absent or empty) and its declared default; reading a
        key Pulumi.yaml does not declare, or declares with another type, is a bug here."""
        declared = declarations().get(key)
        if declared is None:
            raise LookupError(f"{NAMESPACE}:{key} is read but Pulumi.yaml does not declare it")
        if declared.type not in types:
            raise TypeError(f"{NAMESPACE}:{key} is declared {declared.type}, read as {types}")
        self.read.add(key)
        value = self.config.get(key)
        if value is None or value.strip() == "":
            return None, declared.default
        return value.strip(), declared.default

    def _json(self, key: str, *types: str | None) -> tuple[Any, Any]:
        """The key's value parsed as JSON, as the CLI passes arrays and maps (None when
        unset, `_NOT_JSON` when not JSON), and its declared default."""
        raw, default = self._raw(key, *types)
        if raw is None:
            return None, default
        try:
            value = json.loads(raw)
        except ValueError:
            return _NOT_JSON, default
        return value, default

    def optional(self, key: str) -> str | None:
        """A string key; None when unset and declared with the default ""."""
        raw, default = self._raw(key, "string")
        if raw is None:
            return str(default) or None
        if raw[0] in "[{":
            parsed = self._json(key, "string")[0]
            if isinstance(parsed, list | dict):
                raise ConfigError(
                    key,
                    f"must be a single string, not {_shape(parsed)}",
                    f"pulumi config set {key} VALUE",
                )
        return raw

    def string(self, key: str) -> str:
        """A string key declared with a non-empty default (used when unset)."""
        value = self.optional(key)
        if value is None:
            raise TypeError(f"{NAMESPACE}:{key} has no default; read it with optional()")
        return value

    def require(self, key: str, fix: str) -> str:
        value = self.optional(key)
        if value is None:
            raise ConfigError(key, "is required but not set", fix)
        return value

    def integer(self, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        raw, default = self._raw(key, "integer")
        if raw is None:
            return int(default)
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(
                key, f"must be a whole number, not {raw!r}", f"pulumi config set {key} {default}"
            ) from None
        if minimum is not None and value < minimum:
            raise ConfigError(
                key,
                f"must be at least {minimum} (got {value})",
                f"pulumi config set {key} {minimum}",
            )
        if maximum is not None and value > maximum:
            raise ConfigError(
                key,
                f"must be at most {maximum} (got {value})",
                f"pulumi config set {key} {maximum}",
            )
        return value

    def boolean(self, key: str) -> bool:
        raw, default = self._raw(key, "boolean")
        if raw is None:
            return bool(default)
        lowered = raw.lower()
        if lowered in {"true", "yes", "1"}:
            return True
        if lowered in {"false", "no", "0"}:
            return False
        raise ConfigError(
            key, f"must be true or false, not {raw!r}", f"pulumi config set {key} true"
        )

    def choice(self, key: str, choices: Sequence[str]) -> str:
        value = self.string(key)
        if value not in choices:
            raise ConfigError(
                key,
                f"must be one of {', '.join(choices)} (got {value!r})",
                f"pulumi config set {key} {declarations()[key].default}",
            )
        return value

    def string_list(self, key: str, items: str, example: str) -> list[str]:
        """An array key: a list of non-empty strings (one JSON string is a list of one).
        `items` and `example` name the expected shape in the error."""
        value, default = self._json(key, "array")
        if value is None:
            return list(default)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(
                key,
                f"must be a list of {items}, e.g. [{example}] (got {_shape(value)})",
                f"pulumi config set --path '{key}[0]' {example} (one entry per index), or a "
                f"YAML list under {NAMESPACE}:{key} in the stack file",
            )
        return list(value)

    def cidrs(self, key: str, tokens: Collection[str] = ()) -> list[str]:
        """An array key of CIDRs, each in canonical form; `tokens` (such as `me`) are kept
        as they are, for the components to resolve."""
        cidrs: list[str] = []
        for value in self.string_list(key, "CIDR strings", "203.0.113.7/32"):
            if value in tokens:
                cidrs.append(value)
                continue
            try:
                cidrs.append(normalize_cidr(value))
            except ValueError as err:
                raise ConfigError(key, str(err), CIDR_EXAMPLE) from None
        return cidrs

    def _map(self, key: str, values: str, example: str) -> dict[str, Any]:
        value, default = self._json(key, None)
        if value is None:
            return dict(default)
        if not isinstance(value, dict) or (
            values == "strings" and not all(isinstance(v, str) for v in value.values())
        ):
            raise ConfigError(
                key,
                f"must be a map of {values}, e.g. {example} (got {_shape(value)})",
                f"pulumi config set --path '{key}.NAME' VALUE, or a YAML map under "
                f"{NAMESPACE}:{key} in the stack file",
            )
        return dict(value)

    def string_map(self, key: str) -> dict[str, str]:
        """A map key whose values are strings (e.g. tags)."""
        return self._map(key, "strings", "{Owner: platform-team}")

    def mapping(self, key: str, example: str) -> dict[str, Any]:
        """A map key with values of any type (e.g. Ansible variables)."""
        return self._map(key, "names to values", example)

    def secret(self, key: str) -> pulumi.Output[str] | None:
        if self.optional(key) is None:
            return None
        return self.config.require_secret(key)
