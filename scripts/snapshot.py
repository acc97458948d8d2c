"""Write snapshots/<stack>.json for every stack in stacks/ (`make snapshot`).

Each snapshot is the program's resource graph evaluated under Pulumi mocks on that
stack's configuration: every resource's type, name, parent and inputs, plus the stack
outputs, sorted, with secret values replaced by a marker. Reviewers read the diff of
these files in a pull request; tests/unit/test_snapshots.py fails when they are stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dockyard.files import FileSpec, write_files
from tests.harness.stacks import snapshot, snapshot_path, stack_names


def main() -> int:
    stacks = stack_names()
    if not stacks:
        print("snapshot: no stacks/Pulumi.<stack>.yaml found", file=sys.stderr)
        return 2
    contents = {snapshot_path(stack): snapshot(stack) for stack in stacks}
    for path in contents:
        path.parent.mkdir(exist_ok=True)
    write_files([FileSpec(path, content) for path, content in contents.items()])
    for path in contents:
        print(f"wrote {path.parent.name}/{path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
