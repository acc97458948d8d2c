"""The offline update plan (tests/harness/update_plan.py) and the harness behaving like the
CLI: Pulumi.yaml defaults injected, lookups in the stack's region, preview mode."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.harness import stacks
from tests.harness.pulumi_program import evaluate
from tests.harness.replacements import FORCES_REPLACEMENT
from tests.harness.tools import REPO
from tests.harness.update_plan import ADD, DELETE, REPLACE, UPDATE, Change, plan, summary

INSTANCE = "aws:ec2/instance:Instance"


def _graph(*resources: tuple[str, str, dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    return {
        "resources": [
            {"type": t, "name": n, "inputs": i, **({"options": o} if o else {})}
            for t, n, i, o in resources
        ]
    }


HOST = {"ami": "ami-1", "instanceType": "t3.small", "rootBlockDevice": {"encrypted": True}}


@pytest.mark.parametrize(
    ("after", "options", "expected"),
    [
        (
            {**HOST, "instanceType": "t3.large"},
            {},
            Change(UPDATE, INSTANCE, "h", ("instanceType",)),
        ),
        ({**HOST, "ami": "ami-2"}, {}, Change(REPLACE, INSTANCE, "h", ("ami",), ("ami",))),
        ({**HOST, "ami": "ami-2"}, {"ignoreChanges": ["ami"]}, None),
        (
            {**HOST, "rootBlockDevice": {"encrypted": False}},
            {},
            Change(
                REPLACE,
                INSTANCE,
                "h",
                ("rootBlockDevice.encrypted",),
                ("rootBlockDevice.encrypted",),
            ),
        ),
        (
            {**HOST, "instanceType": "t3.large"},
            {"replaceOnChanges": ["instanceType"]},
            Change(REPLACE, INSTANCE, "h", ("instanceType",), ("instanceType",)),
        ),
        ({**HOST, "userData": "new"}, {}, Change(UPDATE, INSTANCE, "h", ("userData",))),
        (
            {**HOST, "userData": "new", "userDataReplaceOnChange": True},
            {},
            Change(
                REPLACE,
                INSTANCE,
                "h",
                ("userData", "userDataReplaceOnChange"),
                ("userData",),
            ),
        ),
        ({**HOST, "tags": {"Owner": "x"}}, {}, Change(UPDATE, INSTANCE, "h", ("tags.Owner",))),
        (HOST, {}, None),
    ],
)
def test_one_resource_change(
    after: dict[str, Any], options: dict[str, Any], expected: Change | None
) -> None:
    """An input change is an update unless the provider table (or replaceOnChanges, or a
    flag like userDataReplaceOnChange) says it forces a new resource; ignoreChanges hides
    it; tags never force a replacement; no change, no step."""
    changes = plan(_graph((INSTANCE, "h", HOST, {})), _graph((INSTANCE, "h", after, options)))
    assert changes == ([expected] if expected else [])


RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


@pytest.mark.parametrize(
    ("after", "op"),
    [
        ({"securityGroupId": "sg-1", "cidrIpv4": "192.0.2.0/24"}, UPDATE),
        ({"securityGroupId": "sg-1", "cidrIpv6": "2001:db8::/32"}, REPLACE),
        ({"securityGroupId": "sg-2", "cidrIpv4": "198.51.100.0/24"}, REPLACE),
    ],
)
def test_rule_source_kind(after: dict[str, Any], op: str) -> None:
    """A rule's new CIDR of the same family is an update; a change of the kind of source
    (IPv4 to IPv6) or of the security group is a replacement."""
    before = {"securityGroupId": "sg-1", "cidrIpv4": "198.51.100.0/24"}
    (change,) = plan(_graph((RULE, "r", before, {})), _graph((RULE, "r", after, {})))
    assert change.op == op


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        ({"securityGroupId": "sg-1", "cidrIpv4": "198.51.100.0/24"}, []),
        ({"securityGroupId": "sg-1", "cidrIpv4": "192.0.2.0/24"}, [UPDATE]),
    ],
)
def test_an_alias_renames(after: dict[str, Any], expected: list[str]) -> None:
    """A new resource whose aliases option names an old one is that resource renamed:
    compared with it (no add, no delete)."""
    before = {"securityGroupId": "sg-1", "cidrIpv4": "198.51.100.0/24"}
    changes = plan(
        _graph((RULE, "plots-0", before, {})),
        _graph((RULE, "plots-198-51-100-0-24", after, {"aliases": ["plots-0"]})),
    )
    assert [(c.op, c.name) for c in changes] == [(op, "plots-198-51-100-0-24") for op in expected]


@pytest.mark.parametrize("stack", stacks.stack_names())
def test_every_resource_type_the_program_makes_is_in_the_table(stack: str) -> None:
    """The replacement table covers every resource type a committed stack creates (a new
    type must get its provider reference before its replacements can be judged)."""
    graph = json.loads(stacks.snapshot_path(stack).read_text())
    made = {r["type"] for r in graph["resources"] if not r["type"].startswith("dockyard:")}
    assert made - FORCES_REPLACEMENT.keys() == set()


def test_added_and_deleted_resources_and_the_summary() -> None:
    """A resource only in the new graph is added, one only in the old is deleted; the
    summary counts like `pulumi preview`; replacements name the input and the source."""
    before = _graph((INSTANCE, "a", HOST, {}), (INSTANCE, "b", HOST, {}))
    after = _graph((INSTANCE, "b", {**HOST, "ami": "ami-9"}, {}), (INSTANCE, "c", HOST, {}))
    changes = plan(before, after)
    assert [(c.op, c.name) for c in changes] == [(DELETE, "a"), (REPLACE, "b"), (ADD, "c")]
    assert summary(changes) == "1 to add, 0 to change, 1 to replace, 1 to delete"
    assert "ami forces it" in str(changes[1]) and "ec2_instance.go" in str(changes[1])


def _load_snapshot_script() -> Any:
    spec = importlib.util.spec_from_file_location("snapshot_script", REPO / "scripts/snapshot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_snapshot_reports_each_stack_and_survives_a_broken_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make snapshot` prints per stack what changed against the committed snapshot; a
    stack that fails is one line naming it, the others are still written, exit 1."""
    (tmp_path / "stacks").mkdir()
    (tmp_path / "snapshots").mkdir()
    dev = (stacks.STACKS_DIR / "Pulumi.dev.yaml").read_text()
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(
        dev.replace("dockyard:hostCount: 2\n", "dockyard:hostCount: 3\n")
    )
    (tmp_path / "stacks" / "Pulumi.broken.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  dockyard:namePrefix: -bad\n"
    )
    (tmp_path / "snapshots" / "dev.json").write_text(stacks.snapshot_path("dev").read_text())
    monkeypatch.setattr(stacks, "STACKS_DIR", tmp_path / "stacks")
    monkeypatch.setattr(stacks, "SNAPSHOTS_DIR", tmp_path / "snapshots")
    assert _load_snapshot_script().main() == 1
    out, err = capsys.readouterr()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("snapshot: broken: dockyard:namePrefix: '-bad' is not a usable"), err
    assert "dev: 6 to add, 0 to change, 1 to replace, 0 to delete" in out
    assert "  + aws:ec2/instance:Instance docker-host-3" in out
    assert "  +- command:local:Command ansible-playbook (replaced: triggers" in out
    assert "wrote snapshots/dev.json" in out
    assert not (tmp_path / "snapshots" / "broken.json").exists()
    assert '"name": "dev-3"' in (tmp_path / "snapshots" / "dev.json").read_text()


def _tiny_program(tmp_path: Path, defaults: dict[str, Any], body: str) -> Path:
    """A one-file Pulumi project declaring `defaults` in its Pulumi.yaml."""
    config = {key: {"type": _type(value), "default": value} for key, value in defaults.items()}
    (tmp_path / "Pulumi.yaml").write_text(
        json.dumps({"name": "tiny", "runtime": "python", "config": config})
    )
    main = tmp_path / "__main__.py"
    main.write_text("import pulumi\n" + textwrap.dedent(body))
    return main


def _type(value: Any) -> str:
    return {bool: "boolean", int: "integer", list: "array", str: "string"}[type(value)]


def test_declared_defaults_arrive_as_the_cli_sends_them(tmp_path: Path) -> None:
    """Keys Pulumi.yaml declares with a default and the stack leaves out reach the program
    as the CLI sends them (an array as the JSON text "[]", a boolean as "true"); a key the
    stack sets keeps the stack's value; deleting a key (None) falls back to the default."""
    main = _tiny_program(
        tmp_path,
        {"names": [], "on": True, "count": 3, "label": "x"},
        """
        c = pulumi.Config()
        for key in ("names", "on", "count", "label"):
            pulumi.export(key, c.get(key))
        """,
    )
    result = evaluate({"tiny:label": "mine", "tiny:count": None}, main=main, project="tiny",
                      base={"tiny:count": "9"})  # fmt: skip
    assert result.outputs == {"names": "[]", "on": "true", "count": "3", "label": "mine"}


@pytest.mark.parametrize("preview", [False, True])
def test_preview_mode_and_region(tmp_path: Path, preview: bool) -> None:
    """evaluate(preview=True) runs the program as `pulumi preview` does (dry run), and
    lookups answer in the stack's aws:region."""
    main = _tiny_program(
        tmp_path,
        {},
        """
        import pulumi_aws as aws
        pulumi.export("dryRun", pulumi.runtime.is_dry_run())
        pulumi.export("subnetsIn", aws.ec2.get_subnets().id)
        """,
    )
    result = evaluate(
        {}, main=main, project="tiny", base={"aws:region": "eu-west-1"}, preview=preview
    )
    assert result.outputs == {"dryRun": preview, "subnetsIn": "eu-west-1"}


def test_a_stack_outside_us_east_1_evaluates_offline() -> None:
    """A stack in eu-west-1 whose Flocker zone comes from the control host evaluates: the
    mocks answer the host's zone in the stack's region (they answered us-east-1a, and the
    program stopped with "zone us-east-1a is not in region eu-west-1")."""
    config = stacks.stack_config("prod")
    values = {k: v for k, v in config.values.items() if k != "dockyard:flockerZone"}
    result = stacks.evaluate_stack("prod", replace(config, values=values))
    hosts = result.outputs["hosts"]
    assert {h["availabilityZone"] for h in hosts} == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    assert "zone: eu-west-1a\n" in result.outputs["agentYml"]
