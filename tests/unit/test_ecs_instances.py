"""dockyard.ecs_instances.user_data: the ECS container instances' user data (the Rails
flow's EC2 capacity, the fio flow's instance-store hosts). It runs for real in
tests/integration/test_fio_instance_store_user_data.py; shellcheck in test_rails_lint."""

from __future__ import annotations

import json

import pytest

from dockyard.ecs_instances import user_data


@pytest.mark.parametrize("name", ["", "bad name", "x$(id)", "a'b", "a" * 256, "dev\n", "dev\nx"])
def test_user_data_refuses_names_ecs_would_refuse(name: str) -> None:
    with pytest.raises(ValueError, match="is not an ECS cluster name"):
        user_data(name)


def test_user_data_joins_the_cluster_then_runs_the_setup_then_adds_the_attributes() -> None:
    """The cluster first (a host whose setup fails is still in it, not in `default`),
    then the setup, then the attributes: only a host whose setup succeeded has them."""
    text = user_data("dockyard-dev", setup="echo setup\n", attributes={"a.b": "mounted"})
    assert text.startswith("#!/bin/bash\nset -euo pipefail\n")
    cluster = text.index("ECS_CLUSTER=dockyard-dev\n")
    setup = text.index("echo setup\n")
    attributes = text.index("ECS_INSTANCE_ATTRIBUTES=")
    assert cluster < setup < attributes
    line = text[attributes:].splitlines()[0]
    assert json.loads(line.split("=", 1)[1]) == {"a.b": "mounted"}
    assert "ECS_AWSVPC_BLOCK_IMDS=true" in text and "ECS_ENABLE_TASK_IAM_ROLE=true" in text


def test_without_attributes_or_setup_it_only_joins() -> None:
    text = user_data("dockyard-dev")
    assert "ECS_INSTANCE_ATTRIBUTES" not in text
    assert text.count("<<'EOF'") == 1


@pytest.mark.parametrize(
    "attributes",
    [{"a b": "x"}, {"a": "x y"}, {"a": "x\\y"}, {"a": ""}, {"a": "x" * 129}, {"a": "x\n"}],
)
def test_attributes_ecs_config_would_misread_are_refused(attributes: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="is not one ECS takes"):
        user_data("dockyard-dev", attributes=attributes)
