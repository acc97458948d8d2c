"""Several files written together are written all or nothing (issue 23).

`dockyard inventory -o FILE --agent-yml PATH` writes two files. When the second cannot be
written (a directory stands in its place), the first must keep its old content.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.files import FileSpec, write_files
from tests.harness.describe_instances import document, instance
from tests.harness.tools import assert_bad_input, run_dockyard

pytestmark = pytest.mark.integration


def test_inventory_and_agent_yml_are_written_together_or_not_at_all(tmp_path: Path) -> None:
    """The agent.yml target is a directory: exit 2, the old inventory file is unchanged."""
    old = tmp_path / "hosts.ini"
    old.write_text("old inventory\n", encoding="utf-8")
    (tmp_path / "agent.yml").mkdir()
    doc = document([instance("i-0a", public="54.0.0.1", private="10.0.0.1")])
    proc = run_dockyard(
        ["inventory", "-o", str(old), "--agent-yml", str(tmp_path / "agent.yml")],
        json.dumps(doc),
        tmp_path,
        {"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
    )
    assert_bad_input(proc, "nothing was written")
    assert old.read_text(encoding="utf-8") == "old inventory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.yml", "hosts.ini"]


def test_a_rename_that_fails_midway_puts_every_old_file_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second rename fails after the first succeeded: the first file is restored."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_text("old a", encoding="utf-8")
    second.write_text("old b", encoding="utf-8")
    real_replace = Path.replace

    def failing_replace(self: Path, target: Path) -> Path:
        if Path(target) == second and self.name.startswith(".b."):
            raise OSError(28, "No space left on device")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", failing_replace)
    with pytest.raises(OSError, match="No space"):
        write_files([FileSpec(first, "new a"), FileSpec(second, "new b")])
    assert first.read_text(encoding="utf-8") == "old a"
    assert second.read_text(encoding="utf-8") == "old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]
