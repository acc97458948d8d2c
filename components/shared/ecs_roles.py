"""The IAM roles every ECS task here needs, made the same way by each component."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from dockyard.iam import assume_role_policy

ECS_TASKS = "ecs-tasks.amazonaws.com"
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def service_trust(service: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """A trust policy for an AWS service acting for this account only (aws:SourceAccount,
    the account of the credentials the program runs with)."""
    identity = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent))
    return identity.account_id.apply(lambda account: assume_role_policy(service, account))


def task_role(name: str, tags: dict[str, str], parent: pulumi.Resource) -> aws.iam.Role:
    """A role the task's containers run as (no permissions until a policy is attached)."""
    return aws.iam.Role(
        name,
        assume_role_policy=service_trust(ECS_TASKS, parent),
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
