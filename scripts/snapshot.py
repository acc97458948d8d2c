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

Then, per stack, what a `pulumi preview` would show right after an `up` of that graph
(mocks answering as the engine does against the up's state: tests/harness/
pulumi_program.RecordingMocks.state), and what the same preview shows when run from
another checkout of the project at another path (a copy in a temporary directory,
evaluated in its own process). Both must be "0 to add, 0 to change, 0 to replace, 0 to
delete"; any step is listed and makes the exit status 1 (a perpetual diff). The same two
previews run for the stack `make up` makes for a newcomer (stacks/personal.example.yaml,
as stack `mine`; no snapshot file): its `me` is answered by a check-ip stand-in on
127.0.0.1 (tests/harness/checkip.py), never the internet.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dockyard.files import FileSpec, write_files
from tests.harness import stacks as stack_files
from tests.harness.checkout import copy_project, preview_from
from tests.harness.pulumi_program import EMPTY_STATE, Evaluation
from tests.harness.stacks import (
    PERSONAL_TEMPLATE,
    document,
    evaluate_stack,
    render,
    snapshot_path,
    stack_config,
    stack_names,
)
from tests.harness.update_plan import Change, plan, summary


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _report(title: str, changes: list[Change]) -> bool:
    """Print one plan; True when it has no step."""
    print(f"{title}: {summary(changes)}")
    for change in changes:
        print(f"  {change}")
    return not changes


PERSONAL_STACK = "mine"
"""The name the newcomer's stack (stacks/personal.example.yaml) is evaluated under."""


def previews_after_up(ups: dict[str, Evaluation], sources: dict[str, Path]) -> bool:
    """Report, per stack, the preview right after its up (evaluated on the file
    `sources[stack]`), here and from another checkout path; True when every one shows no
    step."""
    clean = True
    with tempfile.TemporaryDirectory(prefix="dockyard-checkout-") as temp:
        other = copy_project(Path(temp) / "dockyard")
        print(f"another checkout: {other}")
        for stack, up in ups.items():
            # the stack file the up was evaluated on, wherever it was read from
            source = sources[stack]
            (other / "stacks" / f"Pulumi.{stack}.yaml").write_text(source.read_text())
            before = document(up, mask=False)
            config = stack_config(stack, source)
            again = evaluate_stack(stack, config, preview=True, state=up)
            clean &= _report(
                f"{stack}: preview after up", plan(before, document(again, mask=False))
            )
            elsewhere = preview_from(other, stack, up)
            clean &= _report(f"{stack}: preview from another checkout", plan(before, elsewhere))
    return clean


def main() -> int:
    stacks = stack_names()
    if not stacks:
        print("snapshot: no stacks/Pulumi.<stack>.yaml found", file=sys.stderr)
        return 2
    contents: dict[Path, str] = {}
    ups: dict[str, Evaluation] = {}
    failed = 0
    for stack in stacks:
        try:
            ups[stack] = evaluate_stack(stack, state=EMPTY_STATE)
            text = render(ups[stack])
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
    sources = {stack: stack_files.STACKS_DIR / f"Pulumi.{stack}.yaml" for stack in ups}
    template = stack_files.STACKS_DIR / PERSONAL_TEMPLATE
    if template.is_file():
        print(f"{PERSONAL_STACK}: what `make up` makes from stacks/{PERSONAL_TEMPLATE}")
        config = stack_config(PERSONAL_STACK, template)
        ups[PERSONAL_STACK] = evaluate_stack(PERSONAL_STACK, config, state=EMPTY_STATE)
        sources[PERSONAL_STACK] = template
    clean = previews_after_up(ups, sources)
    return 1 if failed or not clean else 0


if __name__ == "__main__":
    sys.exit(main())
