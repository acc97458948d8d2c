"""An ECS cluster for the Rails flow: EC2 capacity (an Auto Scaling group on the
ECS-optimized AMI behind a capacity provider) or Fargate, and a Service Connect
namespace the services share (the database answers there as `appdb`). The EC2 capacity
is `ec2_capacity`, which the fio flow's instance-store hosts use too.

Replaces the seed's `ecs-cli up --size 1 --instance-type t2.micro`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.shared.network import open_egress
from dockyard.ecs_instances import user_data
from dockyard.iam import assume_role_policy

# The ECS-optimized Amazon Linux 2023 AMI, resolved by EC2 at launch from AWS's
# public SSM parameter (always the current recommended image).
ECS_AMI_SSM_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
FARGATE = "FARGATE"
EXEC_LOGGING = "OVERRIDE"
"""ECS Exec session logging: to the log group the cluster names (ExecuteCommandLogging)."""


class EcsClusterArgs(TypedDict):
    name_prefix: str
    """Prefix of the cluster's and its resources' names."""
    capacity: str
    """`ec2` (an Auto Scaling group on the ECS-optimized AMI) or `fargate`."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """VPC of the EC2 instances (needed for `ec2`)."""
    subnet_ids: NotRequired[Sequence[pulumi.Input[str]]]
    """Subnets the EC2 instances are spread over (needed for `ec2`)."""
    instance_type: str
    """EC2 instance type (with `ec2`)."""
    instance_count: int
    """Instances the group starts with and keeps at least (with `ec2`)."""
    max_instances: NotRequired[int]
    """Upper bound for the capacity provider's scaling (default 2 x instance_count)."""
    root_volume_size: int
    """Root volume in GiB, gp3 and encrypted (with `ec2`)."""
    exec_log_retention_days: int
    """Days the ECS Exec session log group keeps its logs."""
    tags: Mapping[str, str]
    """Tags for every taggable resource."""


class EcsCluster(pulumi.ComponentResource):
    """The cluster, its capacity and its Service Connect namespace."""

    cluster: aws.ecs.Cluster
    exec_logs: aws.cloudwatch.LogGroup
    """Where ECS Exec sessions are logged (the cluster's executeCommandConfiguration)."""
    namespace: aws.servicediscovery.HttpNamespace
    capacity_providers: aws.ecs.ClusterCapacityProviders
    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
    namespace_arn: pulumi.Output[str]
    capacity_provider: pulumi.Output[str]
    fargate: bool

    def __init__(
        self, name: str, args: EcsClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dockyard:ecs_cluster:EcsCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = args["name_prefix"]
        tags = dict(args["tags"])
        capacity = args["capacity"]
        if capacity not in ("ec2", "fargate"):
            raise ValueError(f"capacity must be ec2 or fargate, not {capacity!r}")
        self.fargate = capacity == "fargate"

        self.namespace = aws.servicediscovery.HttpNamespace(
            f"{name}-namespace",
            name=f"{prefix}-{pulumi.get_stack()}.local",
            description="Service Connect namespace of the Rails flow (the database is appdb)",
            tags=tags,
            opts=child,
        )
        self.exec_logs = aws.cloudwatch.LogGroup(
            f"{name}-exec-logs",
            name=f"/dockyard/{prefix}-{pulumi.get_stack()}/ecs-exec",
            retention_in_days=args["exec_log_retention_days"],
            tags=tags,
            opts=child,
        )
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=f"{prefix}-{pulumi.get_stack()}",
            settings=[{"name": "containerInsights", "value": "enabled"}],
            # ECS Exec sessions logged to the cluster's own group, explicitly (the default
            # logs to each container's awslogs group, which the task roles cannot write);
            # the task role's policy is dockyard.rails.ecs.exec_task_policy. Not ForceNew:
            # a change is an UpdateCluster (terraform-provider-aws
            # internal/service/ecs/cluster.go @00a35305, resourceClusterUpdate).
            configuration={
                "execute_command_configuration": {
                    "logging": EXEC_LOGGING,
                    "log_configuration": {"cloud_watch_log_group_name": self.exec_logs.name},
                }
            },
            service_connect_defaults={"namespace": self.namespace.arn},
            tags=tags,
            opts=child,
        )

        if self.fargate:
            provider_name: pulumi.Input[str] = FARGATE
            providers: list[pulumi.Input[str]] = [FARGATE]
        else:
            provider = self._ec2_capacity(name, args, prefix, tags)
            provider_name = provider.name
            providers = [provider.name]

        self.capacity_providers = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=self.cluster.name,
            capacity_providers=providers,
            default_capacity_provider_strategies=[
                {"capacity_provider": provider_name, "weight": 1, "base": 1}
            ],
            opts=child,
        )

        self.cluster_name = self.cluster.name
        self.cluster_arn = self.cluster.arn
        self.namespace_arn = self.namespace.arn
        self.capacity_provider = pulumi.Output.from_input(provider_name)
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "clusterArn": self.cluster_arn,
                "namespaceArn": self.namespace_arn,
                "capacityProvider": self.capacity_provider,
            }
        )

    def _ec2_capacity(
        self, name: str, args: EcsClusterArgs, prefix: str, tags: dict[str, str]
    ) -> aws.ecs.CapacityProvider:
        """The Rails cluster's EC2 capacity: `instance_count` hosts, scaling to
        `max_instances`, joined to the cluster by their user data."""
        if "vpc_id" not in args or not args.get("subnet_ids"):
            raise ValueError("EC2 capacity needs vpc_id and subnet_ids")
        count = args["instance_count"]
        return ec2_capacity(
            name,
            {
                "vpc_id": args["vpc_id"],
                "subnet_ids": args["subnet_ids"],
                "instance_type": args["instance_type"],
                "min_size": count,
                "max_size": max(args.get("max_instances", 2 * count), count),
                "root_volume_size": args["root_volume_size"],
                "label": f"{prefix}-ecs",
                "provider_name": f"{prefix}-{pulumi.get_stack()}-ec2",
                "user_data": self.cluster.name.apply(user_data),
            },
            tags,
            self,
        )


class Ec2CapacityArgs(TypedDict):
    """EC2 container instances behind a capacity provider, for any cluster."""

    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Subnets the instances are spread over."""
    instance_type: str
    min_size: int
    """Instances the group starts with and keeps at least (0: only while tasks need one)."""
    max_size: int
    """Upper bound for the capacity provider's scaling."""
    root_volume_size: int
    """Root volume in GiB, gp3 and encrypted."""
    label: str
    """The instances' Name tag and the prefix of the group's and template's names."""
    provider_name: str
    """The capacity provider's name."""
    user_data: pulumi.Output[str]
    """The instances' user data script (it joins them to the cluster)."""


def ec2_capacity(
    name: str, args: Ec2CapacityArgs, tags: Mapping[str, str], parent: pulumi.Resource
) -> aws.ecs.CapacityProvider:
    """An Auto Scaling group on the ECS-optimized AMI (IMDSv2, an encrypted root, no
    inbound) and the capacity provider that scales it, its resources under `parent`."""
    child = pulumi.ResourceOptions(parent=parent)
    tags = dict(tags)
    label = args["label"]
    profile = _instance_profile(name, tags, child)
    group = _instance_group(name, args["vpc_id"], label, tags, child)
    template = _launch_template(name, args, profile, group, tags, child)
    group_tags = {**tags, "Name": label, "AmazonECSManaged": "true"}
    asg = aws.autoscaling.Group(
        f"{name}-instances",
        name_prefix=f"{label}-",
        min_size=args["min_size"],
        max_size=args["max_size"],
        desired_capacity=args["min_size"],
        vpc_zone_identifiers=args["subnet_ids"],
        launch_template={"id": template.id, "version": "$Latest"},
        health_check_type="EC2",
        protect_from_scale_in=False,
        tags=[
            {"key": k, "value": v, "propagate_at_launch": True}
            for k, v in sorted(group_tags.items())
        ],
        # The capacity provider scales the group; do not fight it on the next update.
        opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["desiredCapacity"]),
    )
    return aws.ecs.CapacityProvider(
        f"{name}-ec2",
        name=args["provider_name"],
        auto_scaling_group_provider={
            "auto_scaling_group_arn": asg.arn,
            "managed_termination_protection": "DISABLED",
            "managed_scaling": {
                "status": "ENABLED",
                "target_capacity": 100,
                "minimum_scaling_step_size": 1,
                "maximum_scaling_step_size": 1,
            },
        },
        tags=tags,
        opts=child,
    )


def _instance_profile(
    name: str, tags: dict[str, str], child: pulumi.ResourceOptions
) -> aws.iam.InstanceProfile:
    """The container instances' role: the ECS agent's policy and SSM's."""
    role = aws.iam.Role(
        f"{name}-instance-role",
        # No aws:SourceAccount: EC2 assumes instance roles without one (dockyard.iam).
        assume_role_policy=assume_role_policy("ec2.amazonaws.com", None),
        tags=tags,
        opts=child,
    )
    for suffix, arn in (
        ("ecs", "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"),
        ("ssm", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
    ):
        aws.iam.RolePolicyAttachment(
            f"{name}-instance-{suffix}", role=role.name, policy_arn=arn, opts=child
        )
    return aws.iam.InstanceProfile(
        f"{name}-instance-profile", role=role.name, tags=tags, opts=child
    )


def _instance_group(
    name: str,
    vpc_id: pulumi.Input[str],
    label: str,
    tags: dict[str, str],
    child: pulumi.ResourceOptions,
) -> aws.ec2.SecurityGroup:
    # The instances only talk out (ECS, ECR, logs); tasks have their own groups (awsvpc).
    group = aws.ec2.SecurityGroup(
        f"{name}-instances",
        vpc_id=vpc_id,
        description="ECS container instances: no inbound, all outbound",
        tags={**tags, "Name": f"{label}-instances"},
        opts=child,
    )
    open_egress(
        f"{name}-instances-egress",
        group.id,
        "ECS agent, image pulls, logs",
        tags=tags,
        opts=child,
        ipv6=True,
    )
    return group


def _launch_template(
    name: str,
    args: Ec2CapacityArgs,
    profile: aws.iam.InstanceProfile,
    group: aws.ec2.SecurityGroup,
    tags: dict[str, str],
    child: pulumi.ResourceOptions,
) -> aws.ec2.LaunchTemplate:
    """The container instances: the ECS-optimized AMI, IMDSv2, an encrypted root."""
    label = args["label"]
    return aws.ec2.LaunchTemplate(
        f"{name}-instances",
        name_prefix=f"{label}-",
        image_id=f"resolve:ssm:{ECS_AMI_SSM_PARAMETER}",
        instance_type=args["instance_type"],
        iam_instance_profile={"arn": profile.arn},
        vpc_security_group_ids=[group.id],
        user_data=args["user_data"].apply(lambda text: base64.b64encode(text.encode()).decode()),
        metadata_options={
            "http_endpoint": "enabled",
            "http_tokens": "required",
            "http_put_response_hop_limit": 1,
        },
        block_device_mappings=[
            {
                "device_name": "/dev/xvda",
                "ebs": {
                    "volume_size": args["root_volume_size"],
                    "volume_type": "gp3",
                    "encrypted": "true",
                    "delete_on_termination": "true",
                },
            }
        ],
        monitoring={"enabled": True},
        tag_specifications=[
            {"resource_type": "instance", "tags": {**tags, "Name": label}},
            {"resource_type": "volume", "tags": {**tags, "Name": label}},
        ],
        tags=tags,
        opts=child,
    )
