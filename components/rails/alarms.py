"""The web service's deployment alarms: CloudWatch alarms on the target group's 5xx
responses and unhealthy targets (dockyard.rails.scaling.DEPLOYMENT_ALARMS), which ECS
watches during a deployment and rolls it back on (the service's `alarms`).
Replacement rules: terraform-provider-aws cloudwatch/metric_alarm.go (only the name)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

import pulumi
import pulumi_aws as aws

from dockyard.rails import scaling as s


class DeploymentAlarmsArgs(TypedDict):
    """What the alarms watch."""

    name_prefix: str
    """`<namePrefix>-<stack>`: the alarms' names start with it."""
    balancer_arn_suffix: pulumi.Input[str]
    """The LoadBalancer dimension (app/<lb>/<id>)."""
    target_group_arn_suffix: pulumi.Input[str]
    """The TargetGroup dimension (targetgroup/<tg>/<id>)."""
    tags: Mapping[str, str]


class DeploymentAlarms(pulumi.ComponentResource):
    """One alarm per DEPLOYMENT_ALARMS entry; `names` is what the service's alarms list."""

    names: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: DeploymentAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dockyard:rails_alarms:DeploymentAlarms", name, None, opts)
        dimensions = {
            "LoadBalancer": args["balancer_arn_suffix"],
            "TargetGroup": args["target_group_arn_suffix"],
        }
        self.names = [
            aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.suffix}",
                name=f"{args['name_prefix']}-web-{spec.suffix}",
                alarm_description=spec.description,
                namespace=s.ALB_NAMESPACE,
                metric_name=spec.metric,
                dimensions=dimensions,
                statistic=spec.statistic,
                period=s.ALARM_PERIOD,
                evaluation_periods=spec.periods,
                datapoints_to_alarm=spec.periods,
                threshold=spec.threshold,
                comparison_operator="GreaterThanOrEqualToThreshold",
                # no requests, no targets reporting: not a failed deployment
                treat_missing_data="notBreaching",
                tags=dict(args["tags"]),
                opts=pulumi.ResourceOptions(parent=self),
            ).name
            for spec in s.DEPLOYMENT_ALARMS
        ]
        self.register_outputs({"names": self.names})
