"""`dockyard ls`'s rows, filters and formats, as `docker-machine ls` had them: pure
functions over the hosts (dockyard.hosts.machines) and what EC2 and the engines said.

    --filter name=REGEX   --filter state=running   --filter role=agent
    -q                    names only
    --format '{{.Name}} {{.State}}'   or   --format 'table {{.Name}}\\t{{.DockerVersion}}'

Filters of one key are alternatives (any may match); different keys must all match.
Every value printed is escaped for the terminal (dockyard.terminal.printable).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dockyard.errors import UsageError
from dockyard.hosts.machines import Machine
from dockyard.terminal import printable

COLUMNS = (
    ("NAME", "Name"),
    ("ROLE", "Role"),
    ("STATE", "State"),
    ("INSTANCE", "InstanceID"),
    ("PUBLIC", "PublicIP"),
    ("PRIVATE", "PrivateIP"),
    ("URL", "URL"),
    ("DOCKER", "DockerVersion"),
    ("ERRORS", "Error"),
)
"""The table's headers and the --format field each shows."""
FIELDS = tuple(name for _, name in COLUMNS)
LIVE_FIELDS = frozenset({"State", "Error", "DockerVersion"})
"""Fields only a live look (EC2, the engines) fills in."""
FILTER_KEYS = ("name", "state", "role")
_FIELD = re.compile(r"\{\{\s*\.([A-Za-z]+)\s*\}\}")
_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)


@dataclass(frozen=True)
class Row:
    """One host as `ls` shows it."""

    machine: Machine
    state: str = "-"
    docker_version: str = "-"
    errors: tuple[str, ...] = ()

    def fields(self) -> dict[str, str]:
        m = self.machine
        return {
            "Name": m.name,
            "Role": m.role or "-",
            "State": self.state,
            "InstanceID": m.instance_id or "-",
            "PublicIP": m.public_ip or "-",
            "PrivateIP": m.private_ip or "-",
            "URL": m.docker_host or "-",
            "DockerVersion": self.docker_version,
            "Error": "; ".join(self.errors),
        }


def parse_filters(values: Iterable[str]) -> dict[str, list[str]]:
    """`KEY=VALUE` filters by key; UsageError for an unknown key or a bad name regex."""
    filters: dict[str, list[str]] = {}
    for value in values:
        key, sep, wanted = value.partition("=")
        key = key.strip().lower()
        if not sep or key not in FILTER_KEYS:
            raise UsageError(
                f"--filter {value[:60]!r} is not KEY=VALUE with a key of "
                f"{', '.join(FILTER_KEYS)} (e.g. --filter state=running)"
            )
        if key == "name":
            try:
                re.compile(wanted)
            except re.error as err:
                raise UsageError(f"--filter name={wanted[:60]!r} is not a regex: {err}") from None
        filters.setdefault(key, []).append(wanted)
    return filters


def matches(row: Row, filters: Mapping[str, Sequence[str]]) -> bool:
    """Whether the row passes every key's filters (name: a regex search, as Docker
    Machine matched it; state and role: the word, any case)."""
    values = {"state": row.state, "role": row.machine.role}
    for key, wanted in filters.items():
        if key == "name":
            if not any(re.search(pattern, row.machine.name) for pattern in wanted):
                return False
        elif values[key].lower() not in {w.lower() for w in wanted}:
            return False
    return True


def format_fields(template: str) -> list[str]:
    """The fields a --format template names; UsageError for anything else in `{{ }}`."""
    names = []
    for action in _ACTION.findall(template):
        field = _FIELD.fullmatch(action)
        if field is None or field[1] not in FIELDS:
            raise UsageError(
                f"--format: {action[:40]!r} is not a field; use {{{{.NAME}}}} with NAME one of "
                + ", ".join(FIELDS)
            )
        names.append(field[1])
    return names


def sources(
    filters: Mapping[str, Sequence[str]], template: str | None, quiet: bool
) -> frozenset[str]:
    """What the output needs asked: `ec2` (State, Error, a state filter) and `engine`
    (DockerVersion, Error); the table needs both, `ls -q` neither."""
    if template is not None:
        fields = set(format_fields(template))
    else:
        fields = set() if quiet else set(LIVE_FIELDS)
    needed = set()
    if "state" in filters or fields & {"State", "Error"}:
        needed.add("ec2")
    if fields & {"DockerVersion", "Error"}:
        needed.add("engine")
    return frozenset(needed)


def render(rows: Sequence[Row], *, quiet: bool = False, template: str | None = None) -> str:
    """The table (the default), the names (-q), or one line per row from a template; a
    `table ` template gets a header line and aligned columns."""
    if quiet:
        return "".join(printable(row.machine.name) + "\n" for row in rows)
    if template is None:
        return _aligned([[h for h, _ in COLUMNS]] + [_cells(row, FIELDS) for row in rows])
    format_fields(template)
    body = template.replace("\\t", "\t").replace("\\n", "\n")
    if body.startswith("table"):
        body = body[len("table") :].lstrip(" ")
        header = _FIELD.sub(lambda f: _header(f[1]), body)
        lines = [header] + [_fill(body, row) for row in rows]
        return _aligned([line.split("\t") for line in lines])
    return "".join(_fill(body, row) + "\n" for row in rows)


def _header(field: str) -> str:
    return next(h for h, name in COLUMNS if name == field)


def _fill(body: str, row: Row) -> str:
    values = row.fields()
    return _FIELD.sub(lambda f: printable(values[f[1]]), body)


def _cells(row: Row, names: Sequence[str]) -> list[str]:
    values = row.fields()
    return [printable(values[name]) or "-" for name in names]


def _aligned(rows: Sequence[Sequence[str]]) -> str:
    width = max(len(row) for row in rows)
    cells = [list(row) + [""] * (width - len(row)) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(width)]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n"
        for row in cells
    )
