"""The documentation: a short README, links that resolve, and a config table that is current.

Links are read the way GitHub renders the Markdown: fenced code blocks and inline code
hold no links or headings, and an anchor is the GitHub slug of a heading in the target.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from tests.harness.tools import REPO

README = REPO / "README.md"
DOCUMENTS = sorted(
    [
        README,
        REPO / "CONTRIBUTING.md",
        REPO / "CHANGELOG.md",
        REPO / "benchmarks" / "README.md",
        *(REPO / "docs").glob("*.md"),
    ]
)
CONFIG_DOCS = REPO / "scripts" / "config_docs.py"
README_MAX_LINES = 250

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[`~]*[ \t]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*([^)\s]+)(?:\s+[\"'][^\"']*[\"'])?\s*\)"
)
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)


def prose(text: str) -> str:
    """The Markdown without fenced code blocks and inline code (neither holds links)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def links(text: str) -> list[str]:
    """Every link and image target in the Markdown, in order."""
    body = prose(text)
    return INLINE_LINK.findall(body) + REFERENCE_LINK.findall(body)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: link text kept, lower case, punctuation dropped,
    spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file (repeats get -1, -2, ...)."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text())):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(document: Path) -> Iterator[tuple[str, Path, str]]:
    """(link as written, the file it names, its anchor or "") for every relative link."""
    for target in links(document.read_text()):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("/"):
            continue
        path, _, anchor = target.partition("#")
        yield target, (document.parent / path).resolve() if path else document, anchor


def test_readme_is_a_landing_page() -> None:
    """README.md stays under 250 lines: the detail lives in docs/."""
    lines = README.read_text().count("\n")
    assert lines < README_MAX_LINES, f"README.md has {lines} lines; move detail to docs/"


def test_readme_says_what_it_means_instead_of_seed() -> None:
    """README.md never says "seed": it names the original hand-run workflow instead."""
    assert not re.search(r"\bseed", README.read_text(), re.IGNORECASE)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(document: Path) -> None:
    """Every relative link names a file of the repository that exists, and every anchor
    a heading in that file."""
    for written, target, anchor in relative_links(document):
        assert target.is_relative_to(REPO), f"{written}: outside the repository"
        assert target.exists(), f"{written}: {target.relative_to(REPO)} does not exist"
        if anchor:
            assert target.suffix == ".md", f"{written}: an anchor into a file that is not Markdown"
            assert anchor in anchors(target), f"{written}: no heading #{anchor} in {target.name}"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[a](docs/x.md) and ![b](img.png 'no') [c](#top)", ["docs/x.md", "img.png", "#top"]),
        ('[b](z.md "title") and [c](../y.md#part)', ["z.md", "../y.md#part"]),
        ("`[not](a.md)` and\n```sh\n[not](b.md)\n```\n[yes](c.md)", ["c.md"]),
        ("[ref]: ../README.md#first-deploy\n", ["../README.md#first-deploy"]),
    ],
)
def test_link_reader(markdown: str, expected: list[str]) -> None:
    """The link reader finds inline, image and reference links, and none inside code."""
    assert links(markdown) == expected


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("First deploy", "first-deploy"),
        (
            "`dockyard inventory`: an Ansible inventory from EC2",
            "dockyard-inventory-an-ansible-inventory-from-ec2",
        ),
        ("Rails + MySQL on ECS (flow 3)", "rails--mysql-on-ecs-flow-3"),
        ("Flocker's agent.yml (flow 1)", "flockers-agentyml-flow-1"),
        ("See [the docs](docs/x.md) now", "see-the-docs-now"),
        ("snake_case stays", "snake_case-stays"),
    ],
)
def test_slug_is_githubs(heading: str, expected: str) -> None:
    """Anchors are computed as GitHub computes them for headings."""
    assert slug(heading) == expected


def test_repeated_headings_get_numbered_anchors(tmp_path: Path) -> None:
    """A second heading with the same text gets the -1 anchor, as on GitHub."""
    page = tmp_path / "page.md"
    page.write_text("# Title\n## Setup\n```sh\n# not a heading\n```\n## Setup\n")
    assert anchors(page) == {"title", "setup", "setup-1"}


def test_config_table_is_current() -> None:
    """`scripts/config_docs.py --check` (what `make docs` would change) passes on the
    committed docs/configuration.md."""
    proc = subprocess.run(
        [sys.executable, str(CONFIG_DOCS), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def config_docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """scripts/config_docs.py pointed at copies of Pulumi.yaml and docs/configuration.md."""
    spec = importlib.util.spec_from_file_location("config_docs", CONFIG_DOCS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "docs").mkdir()
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(REPO / "docs" / "configuration.md", tmp_path / "docs" / "configuration.md")
    monkeypatch.setattr(module, "REPO", tmp_path)
    monkeypatch.setattr(module, "PROJECT_FILE", tmp_path / "Pulumi.yaml")
    monkeypatch.setattr(module, "DOC_FILE", tmp_path / "docs" / "configuration.md")
    return module


@pytest.mark.parametrize(
    ("key", "schema", "row"),
    [
        (
            "railsHealthPath",
            {"type": "string", "default": "/health", "description": "Path | checked <here>."},
            "| `railsHealthPath` | string | `/health` | Path \\| checked &lt;here&gt;. |",
        ),
        (
            "extraCidrs",
            {"type": "array", "items": {"type": "string"}, "default": [], "description": "More."},
            "| `extraCidrs` | string[] | (unset) | More. |",
        ),
    ],
)
def test_a_new_key_makes_the_table_stale_until_regenerated(
    config_docs: ModuleType,
    capsys: pytest.CaptureFixture[str],
    key: str,
    schema: dict[str, object],
    row: str,
) -> None:
    """A key added to Pulumi.yaml: --check exits 1 and changes nothing; a plain run writes
    its row (escaped for a table) into the right group, and --check then passes."""
    project = yaml.safe_load(config_docs.PROJECT_FILE.read_text())
    project["config"][key] = schema
    config_docs.PROJECT_FILE.write_text(yaml.safe_dump(project, sort_keys=False))
    before = config_docs.DOC_FILE.read_text()

    assert config_docs.main(["--check"]) == 1
    assert "make docs" in capsys.readouterr().err
    assert config_docs.DOC_FILE.read_text() == before

    assert config_docs.main([]) == 0
    after = config_docs.DOC_FILE.read_text()
    assert row in after.splitlines()
    group = "### Rails + MySQL on ECS (flow 3)" if key.startswith("rails") else "### Network"
    section = after[after.index(group) :].split("\n### ", 1)[0]
    assert row in section
    assert after.split(config_docs.BEGIN)[0] == before.split(config_docs.BEGIN)[0]
    assert config_docs.main(["--check"]) == 0


def test_a_page_without_markers_is_refused(
    config_docs: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the marker comments the script exits 2, names them, and writes nothing."""
    config_docs.DOC_FILE.write_text("# Configuration\n")
    assert config_docs.main([]) == 2
    assert config_docs.BEGIN in capsys.readouterr().err
    assert config_docs.DOC_FILE.read_text() == "# Configuration\n"
