"""`compose`: host variables computed from instance fields, as the aws_ec2 plugin's.

The aws_ec2 plugin (ansible-collections/amazon.aws plugins/inventory/aws_ec2.py) renders
each `compose` value as a Jinja2 expression over the instance's host variables: the
describe-instances fields with snake_case names (`private_ip_address`,
`placement.availability_zone`) and `tags` as a mapping. An expression from a config file
runs with the instance's (hostile) tags in reach, so dockyard takes only the expressions
that are a path: `private_ip_address`, `placement.availability_zone`, `tags.Env`,
`tags['aws:cloudformation:stack-name']`, `network_interfaces[0].subnet_id`. Anything
else (filters, operators, calls) is refused by name. The values are data, never
templates: the renderers mark every one holding a Jinja delimiter unsafe for Ansible.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dockyard.hosts.inventory import InventoryError

VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SEGMENT = r"(?:\.[A-Za-z0-9_:/+=@-]+|\['[^'\]\\]*'\]|\[\"[^\"\]\\]*\"\]|\[[0-9]{1,6}\])"
_PATH = re.compile(rf"[A-Za-z_][A-Za-z0-9_]*{_SEGMENT}*")
_STEPS = re.compile(
    r"^([A-Za-z_][A-Za-z0-9_]*)|\.([^.\[]+)|\['([^']*)'\]|\[\"([^\"]*)\"\]|\[([0-9]+)\]"
)
_OWN = frozenset({"dockyard_role"})
"""Variables dockyard sets that compose may not replace (ansible_host it may)."""


@dataclass(frozen=True)
class Compose:
    """One `compose` entry: the variable and the path it reads."""

    variable: str
    path: str
    steps: tuple[str | int, ...]


def parse(variable: str, path: str) -> Compose:
    """A checked compose entry (InventoryError names a bad variable or expression)."""
    if not VARIABLE.fullmatch(variable) or variable in _OWN:
        raise InventoryError(
            f"compose variable {variable[:40]!r} is not a usable Ansible variable name "
            "(letters, digits, '_'; not dockyard_role)"
        )
    if variable.startswith("ansible_") and variable != "ansible_host":
        raise InventoryError(
            f"compose variable {variable}: of Ansible's connection variables only "
            "ansible_host may be composed (instance fields must not choose ssh options)"
        )
    if not isinstance(path, str) or not _PATH.fullmatch(path.strip()):
        raise InventoryError(
            f"compose {variable}: {str(path)[:60]!r} is not a path into the instance "
            "(e.g. private_ip_address, placement.availability_zone, tags.Env, "
            "tags['Name']); dockyard does not evaluate Jinja2 expressions from an "
            "inventory config"
        )
    steps: list[str | int] = []
    for found in _STEPS.finditer(path.strip()):
        name, dotted, single, double, index = found.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(next(s for s in (name, dotted, single, double) if s is not None))
    return Compose(variable, path.strip(), tuple(steps))


def parse_pairs(texts: Sequence[str]) -> tuple[Compose, ...]:
    """`--compose VAR=PATH` values, each checked."""
    entries = []
    for text in texts:
        variable, sep, path = text.partition("=")
        if not sep:
            raise InventoryError(
                f"--compose {text[:60]!r} is not VAR=PATH (e.g. ansible_host=private_ip_address)"
            )
        entries.append(parse(variable.strip(), path))
    return tuple(entries)


def snake(name: str) -> str:
    """A describe-instances key as the aws_ec2 plugin names its host variable (Ansible's
    camel_dict_to_snake_dict: `PublicIpAddress` -> `public_ip_address`)."""
    s1 = re.sub(r"[A-Z]{3,}s$", lambda m: "_" + m.group(0).lower(), name)
    if s1.startswith("_") and not name.startswith("_"):
        s1 = s1[1:]
    s2 = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", s1)
    return re.sub(r"([a-z0-9])([A-Z]+)", r"\1_\2", s2).lower()


def _tags(raw: Any) -> dict[str, str]:
    if not isinstance(raw, list):
        return {}
    return {
        str(t["Key"]): str(t.get("Value", ""))
        for t in raw
        if isinstance(t, Mapping) and isinstance(t.get("Key"), str)
    }


def _step(value: Any, step: str | int, where: str) -> Any:
    """One step down: `where` is top (the instance), tags (a tag key) or inner."""
    if isinstance(step, int):
        return value[step] if isinstance(value, list) and step < len(value) else None
    if not isinstance(value, Mapping):
        return None
    if where == "top" and step == "tags":
        return _tags(value.get("Tags"))
    if where == "tags":  # the tag key as written
        return value.get(step)
    for key, item in value.items():
        if isinstance(key, str) and snake(key) == step:
            return item
    return None


def value_of(instance: Mapping[str, Any], entry: Compose) -> str | None:
    """The entry's value for one instance, as text; None when the path leads nowhere."""
    value: Any = instance
    for position, step in enumerate(entry.steps):
        if position == 0:
            where = "top"
        elif position == 1 and entry.steps[0] == "tags":
            where = "tags"
        else:
            where = "inner"
        value = _step(value, step, where)
        if value is None:
            return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise InventoryError(
        f"compose {entry.variable}={entry.path} names an object or a list, not a value: "
        "continue the path to one of its fields (e.g. placement.availability_zone)"
    )


def variables(
    instance: Mapping[str, Any], entries: Sequence[Compose]
) -> tuple[tuple[str, str], ...]:
    """The composed variables of one instance, in the order given (later entries win)."""
    found: dict[str, str] = {}
    for entry in entries:
        value = value_of(instance, entry)
        if value is not None and value != "":
            found[entry.variable] = value
    return tuple(found.items())
