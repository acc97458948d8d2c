"""Write the key table of docs/configuration.md from Pulumi.yaml (`make docs`).

Pulumi.yaml's `config:` block is the one source of the keys, their types, defaults and
descriptions. The table between the two marker comments in docs/configuration.md is
generated from it, one table per flow (grouped by key prefix); the prose around the
markers is written by hand and left as it is.

    .venv/bin/python scripts/config_docs.py            # rewrite the table in place
    .venv/bin/python scripts/config_docs.py --check    # exit 1 if the table is stale
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dockyard.files import write_file

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILE = REPO / "Pulumi.yaml"
DOC_FILE = REPO / "docs" / "configuration.md"
BEGIN = "<!-- BEGIN config keys: generated from Pulumi.yaml by scripts/config_docs.py -->"
END = "<!-- END config keys -->"

GROUPS: tuple[tuple[str, str], ...] = (
    ("Network, Docker hosts and Ansible (every flow, and flow 1)", ""),
    ("Flocker's agent.yml (flow 1)", "flocker"),
    ("fio storage benchmarks (flow 2)", "fio"),
    ("Rails + MySQL on ECS (flow 3)", "rails"),
)
"""(heading, key prefix) in the page's order; a key without a listed prefix joins the first."""


def _group(key: str) -> str:
    return next((title for title, prefix in GROUPS[1:] if key.startswith(prefix)), GROUPS[0][0])


def _type(schema: Mapping[str, Any]) -> str:
    if "type" not in schema:  # Pulumi's project schema has no object type: the map keys
        return "map"
    if schema["type"] == "array":
        return f"{schema['items']['type']}[]"
    return str(schema["type"])


def _default(schema: Mapping[str, Any]) -> str:
    value = schema.get("default")
    if value in (None, "", [], {}):
        return "(unset)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    """One table cell: one line, `|` escaped, and <...> shown rather than read as HTML."""
    text = " ".join(str(text).split())
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def key_tables(config: Mapping[str, Mapping[str, Any]]) -> str:
    """The generated Markdown: a heading and a key | type | default | description table per
    group, keys in Pulumi.yaml's order."""
    rows: dict[str, list[str]] = {title: [] for title, _ in GROUPS}
    for key, schema in config.items():
        rows[_group(key)].append(
            f"| `{key}` | {_type(schema)} | {_default(schema)} | "
            f"{_cell(schema.get('description', ''))} |"
        )
    header = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    return "\n\n".join(
        "\n".join([f"### {title}", "", *header, *group]) for title, group in rows.items() if group
    )


def with_tables(doc: str, tables: str) -> str:
    """The page with everything between the markers replaced by `tables`."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if len(pattern.findall(doc)) != 1:
        raise ValueError(f"needs exactly one {BEGIN} ... {END} block")
    return pattern.sub(lambda _: f"{BEGIN}\n\n{tables}\n\n{END}", doc)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the table is stale")
    args = parser.parse_args(argv)
    config = yaml.safe_load(PROJECT_FILE.read_text())["config"]
    doc = DOC_FILE.read_text()
    rel = DOC_FILE.relative_to(REPO)
    try:
        current = with_tables(doc, key_tables(config))
    except ValueError as err:
        print(f"config_docs: {rel}: {err}", file=sys.stderr)
        return 2
    if current == doc:
        print(f"config_docs: {rel} is current")
        return 0
    if args.check:
        print(
            f"config_docs: {rel} is stale (Pulumi.yaml changed): run `make docs` "
            "(python scripts/config_docs.py) and commit it",
            file=sys.stderr,
        )
        return 1
    write_file(DOC_FILE, current)
    print(f"config_docs: wrote {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
