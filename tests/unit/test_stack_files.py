"""The committed stack files: typed against Pulumi.yaml's schema, documented in docs/
(configuration.md, outputs.md), different where real stacks differ, and bad values fail
naming the key."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
import yaml

from tests.harness.pulumi_program import PROJECT, config_error
from tests.harness.stacks import STACKS_DIR, evaluate_stack, stack_config, stack_names
from tests.harness.tools import REPO

SCHEMA: dict[str, Any] = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
MAP_KEYS = tuple(key for key, schema in SCHEMA.items() if "type" not in schema)
"""Map-valued keys (tags, ansibleExtraVars, hostTuning, hostQos, railsEnv, railsSecrets,
railsSecretValues):
Pulumi.yaml's config schema has no object type, so they are declared without one, with
the default {}."""
CONFIGURATION_DOC = (REPO / "docs" / "configuration.md").read_text()
OUTPUTS_DOC = (REPO / "docs" / "outputs.md").read_text()
TYPES = {"string": str, "integer": int, "boolean": bool, "array": list}


def stack_file(stack: str) -> dict[str, Any]:
    document = yaml.safe_load((STACKS_DIR / f"Pulumi.{stack}.yaml").read_text())
    config = document["config"]
    assert isinstance(config, dict)
    return config


@pytest.mark.parametrize("stack", stack_names())
def test_stack_values_have_the_declared_types(stack: str) -> None:
    """Every dockyard key in the stack file is declared in Pulumi.yaml and has its type."""
    for full, value in stack_file(stack).items():
        namespace, key = full.split(":", 1)
        if namespace != PROJECT:
            continue
        if key in MAP_KEYS:
            assert isinstance(value, dict), full
            continue
        assert key in SCHEMA, f"{full} is not declared in Pulumi.yaml"
        expected = TYPES[SCHEMA[key]["type"]]
        assert isinstance(value, expected) and not (expected is int and value is True), (
            f"{full}: {value!r} is not a {SCHEMA[key]['type']}"
        )


def test_every_key_is_typed_described_and_in_the_configuration_doc() -> None:
    """Pulumi.yaml gives each key a type Pulumi accepts (string, integer, boolean, array of
    items; the map keys none, with the default {}) and a description; docs/configuration.md's
    tables list it."""
    table = set(re.findall(r"^\| `([A-Za-z0-9]+)` \|", CONFIGURATION_DOC, re.MULTILINE))
    assert set(MAP_KEYS) == {
        "tags",
        "ansibleExtraVars",
        "hostTuning",
        "hostQos",
        "railsEnv",
        "railsSecrets",
        "railsSecretValues",
    }
    for key, schema in SCHEMA.items():
        assert schema.get("description"), key
        assert key in table, f"docs/configuration.md's tables lack {key}"
        if key in MAP_KEYS:
            assert schema.get("default") == {}, key
            continue
        assert schema.get("type") in TYPES, key
        # Pulumi's project schema: an array declares its items' type
        assert schema["type"] != "array" or schema.get("items", {}).get("type") in TYPES, key


def test_dev_and_prod_differ_like_real_stacks() -> None:
    """prod has more, larger hosts, private addresses, other admin CIDRs and EC2 capacity."""
    dev, prod = stack_file("dev"), stack_file("prod")
    for key in ("hostCount", "instanceType", "adminCidrs", "publicIp", "railsCapacity"):
        assert dev[f"dockyard:{key}"] != prod[f"dockyard:{key}"], key
    assert prod["dockyard:hostCount"] > dev["dockyard:hostCount"]


@pytest.mark.parametrize("stack", stack_names())
def test_outputs_doc_lists_every_stack_output(stack: str) -> None:
    """docs/outputs.md's tables name every output the stack exports and say which are
    secret, matching the program."""
    evaluation = evaluate_stack(stack)
    rows = dict(re.findall(r"^\| `([A-Za-z]+)` \| [^|]+ \| (yes|no) \|", OUTPUTS_DOC, re.MULTILINE))
    assert set(evaluation.outputs) <= set(rows), set(evaluation.outputs) - set(rows)
    for name in evaluation.outputs:
        assert (rows[name] == "yes") == (name in evaluation.secret_outputs), name


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"dockyard:hostCount": "many"}, "dockyard:hostCount", "whole number"),
        ({"dockyard:rails": "sometimes"}, "dockyard:rails", "true or false"),
        ({"dockyard:subnetIds": {"a": "subnet-1"}}, "dockyard:subnetIds", "list of subnet ids"),
        ({"dockyard:adminCidrs": ["office"]}, "dockyard:adminCidrs", "CIDR"),
        ({"dockyard:railsCapacity": "spot"}, "dockyard:railsCapacity", "one of ec2, fargate"),
        ({"dockyard:subnetIds": ["subnet-0aaa1111"]}, "dockyard:vpcId", "subnetIds is"),
        ({"dockyard:keyName": "dev-ops"}, "dockyard:sshPrivateKeyPath", "required when"),
    ],
)
def test_bad_stack_config_names_the_key(change: dict[str, Any], key: str, words: str) -> None:
    """The dev stack with one wrong-typed or missing required key fails naming that key."""
    config = stack_config("dev")
    values = {**config.values, **change}
    values = {k: v for k, v in values.items() if v is not None}
    config_error(lambda: evaluate_stack("dev", replace(config, values=values)), key, words)
