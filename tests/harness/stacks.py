"""The committed stacks (stacks/Pulumi.<stack>.yaml) evaluated under mocks, and their snapshots.

`stack_config(stack)` reads a stack file the way the engine hands it to the program:
`secure:` values replaced by a placeholder and marked secret (evaluate() injects
Pulumi.yaml's defaults for the keys it leaves out). `snapshot(stack)` evaluates the
program on it and renders the resource graph as sorted, deterministic JSON with secret
values replaced by a marker and the checkout's absolute path replaced by `<repo>`
(`make snapshot` writes them).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.harness.pulumi_program import PROJECT, Evaluation, RecordingMocks, evaluate
from tests.harness.tools import REPO

STACKS_DIR = REPO / "stacks"
SNAPSHOTS_DIR = REPO / "snapshots"
SECRET_MARKER = "[secret {digest}]"
"""What stands in a snapshot for a secret value: a short digest of it, so a reviewer sees
that a secret changed (never what it is: the mocks hold placeholders, not real secrets)."""
SECRET_PLACEHOLDER = "placeholder-secret-value"
REPO_MARKER = "<repo>"


def stack_names() -> list[str]:
    """Every committed stack, from the file names stacks/Pulumi.<stack>.yaml."""
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml")
                  for p in STACKS_DIR.glob("Pulumi.*.yaml"))  # fmt: skip


@dataclass(frozen=True)
class StackValues:
    """A stack's configuration as the program receives it."""

    values: dict[str, Any]
    secret_keys: tuple[str, ...]


def stack_config(stack: str, path: Path | None = None) -> StackValues:
    """Read a stack file: its values, secure values secret (evaluate() adds Pulumi.yaml's
    defaults for the keys it leaves out, as the CLI does)."""
    path = path or STACKS_DIR / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text()) or {}
    values: dict[str, Any] = {}
    secret: list[str] = []
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key] = SECRET_PLACEHOLDER
            secret.append(key)
        else:
            values[key] = value
    return StackValues(values=values, secret_keys=tuple(sorted(secret)))


def evaluate_stack(
    stack: str,
    config: StackValues | None = None,
    *,
    mocks: RecordingMocks | None = None,
    preview: bool = False,
    state: Evaluation | None = None,
) -> Evaluation:
    """Run the program under mocks on a committed stack's configuration.

    Unless `mocks` is given, the mocked EC2 answers that the VPC holds exactly the subnets
    the stack lists, and the mocks answer against `state` (RecordingMocks.state: the last
    up's Evaluation, or EMPTY_STATE) as the engine would.
    """
    config = config or stack_config(stack)
    if mocks is None:
        subnets: list[str] = []
        for key in (f"{PROJECT}:subnetIds", f"{PROJECT}:railsSubnetIds"):
            subnets += [s for s in config.values.get(key) or [] if s not in subnets]
        mocks = RecordingMocks(vpc_subnets=subnets or ["subnet-0aaa1111"], state=state)
    return evaluate(
        {},
        stack=stack,
        base=config.values,
        secret_keys=config.secret_keys,
        mocks=mocks,
        preview=preview,
    )


def secret_marker(value: Any) -> str:
    """SECRET_MARKER for `value` (deterministic across checkouts)."""
    text = json.dumps(_scrub(value, False), sort_keys=True, ensure_ascii=False)
    return SECRET_MARKER.format(digest=hashlib.sha256(text.encode()).hexdigest()[:12])


def _scrub(value: Any, secret: bool) -> Any:
    if secret:
        return secret_marker(value)
    if isinstance(value, dict):
        return {k: _scrub(v, False) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_scrub(v, False) for v in value]
    if isinstance(value, str):
        return value.replace(str(REPO), REPO_MARKER)
    return value


def document(evaluation: Evaluation, *, mask: bool = True) -> dict[str, Any]:
    """The graph as plain data: resources sorted by (type, name) with their inputs and the
    resource options set on them, and the stack outputs; secret values masked unless
    `mask` is false (the day-2 tests compare real values)."""
    resources = []
    for r in sorted(evaluation.resources, key=lambda r: (r.typ, r.name)):
        # the parent's own type and name (its URN's last type segment and name)
        parent = ""
        if r.parent.count("::") >= 3:
            *_, qualified_type, parent_name = r.parent.split("::")
            parent = f"{qualified_type.rsplit('$', 1)[-1]}::{parent_name}"
        resource = {
            "type": r.typ,
            "name": r.name,
            "parent": parent,
            "inputs": {
                k: _scrub(v, mask and k in r.secret_inputs) for k, v in sorted(r.inputs.items())
            },
        }
        if r.options:
            resource["options"] = r.options
        resources.append(resource)
    outputs = {
        k: _scrub(v, mask and k in evaluation.secret_outputs)
        for k, v in sorted(evaluation.outputs.items())
    }
    return {"resources": resources, "outputs": outputs}


def render(evaluation: Evaluation) -> str:
    """snapshots/<stack>.json's text: document() as sorted, indented JSON."""
    return json.dumps(document(evaluation), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def snapshot(stack: str) -> str:
    """snapshots/<stack>.json's content for the current program and stack file."""
    return render(evaluate_stack(stack))


def snapshot_path(stack: str) -> Path:
    return SNAPSHOTS_DIR / f"{stack}.json"


def stale_snapshot(stack: str) -> str | None:
    """Why snapshots/<stack>.json does not match the program (None when it does)."""
    path = snapshot_path(stack)
    if not path.is_file():
        return f"snapshots/{stack}.json is missing: run `make snapshot` and commit snapshots/"
    if path.read_text() != snapshot(stack):
        return (
            f"snapshots/{stack}.json is stale (the resource graph changed): run `make snapshot` "
            "and commit snapshots/ so the change shows in the pull request"
        )
    return None


def rails_cli_outputs(cluster_arn: str, *, drop: str | None = None) -> dict[str, Any]:
    """The dev stack's committed outputs (snapshots/dev.json) with an ECS cluster ARN, as
    `dockyard rails ...` reads them on stdin, optionally without one key of railsTasks."""
    outputs = json.loads(snapshot_path("dev").read_text())["outputs"]
    outputs["railsClusterArn"] = cluster_arn
    if drop is not None:
        del outputs["railsTasks"][drop]
    return dict(outputs)
