"""What a preview from another checkout of the project shows.

`copy_project(dest)` copies the project (its files, modes kept, links not followed; no
.git, venv or caches) to another path, as a second clone would be; `evaluate_in(copy,
stack, state, preview=...)` evaluates that copy in its own Python process (its own
`components` and `dockyard`, its own PROJECT_DIR, working directory the copy: as `pulumi
preview` or `pulumi up` run there) against the state an `up` left; `preview_from` gives
the preview's graph (stacks.document, secrets unmasked) for update_plan.plan().

    python -m tests.harness.checkout STACK STATE.json [--up]   (run inside the copy)
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.harness.pulumi_program import Evaluation, Resource
from tests.harness.stacks import document
from tests.harness.tools import REPO

LEFT_OUT = (".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
            "*.egg-info", "node_modules")  # fmt: skip


def copy_project(dest: Path, source: Path = REPO) -> Path:
    """The project's files copied to `dest` (modes kept, symlinks copied as links)."""
    shutil.copytree(source, dest, symlinks=True, ignore=shutil.ignore_patterns(*LEFT_OUT))
    return dest


def state_json(evaluation: Evaluation) -> str:
    """An Evaluation as JSON (the state handed to another process)."""
    return json.dumps(
        {
            "resources": [
                {**dataclasses.asdict(r), "secret_inputs": sorted(r.secret_inputs)}
                for r in evaluation.resources
            ],
            "outputs": evaluation.outputs,
            "secret_outputs": sorted(evaluation.secret_outputs),
        },
        default=str,
    )


def state_from_json(text: str) -> Evaluation:
    document = json.loads(text)
    resources = [
        Resource(**{**r, "secret_inputs": frozenset(r["secret_inputs"])})
        for r in document["resources"]
    ]
    return Evaluation(resources, document["outputs"], frozenset(document["secret_outputs"]))


def evaluate_in(project: Path, stack: str, state: Evaluation, *, preview: bool) -> Evaluation:
    """`stack` evaluated by the checkout at `project`, in its own process and working
    directory, against `state`: a `pulumi preview` (preview) or a `pulumi up` run there."""
    state_file = project / ".dockyard-state.json"
    state_file.write_text(state_json(state))
    env = {**os.environ, "PYTHONPATH": str(project)}
    argv = [sys.executable, "-m", "tests.harness.checkout", stack, str(state_file)]
    done = subprocess.run(
        [*argv, *([] if preview else ["--up"])],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    state_file.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"evaluating {stack} in {project} failed:\n{done.stderr[-4000:]}")
    return state_from_json(done.stdout)


def preview_from(project: Path, stack: str, state: Evaluation) -> dict[str, Any]:
    """The graph a `pulumi preview` of `stack` run in the checkout at `project` shows
    against `state` (stacks.document, secrets unmasked), for update_plan.plan()."""
    return document(evaluate_in(project, stack, state, preview=True), mask=False)


def _main(argv: list[str]) -> int:
    from tests.harness import stacks  # the copy's own (PYTHONPATH is the copy)

    stack, state_file = argv[0], Path(argv[1])
    assert Path.cwd().resolve() == stacks.REPO, (stacks.REPO, Path.cwd())
    state = state_from_json(state_file.read_text())
    evaluation = stacks.evaluate_stack(stack, preview="--up" not in argv, state=state)
    print(state_json(evaluation))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
