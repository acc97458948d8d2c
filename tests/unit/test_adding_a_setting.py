"""CONTRIBUTING's recipe for a new setting, followed on a copy of the project: the files it
names are all a setting touches, and the value reaches the resource.

The copy gets a Rails key, `railsHealthCheckInterval`, declared in Pulumi.yaml, read in
components/config/rails.py, used by components/rails/app.py, and documented by
scripts/config_docs.py (`make docs`); the program is then evaluated under mocks in a
child process that imports the copy, not this checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.tools import REPO

KEY = "railsHealthCheckInterval"
RECIPE = ("Pulumi.yaml", "components/config/<flow>.py", "cfg.<field>", "make docs")
"""The steps CONTRIBUTING's "Config keys" names, in order."""

EVALUATE = """
import json, sys
from pathlib import Path
from tests.harness.pulumi_program import evaluate
config = json.loads(sys.argv[1])
result = evaluate(config, main=Path("__main__.py").resolve())
groups = result.of_type("aws:lb/targetGroup:TargetGroup")
print(json.dumps(sorted(g.inputs["healthCheck"]["interval"] for g in groups
                        if g.name.startswith("rails"))))
"""


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: the recipe's anchor {old!r} moved"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the tracked files with the setting added as CONTRIBUTING says."""
    copy = tmp_path_factory.mktemp("project")
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        if (REPO / name).is_file() and not name.startswith(("snapshots/", "benchmarks/")):
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    # 1. Pulumi.yaml: type, default, description
    _edit(
        copy / "Pulumi.yaml",
        "  railsLogRetentionDays:\n",
        f"  {KEY}:\n    type: integer\n    default: 15\n"
        "    description: Seconds between the load balancer's health checks of a web task.\n"
        "  railsLogRetentionDays:\n",
    )
    # 2. the flow's config: a field and one typed read
    config = copy / "components/config/rails.py"
    _edit(
        config, "    log_retention_days: int\n", "    log_retention_days: int\n    interval: int\n"
    )
    _edit(
        config,
        "        log_retention_days=retention,\n",
        "        log_retention_days=retention,\n"
        f'        interval=reader.integer("{KEY}", minimum=5, maximum=300),\n',
    )
    # 3. the component reads cfg.<field>
    _edit(copy / "components/rails/app.py", '"interval": 15,', '"interval": cfg.interval,')
    # 4. make docs
    subprocess.run([sys.executable, "scripts/config_docs.py"], cwd=copy, check=True)
    return copy


def _evaluate(project: Path, config: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The copy's program under mocks with Rails on, in a child importing the copy."""
    return subprocess.run(
        [sys.executable, "-c", EVALUATE, json.dumps({"dockyard:rails": "true", **config})],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project), "PYTHONSAFEPATH": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _intervals(project: Path, config: dict[str, str]) -> list[int]:
    proc = _evaluate(project, config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return list(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_contributing_names_the_recipe() -> None:
    """CONTRIBUTING's config-key convention names each step this test follows."""
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text[text.index("- **Config keys**") : text.index("- **Outputs**")]
    positions = [section.index(step) for step in RECIPE]
    assert positions == sorted(positions)


def test_the_new_setting_reaches_the_resource(project: Path) -> None:
    """Set, the value reaches the target group; unset, Pulumi.yaml's default does (the
    harness injects declared defaults as the CLI does); the docs table lists the key."""
    assert _intervals(project, {f"dockyard:{KEY}": "30"}) == [30]
    assert _intervals(project, {}) == [15]
    assert f"| `{KEY}` | integer | `15` |" in (project / "docs/configuration.md").read_text()


def test_a_bad_value_names_the_key(project: Path) -> None:
    """The typed read refuses what the new key does not allow, naming it."""
    proc = _evaluate(project, {f"dockyard:{KEY}": "1"})
    assert proc.returncode != 0
    assert f"dockyard:{KEY}:" in proc.stderr
