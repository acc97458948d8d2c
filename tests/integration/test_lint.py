"""Repository-wide static checks with the real tools: ruff, mypy, shellcheck, hadolint,
and the import graph of dockyard/ and components/ (grimp).

Files are found from git, so every script and Dockerfile added later is covered.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
from pathlib import Path

import grimp
import pytest

from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration


def _tracked() -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    return [REPO / name for name in listing.split("\0") if name and (REPO / name).is_file()]


def _is_shell(path: Path) -> bool:
    if path.suffix == ".sh":
        return True
    with path.open("rb") as handle:
        first = handle.readline()
    return first.startswith(b"#!") and (b"bash" in first or first.rstrip().endswith(b"/sh"))


SHELL_SCRIPTS = sorted(p for p in _tracked() if _is_shell(p))
DOCKERFILES = sorted(p for p in _tracked() if p.name == "Dockerfile")


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, timeout=600)


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_shellcheck(script: Path) -> None:
    """Every shell script in the repo is executable and shellcheck-clean at style severity."""
    assert script.stat().st_mode & 0o111, f"{script} must be executable"
    proc = _run([require_tool("shellcheck"), "--severity=style", "--shell=bash", str(script)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(REPO)))
def test_hadolint(dockerfile: Path) -> None:
    """Every Dockerfile is hadolint-clean (threshold: info)."""
    proc = _run([require_tool("hadolint"), "--failure-threshold", "info", str(dockerfile)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_lint_found_the_files() -> None:
    """The discovery above sees the known scripts and images (so the checks cannot be empty)."""
    names = {str(p.relative_to(REPO)) for p in SHELL_SCRIPTS}
    assert {"ansible/run-playbook.sh", "inventory/dockyard-inventory", ".ci/run"} <= names
    assert len(DOCKERFILES) >= 2


@pytest.mark.parametrize(
    "argv",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_python_static_checks(argv: list[str]) -> None:
    """ruff (lint + format) on the repo and mypy --strict on dockyard/ and components/."""
    proc = _run([require_tool(argv[0]), *argv[1:]])
    assert proc.returncode == 0, proc.stdout + proc.stderr


PACKAGES = ("dockyard", "components")


@pytest.fixture(scope="module")
def import_graph() -> grimp.ImportGraph:
    """Every import in dockyard/ and components/, function-level ones included."""
    return grimp.build_graph(*PACKAGES, include_external_packages=True, cache_dir=None)


def test_no_import_cycles(import_graph: grimp.ImportGraph) -> None:
    """No module of dockyard/ or components/ imports itself back through other modules."""
    ours = {m for m in import_graph.modules if m.partition(".")[0] in PACKAGES}
    assert {"dockyard.cli", "dockyard.commands.inventory", "components.fio.bench"} <= ours
    edges = {m: import_graph.find_modules_directly_imported_by(m) & ours for m in ours}
    try:
        graphlib.TopologicalSorter(edges).prepare()
    except graphlib.CycleError as err:
        # graphlib lists each module before the one that imports it
        pytest.fail(f"import cycle (A -> B: A imports B): {' -> '.join(reversed(err.args[1]))}")


def test_no_test_module_imports_another() -> None:
    """Shared test code lives in tests/harness: a test module importing another drags its
    fixtures and module-level setup along (and runs them twice)."""
    graph = grimp.build_graph("tests", cache_dir=None)
    test_modules = {m for m in graph.modules if m.rpartition(".")[2].startswith("test_")}
    assert {"tests.unit.test_cli", "tests.day2.test_hosts"} <= test_modules
    found = sorted(
        f"{m} imports {other}"
        for m in test_modules
        for other in graph.find_modules_directly_imported_by(m) & test_modules
    )
    assert found == []


def test_dockyard_never_imports_pulumi(import_graph: grimp.ImportGraph) -> None:
    """The one dependency rule, __main__ -> components/ -> dockyard/: dockyard/ reaches
    neither components/ nor any Pulumi SDK, directly or through other modules."""
    forbidden = sorted(
        m for m in import_graph.modules if m == "components" or m.split("_")[0] == "pulumi"
    )
    assert {"components", "pulumi", "pulumi_aws"} <= set(forbidden)
    chains = [
        " -> ".join(chain)
        for target in forbidden
        if (chain := import_graph.find_shortest_chain("dockyard", target, as_packages=True))
    ]
    assert chains == []


def _definitions(tree: ast.Module) -> list[str]:
    """Names a module defines at top level (classes, functions, assignments)."""
    names = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("DockyardError", "dockyard/errors.py"),
        ("UsageError", "dockyard/errors.py"),
        ("EXIT_BAD_INPUT", "dockyard/errors.py"),
        ("PLOTS_PORT", "dockyard/fio/__init__.py"),
    ],
)
def test_defined_once(name: str, home: str) -> None:
    """The shared error, exit status and report port are defined in one module each."""
    homes = [
        str(path.relative_to(REPO))
        for path in _tracked()
        if path.suffix == ".py"
        and path.relative_to(REPO).parts[0] in PACKAGES
        and name in _definitions(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert homes == [home]


MAX_FUNCTION_LINES = 80
"""CONTRIBUTING's limit: a function longer than a screen is cut into named steps."""


def _long_functions(tree: ast.AST, where: str) -> list[str]:
    return [
        f"{where}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def test_long_functions_are_found() -> None:
    """The check sees a method one line over the limit, and not a function at it."""
    lines = ["x = 1"] * (MAX_FUNCTION_LINES - 1)
    at_limit = ast.parse("def at_limit():\n" + "".join(f"    {line}\n" for line in lines))
    assert _long_functions(at_limit, "a.py") == []
    body = "".join(f"        {line}\n" for line in [*lines, "y = 2"])
    over = ast.parse(f"class C:\n    def over(self):\n{body}")
    assert _long_functions(over, "a.py") == [f"a.py:2 over ({MAX_FUNCTION_LINES + 1} lines)"]


def test_no_function_over_80_lines() -> None:
    """No function or method in components/ or dockyard/ is over MAX_FUNCTION_LINES."""
    found = [
        line
        for path in _tracked()
        if path.suffix == ".py" and path.relative_to(REPO).parts[0] in PACKAGES
        for line in _long_functions(
            ast.parse(path.read_text(encoding="utf-8")), str(path.relative_to(REPO))
        )
    ]
    assert found == []
