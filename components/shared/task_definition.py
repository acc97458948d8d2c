"""One way to register an ECS task definition: from a RegisterTaskDefinition request.

`definition` is botocore's RegisterTaskDefinition request shape (camelCase keys), as the
pure functions in dockyard/ build it, whose values may be Pulumi Outputs. It is
converted to aws.ecs.TaskDefinition arguments and nothing else; absent keys are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, cast

import pulumi
import pulumi_aws as aws

_SCALARS = ("family", "networkMode", "cpu", "memory", "executionRoleArn", "taskRoleArn")
_VOLUME_KEYS = {
    "name": "name",
    "host": "host_path",
    "configuredAtLaunch": "configure_at_launch",
    "efsVolumeConfiguration": "efs_volume_configuration",
}


def _snake(value: Any) -> Any:
    """camelCase keys of nested plain mappings as snake_case (Pulumi's input names)."""
    if isinstance(value, Mapping):
        return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): _snake(v) for k, v in value.items()}
    return value


def _volume(volume: Mapping[str, Any]) -> dict[str, Any]:
    entry = {_VOLUME_KEYS[k]: _snake(v) for k, v in volume.items() if k in _VOLUME_KEYS}
    if "host_path" in entry:
        entry["host_path"] = entry["host_path"]["source_path"]
    return entry


def _args(definition: Mapping[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {
        re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): definition[k]
        for k in _SCALARS
        if k in definition
    }
    if "requiresCompatibilities" in definition:
        args["requires_compatibilities"] = definition["requiresCompatibilities"]
    if "runtimePlatform" in definition:
        args["runtime_platform"] = _snake(definition["runtimePlatform"])
    if "volumes" in definition:
        args["volumes"] = [_volume(v) for v in definition["volumes"]]
    if "placementConstraints" in definition:
        args["placement_constraints"] = [_snake(c) for c in definition["placementConstraints"]]
    if "containerDefinitions" in definition:
        args["container_definitions"] = pulumi.Output.json_dumps(definition["containerDefinitions"])
    return args


def _pick(whole: pulumi.Output[dict[str, Any]], key: str) -> pulumi.Output[Any]:
    return whole.apply(lambda args: args.get(key))


def register_task_definition(
    resource_name: str,
    definition: pulumi.Input[Mapping[str, Any]],
    *,
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.ecs.TaskDefinition:
    """An aws.ecs.TaskDefinition holding exactly `definition` (RegisterTaskDefinition shape)."""
    if isinstance(definition, Mapping):
        args = _args(definition)
    else:
        whole = pulumi.Output.from_input(cast(Any, definition)).apply(_args)
        keys = ["family", "network_mode", "cpu", "memory", "execution_role_arn", "task_role_arn"]
        keys += ["requires_compatibilities", "runtime_platform", "volumes", "container_definitions"]
        keys += ["placement_constraints"]
        args = {key: _pick(whole, key) for key in keys}
    return aws.ecs.TaskDefinition(resource_name, tags=dict(tags), opts=opts, **args)
