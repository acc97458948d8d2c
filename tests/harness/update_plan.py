"""What the next `pulumi up` would do, read from two resource graphs.

`plan(before, after)` compares two graphs (stacks.document(): the committed snapshot
and a fresh evaluation, or two evaluations in a day-2 test) the way the engine diffs a
stack: a resource is matched by (type, name), or through an alias by its old name; an
input named in its `ignoreChanges` option is not a change; a changed input that the
provider marks as forcing a new resource (tests/harness/replacements.py) or that
`replaceOnChanges` names makes it a replacement; an input the provider's Diff leaves out
(replacements.NOT_DIFFED) is not a change. Only inputs are compared. To see what a real
preview shows (computed outputs of created, updated or replaced resources unknown, so
what depends on them changes too), compare an up with a preview evaluated against its
state: `evaluate(..., preview=True, mocks=RecordingMocks(state=up))` (see
pulumi_program.RecordingMocks.state); an input the engine does not know yet is UNKNOWN.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from tests.harness.replacements import (
    FORCES_REPLACEMENT,
    FORCES_REPLACEMENT_WHEN,
    NOT_DIFFED,
    SOURCE_KIND,
)

ADD, DELETE, UPDATE, REPLACE = "+", "-", "~", "+-"
_TAGS = frozenset({"tags", "tagsAll"})
"""Tags are updated in place for every type here: `*` in the table does not cover them."""


@dataclass(frozen=True)
class Change:
    """One resource's step in the update."""

    op: str
    typ: str
    name: str
    inputs: tuple[str, ...] = ()
    """The changed input paths (`a.b`, `a[0].b`)."""
    forcing: tuple[str, ...] = ()
    """Those of `inputs` that force the replacement."""

    def __str__(self) -> str:
        line = f"{self.op} {self.typ} {self.name}"
        if self.op == REPLACE:
            reference = FORCES_REPLACEMENT.get(self.typ, ((), "replaceOnChanges option"))[1]
            return f"{line} (replaced: {', '.join(self.forcing)} forces it; {reference})"
        if self.op == UPDATE:
            return f"{line} ({', '.join(self.inputs)})"
        return line


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, leaf) pairs of a JSON-like value: `a.b` for object fields, `a[0]` for items."""
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _pattern(path: str) -> re.Pattern[str]:
    """A table or option path (`a[].b`, `a.b`, `a`) as a regex matching it and below it."""
    escaped = re.escape(path).replace(r"\[\]", r"\[\d+\]")
    return re.compile(rf"^{escaped}(?:$|[.\[])")


def _matches(path: str, patterns: Iterable[str]) -> bool:
    top = path.split(".")[0].split("[")[0]
    return any((p == "*" and top not in _TAGS) or _pattern(p).match(path) for p in patterns)


def changed_inputs(
    before: Mapping[str, Any], after: Mapping[str, Any], ignore: Iterable[str] = ()
) -> tuple[str, ...]:
    """Input paths whose value differs, less those under an ignoreChanges path."""
    old, new = dict(leaves(before)), dict(leaves(after))
    ignore = list(ignore)
    return tuple(
        sorted(
            path
            for path in old.keys() | new.keys()
            if old.get(path) != new.get(path) and not _matches(path, ignore)
        )
    )


def forcing_inputs(
    typ: str,
    paths: Iterable[str],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    options: Mapping[str, Any],
) -> tuple[str, ...]:
    """Those of `paths` that force `typ` to be replaced: the provider's table, inputs that
    force it while a flag in the new inputs is on, a change of a rule's kind of source,
    and the replaceOnChanges option."""
    forcing = list(FORCES_REPLACEMENT.get(typ, ((), ""))[0])
    forcing += [p for p, flag in FORCES_REPLACEMENT_WHEN.get(typ, {}).items() if after.get(flag)]
    kinds = SOURCE_KIND.get(typ, ())
    if {k for k in kinds if k in before} != {k for k in kinds if k in after}:
        forcing += kinds
    forcing += options.get("replaceOnChanges", [])
    return tuple(p for p in paths if _matches(p, forcing))


def step(
    typ: str, before: Mapping[str, Any], after: Mapping[str, Any], options: Mapping[str, Any]
) -> Change | None:
    """The step the engine takes for one resource whose old inputs are `before`: None when
    the provider's diff is empty (a same step: the resource keeps its outputs), else an
    update or a replacement. Inputs under ignoreChanges, and those the provider does not
    diff (NOT_DIFFED), are not changes."""
    ignore = [*options.get("ignoreChanges", []), *NOT_DIFFED.get(typ, ())]
    paths = changed_inputs(before, after, ignore)
    if not paths:
        return None
    forcing = forcing_inputs(typ, paths, before, after, options)
    return Change(REPLACE if forcing else UPDATE, typ, "", paths, forcing)


def _by_key(document: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    return {(r["type"], r["name"]): r for r in document["resources"]}


def _aliased(
    old: Mapping[tuple[str, str], Any], new: Mapping[tuple[str, str], Mapping[str, Any]]
) -> dict[tuple[str, str], tuple[str, str]]:
    """New key -> the old key an alias of it names (the engine renames, nothing else)."""
    renamed = {}
    for key, resource in new.items():
        if key in old:
            continue
        for alias in resource.get("options", {}).get("aliases", []):
            former = (key[0], alias)
            if former in old and former not in new:
                renamed[key] = former
                break
    return renamed


def plan(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The steps from graph `before` to graph `after`, sorted by (type, name); resources
    without a change are left out. A new resource whose `aliases` option names an old one
    of its type is that resource renamed (compared with it, no add or delete)."""
    old, new = _by_key(before), _by_key(after)
    renamed = _aliased(old, new)
    changes: list[Change] = []
    for key in sorted(old.keys() | new.keys()):
        typ, name = key
        former = renamed.get(key, key)
        if key not in old and key not in renamed:
            changes.append(Change(ADD, typ, name))
        elif key not in new:
            if key not in renamed.values():
                changes.append(Change(DELETE, typ, name))
        else:
            options = new[key].get("options", {})
            change = step(typ, old[former]["inputs"], new[key]["inputs"], options)
            if change is not None:
                changes.append(replace(change, name=name))
    return changes


def summary(changes: Iterable[Change]) -> str:
    """`N to add, N to change, N to replace, N to delete`, as `pulumi preview` counts them."""
    counts = {op: 0 for op in (ADD, UPDATE, REPLACE, DELETE)}
    for change in changes:
        counts[change.op] += 1
    return (
        f"{counts[ADD]} to add, {counts[UPDATE]} to change, {counts[REPLACE]} to replace, "
        f"{counts[DELETE]} to delete"
    )
