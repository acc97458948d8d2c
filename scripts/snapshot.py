"""Write snapshots/<stack>.json for every stack in stacks/ (`make snapshot`), and say
what the next `pulumi up` of each stack would do compared with the committed snapshot.

Each snapshot is the program's resource graph evaluated under Pulumi mocks on that
stack's configuration: every resource's type, name, parent, inputs and the resource
options an update acts on, plus the stack outputs, sorted, with secret values replaced
by a marker. Reviewers read the diff of these files in a pull request;
tests/unit/test_snapshots.py fails when they are stale.

Per stack it prints the change against the committed file: `+` added, `~` updated (the
inputs), `+-` replaced (the input that forces it and where the provider says so), `-`
deleted. A stack that fails to evaluate is reported in one line naming it; the others
are still written, and the exit status is 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dockyard.files import FileSpec, write_files
from tests.harness.stacks import evaluate_stack, render, snapshot_path, stack_names
from tests.harness.update_plan import plan, summary


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def main() -> int:
    stacks = stack_names()
    if not stacks:
        print("snapshot: no stacks/Pulumi.<stack>.yaml found", file=sys.stderr)
        return 2
    contents: dict[Path, str] = {}
    failed = 0
    for stack in stacks:
        try:
            text = render(evaluate_stack(stack))
        except Exception as error:  # one stack's failure must not hide the others
            print(f"snapshot: {stack}: {_first_line(error)}", file=sys.stderr)
            failed += 1
            continue
        path = snapshot_path(stack)
        contents[path] = text
        if not path.is_file():
            print(f"{stack}: new snapshot")
            continue
        changes = plan(json.loads(path.read_text()), json.loads(text))
        print(f"{stack}: {summary(changes)}")
        for change in changes:
            print(f"  {change}")
    for path in contents:
        path.parent.mkdir(exist_ok=True)
    write_files([FileSpec(path, content) for path, content in contents.items()])
    for path in contents:
        print(f"wrote {path.parent.name}/{path.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
