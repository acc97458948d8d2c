"""The prod stack's autoscaling and deployment alarms, as the program records them, sent
to a real AWS API emulator (moto server) through boto3, so botocore validates every
parameter against the service models and moto checks what it models: the scalable target
names an ECS service that exists (service/<cluster>/<service>), the policies attach to
it, the alarms are stored with their dimensions, and the web service takes the alarms
as its deployment alarms."""

from __future__ import annotations

from typing import Any

import pytest

from tests.harness.moto import MotoServer
from tests.harness.pulumi_program import Evaluation, Resource
from tests.harness.stacks import evaluate_stack

pytestmark = pytest.mark.integration

REGION = "eu-west-1"  # stacks/Pulumi.prod.yaml
TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _one(evaluation: Evaluation, typ: str) -> list[Resource]:
    found = evaluation.of_type(typ)
    assert found, typ
    return found


def _tracking(inputs: dict[str, Any]) -> dict[str, Any]:
    """The recorded target tracking configuration as PutScalingPolicy takes it."""
    spec = inputs["predefinedMetricSpecification"]
    metric: dict[str, Any] = {"PredefinedMetricType": spec["predefinedMetricType"]}
    if "resourceLabel" in spec:
        metric["ResourceLabel"] = spec["resourceLabel"]
    return {
        "PredefinedMetricSpecification": metric,
        "TargetValue": float(inputs["targetValue"]),
        "ScaleInCooldown": int(inputs["scaleInCooldown"]),
        "ScaleOutCooldown": int(inputs["scaleOutCooldown"]),
    }


def _web_service(moto: MotoServer, cluster: str) -> None:
    """The cluster and a web service for the scalable target to name (moto checks it)."""
    ecs = moto.client("ecs", REGION)
    ecs.create_cluster(clusterName=cluster)
    task = ecs.register_task_definition(
        family="web", containerDefinitions=[{"name": "app", "image": "app", "memory": 128}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster=cluster, serviceName="web", taskDefinition=task, desiredCount=2)


def test_prod_scaling_and_alarms_are_accepted_by_the_apis(moto_server: MotoServer) -> None:
    """RegisterScalableTarget, PutScalingPolicy (CPU and requests per target) and
    PutMetricAlarm (5xx, unhealthy hosts) take the prod stack's recorded values; read back,
    the target is the web service's, both policies are on it, and both alarms are stored
    with the load balancer and target group dimensions; UpdateService takes the alarm names
    as deployment alarms."""
    evaluation = evaluate_stack("prod")
    (cluster,) = evaluation.of_type("aws:ecs/cluster:Cluster")
    _web_service(moto_server, cluster.inputs["name"])
    scaling = moto_server.client("application-autoscaling", REGION)
    (target,) = _one(evaluation, TARGET)
    key = {k: target.inputs[c] for k, c in (("ServiceNamespace", "serviceNamespace"),
           ("ResourceId", "resourceId"), ("ScalableDimension", "scalableDimension"))}  # fmt: skip
    scaling.register_scalable_target(
        **key,
        MinCapacity=int(target.inputs["minCapacity"]),
        MaxCapacity=int(target.inputs["maxCapacity"]),
    )
    for policy in _one(evaluation, POLICY):
        scaling.put_scaling_policy(
            PolicyName=policy.inputs["name"],
            PolicyType=policy.inputs["policyType"],
            ServiceNamespace=policy.inputs["serviceNamespace"],
            ResourceId=policy.inputs["resourceId"],
            ScalableDimension=policy.inputs["scalableDimension"],
            TargetTrackingScalingPolicyConfiguration=_tracking(
                policy.inputs["targetTrackingScalingPolicyConfiguration"]
            ),
        )
    (stored,) = scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert (stored["ResourceId"], stored["MinCapacity"], stored["MaxCapacity"]) == (
        f"service/{cluster.inputs['name']}/web", 2, 3)  # fmt: skip
    policies = scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    metrics = {
        p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"][
            "PredefinedMetricType"
        ]
        for p in policies
    }
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}

    cloudwatch = moto_server.client("cloudwatch", REGION)
    alarms = _one(evaluation, ALARM)
    for alarm in alarms:
        i = alarm.inputs
        cloudwatch.put_metric_alarm(
            AlarmName=i["name"],
            AlarmDescription=i["alarmDescription"],
            Namespace=i["namespace"],
            MetricName=i["metricName"],
            Dimensions=[{"Name": k, "Value": v} for k, v in sorted(i["dimensions"].items())],
            Statistic=i["statistic"],
            Period=int(i["period"]),
            EvaluationPeriods=int(i["evaluationPeriods"]),
            DatapointsToAlarm=int(i["datapointsToAlarm"]),
            Threshold=float(i["threshold"]),
            ComparisonOperator=i["comparisonOperator"],
            TreatMissingData=i["treatMissingData"],
        )
    # (target tracking makes its own alarms, as AWS does: ours are asked for by name)
    ours = [a.inputs["name"] for a in alarms]
    described = cloudwatch.describe_alarms(AlarmNames=ours)["MetricAlarms"]
    assert {a["MetricName"] for a in described} == {"HTTPCode_Target_5XX_Count",
                                                     "UnHealthyHostCount"}  # fmt: skip
    for a in described:
        names = {d["Name"] for d in a["Dimensions"]}
        assert names == {"LoadBalancer", "TargetGroup"}, a["Dimensions"]

    (web,) = [s for s in evaluation.of_type("aws:ecs/service:Service") if s.name == "rails-web"]
    deployment_alarms = web.inputs["alarms"]
    moto_server.client("ecs", REGION).update_service(
        cluster=cluster.inputs["name"],
        service="web",
        deploymentConfiguration={
            "alarms": {
                "alarmNames": deployment_alarms["alarmNames"],
                "enable": deployment_alarms["enable"],
                "rollback": deployment_alarms["rollback"],
            }
        },
    )
    assert sorted(deployment_alarms["alarmNames"]) == sorted(a["AlarmName"] for a in described)
