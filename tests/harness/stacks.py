"""The committed stacks (stacks/Pulumi.<stack>.yaml) evaluated under mocks, and their snapshots.

`stack_config(stack)` reads a stack file the way the engine hands it to the program:
`secure:` values replaced by a placeholder and marked secret (evaluate() injects
Pulumi.yaml's defaults for the keys it leaves out), and the example stacks' placeholder
ids (components.config.network.PLACEHOLDER_ID, which the program refuses) replaced by
stand-ins (`vpc-0fe0...` -> `vpc-0ab0...`): prod's snapshot is the graph of prod once its
network ids are filled in. `evaluate_stack` serves `me` (adminCidrs) from a check-ip
stand-in on 127.0.0.1 (tests/harness/checkip.py), never the internet.
`snapshot(stack)` evaluates the program on it and renders the resource graph as sorted,
deterministic JSON with secret values replaced by a marker and the checkout's absolute
path replaced by `<repo>` (`make snapshot` writes them).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.config.network import PLACEHOLDER_ID
from dockyard.checkip import CHECKIP_URL_ENV, ME
from tests.harness.checkip import UNSERVED, served_checkip
from tests.harness.pulumi_program import PROJECT, Evaluation, RecordingMocks, evaluate
from tests.harness.tools import REPO

STACKS_DIR = REPO / "stacks"
SNAPSHOTS_DIR = REPO / "snapshots"
SECRET_MARKER = "[secret {digest}]"
"""What stands in a snapshot for a secret value: a short digest of it, so a reviewer sees
that a secret changed (never what it is: the mocks hold placeholders, not real secrets)."""
SECRET_PLACEHOLDER = "placeholder-secret-value"
REPO_MARKER = "<repo>"
PERSONAL_TEMPLATE = "personal.example.yaml"
"""What `make up` copies to stacks/Pulumi.<STACK>.yaml for a stack that has no file yet."""
PLACEHOLDER_STANDIN = ("-0fe0", "-0ab0")
"""A placeholder id's stand-in: the same id with this part replaced."""


def stack_names() -> list[str]:
    """Every shared stack, from the file names stacks/Pulumi.<stack>.yaml that git tracks
    or would (personal stacks, which .gitignore leaves out, are not listed); outside a git
    checkout, every such file."""
    files = sorted(STACKS_DIR.glob("Pulumi.*.yaml"))
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", "."],
        cwd=STACKS_DIR, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if listed.returncode == 0:
        shared = {Path(name).name for name in listed.stdout.split("\0") if name}
        files = [p for p in files if p.name in shared]
    return [p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in files]


@dataclass(frozen=True)
class StackValues:
    """A stack's configuration as the program receives it."""

    values: dict[str, Any]
    secret_keys: tuple[str, ...]


def _without_secure(value: Any) -> Any:
    """`value` with each `{secure: ...}` in it (whole, or nested in a map or list, as
    `pulumi config set --secret --path` writes it) replaced by the placeholder. A key
    holding one anywhere is a secret key, as the CLI marks it (pulumi/pulumi
    sdk/go/common/resource/config/value.go @507db165: an object's `secure` is
    hasSecureValue)."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {k: _without_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secure(v) for v in value]
    return value


def standin(value: Any) -> Any:
    """`value` (a config value) with each placeholder id replaced by its stand-in."""
    if isinstance(value, list):
        return [standin(v) for v in value]
    if isinstance(value, str) and PLACEHOLDER_ID.fullmatch(value):
        return value.replace(*PLACEHOLDER_STANDIN, 1)
    return value


def stack_config(stack: str, path: Path | None = None, *, standins: bool = True) -> StackValues:
    """Read a stack file: its values, secure values secret (evaluate() adds Pulumi.yaml's
    defaults for the keys it leaves out, as the CLI does), placeholder ids replaced by
    stand-ins unless `standins` is false."""
    path = path or STACKS_DIR / f"Pulumi.{stack}.yaml"
    document = yaml.safe_load(path.read_text()) or {}
    values: dict[str, Any] = {}
    secret: list[str] = []
    for key, value in (document.get("config") or {}).items():
        plain = _without_secure(value)
        if plain != value:
            values[key] = plain
            secret.append(key)
        else:
            values[key] = standin(value) if standins else value
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
    # `me` answered on 127.0.0.1, unless the caller serves its own answer already
    me = ME in (config.values.get(f"{PROJECT}:adminCidrs") or [])
    served = os.environ.get(CHECKIP_URL_ENV, UNSERVED) != UNSERVED
    with served_checkip() if me and not served else contextlib.nullcontext():
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
