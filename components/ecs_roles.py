"""The IAM roles every ECS task here needs, made the same way by each component."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from dockyard.iam import assume_role_policy

ECS_TASKS = "ecs-tasks.amazonaws.com"
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def task_role(name: str, tags: dict[str, str], parent: pulumi.Resource) -> aws.iam.Role:
    """A role the task's containers run as (no permissions until a policy is attached)."""
    return aws.iam.Role(
        name,
        assume_role_policy=assume_role_policy(ECS_TASKS),
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def execution_role(name: str, tags: dict[str, str], parent: pulumi.Resource) -> aws.iam.Role:
    """The role ECS pulls images and writes logs with (AWS's managed execution policy)."""
    role = task_role(name, tags, parent)
    aws.iam.RolePolicyAttachment(
        f"{name}-policy",
        role=role.name,
        policy_arn=EXECUTION_POLICY,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return role
