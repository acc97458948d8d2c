"""Autoscaling of the web service: an Application Auto Scaling target between
railsDesiredCount and railsMaxCount, and target tracking on the tasks' average CPU and
(unless railsScaleRequestsPerTarget is 0) on the load balancer's requests per target.

The web service ignores its desiredCount while this is on (RailsApp's ignore_changes), so
`pulumi up` never sets back what the scaler chose. Replacement rules: terraform-provider-aws
appautoscaling/target.go and policy.go (tests/harness/replacements.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict, cast

import pulumi
import pulumi_aws as aws

from components.config.rails import Autoscaling, RailsConfig
from dockyard.rails import scaling as s


class WebScalingArgs(TypedDict):
    """The service scaled and the load balancer in front of it."""

    name_prefix: str
    """`<namePrefix>-<stack>`: the policies' names start with it."""
    cluster_name: pulumi.Input[str]
    service_name: pulumi.Input[str]
    balancer_arn_suffix: pulumi.Input[str]
    """app/<lb>/<id>: ALBRequestCountPerTarget's resource label, with the target group's."""
    target_group_arn_suffix: pulumi.Input[str]
    """targetgroup/<tg>/<id>."""
    tags: Mapping[str, str]
    """Tags of the scalable target (the policies take none)."""


class WebScaling(pulumi.ComponentResource):
    """The scalable target and its target tracking policies."""

    def __init__(
        self,
        name: str,
        cfg: Autoscaling,
        args: WebScalingArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("dockyard:rails_scaling:WebScaling", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        target = aws.appautoscaling.Target(
            f"{name}-target",
            service_namespace=s.SERVICE_NAMESPACE,
            scalable_dimension=s.SCALABLE_DIMENSION,
            resource_id=pulumi.Output.all(args["cluster_name"], args["service_name"]).apply(
                lambda v: s.service_resource_id(v[0], v[1])
            ),
            min_capacity=cfg.min_count,
            max_capacity=cfg.max_count,
            tags=dict(args["tags"]),
            opts=child,
        )
        # Outputs stand in for the plain values, as in the task definitions.
        policies = [("cpu", s.target_tracking(s.CPU_METRIC, cfg.cpu_percent))]
        if cfg.requests_per_target:
            label = pulumi.Output.all(
                args["balancer_arn_suffix"], args["target_group_arn_suffix"]
            ).apply(lambda v: s.resource_label(v[0], v[1]))
            policies.append(
                (
                    "requests",
                    s.target_tracking(s.REQUESTS_METRIC, cfg.requests_per_target, cast(Any, label)),
                )
            )
        for what, tracking in policies:
            aws.appautoscaling.Policy(
                f"{name}-{what}",
                name=f"{args['name_prefix']}-web-{what}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=cast(Any, tracking),
                opts=child,
            )
        self.register_outputs({"resourceId": target.resource_id})


def warn_if_ec2_capacity_is_short(cfg: RailsConfig, max_instances: int) -> None:
    """A preview warning when the EC2 capacity (railsInstanceType, up to `max_instances`)
    cannot hold the tasks the services may run at once (dockyard.rails.scaling.ec2_room):
    a rolling deploy would then wait for room it never gets and roll back. EC2's answer
    for the type (DescribeInstanceTypes) gives its network interfaces and vCPUs."""
    if cfg.capacity != "ec2":
        return
    found = aws.ec2.get_instance_type(instance_type=cfg.instance_type)
    max_count = cfg.autoscaling.max_count if cfg.autoscaling else 0
    room = s.ec2_room(
        desired=cfg.desired_count,
        max_count=max_count,
        interfaces=int(found.maximum_network_interfaces),
        vcpus=int(found.default_vcpus),
        largest_task_cpu=max(cfg.web_limits.cpu, cfg.db_limits.cpu),
        instances=max_instances,
    )
    if room.short:
        tasks = "railsMaxCount" if cfg.autoscaling else "railsDesiredCount"
        pulumi.log.warn(
            f"railsInstanceType {cfg.instance_type} x {max_instances} (twice "
            f"railsInstanceCount) holds {room.per_instance * max_instances} awsvpc tasks "
            f"({room.per_instance} each: a network interface per task), fewer than the "
            f"{room.peak_tasks} a rolling deploy at {tasks} {max(cfg.desired_count, max_count)} "
            "runs (twice the web tasks, the database, a one-off task): the deploy would "
            f"stall and roll back. Lower {tasks}, raise railsInstanceCount, choose a type "
            "with more network interfaces, or use railsCapacity fargate (docs/rails.md)"
        )
