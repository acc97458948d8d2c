"""`rails status` on what moto cannot play: a deployment the circuit breaker rolled back,
and alarms wired to the service's deployments (moto keeps no deploymentConfiguration and
no rolloutStateReason of a failure). botocore's Stubber answers with responses checked
against the real ECS / ELBv2 / CloudWatch service models (a field ECS does not return, or
of the wrong type, fails the test), and checks every request's parameters against them.
The shapes and messages are those ECS gives when its circuit breaker trips (AWS docs,
"How the Amazon ECS deployment circuit breaker detects failures")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from dockyard.rails import status as rails_status
from dockyard.rails.tasks import target

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/demo"
FAMILY_ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/demo-web"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo-web/0123456789abcdef"
LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo/0123456789abcdef"
LISTENER = LB.replace(":loadbalancer/", ":listener/") + "/fedcba9876543210"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/demo/" + "a" * 32
WHEN = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
OUTPUTS = {
    "railsClusterArn": CLUSTER,
    "railsTasks": {"webService": "web", "dbService": "appdb"},
}
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web"


def client(service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def service(name: str, deployments: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "serviceName": name,
        "serviceArn": f"arn:aws:ecs:us-east-1:123456789012:service/demo/{name}",
        "status": "ACTIVE",
        "desiredCount": 1,
        "runningCount": 1,
        "pendingCount": 0,
        "taskDefinition": f"{FAMILY_ARN}:{7 if name == 'web' else 3}",
        "deployments": deployments,
        **extra,
    }


ROLLED_BACK = [
    {
        "id": "ecs-svc/2222",
        "status": "PRIMARY",
        "taskDefinition": f"{FAMILY_ARN}:7",
        "desiredCount": 1,
        "runningCount": 1,
        "failedTasks": 0,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": "ECS deployment circuit breaker: rolling back to deploymentId "
        "ecs-svc/1111.",
    },
    {
        "id": "ecs-svc/3333",
        "status": "ACTIVE",
        "taskDefinition": f"{FAMILY_ARN}:8",
        "desiredCount": 0,
        "runningCount": 0,
        "failedTasks": 3,
        "rolloutState": "FAILED",
        "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
    },
]
EVENTS = [
    {
        "id": "e1",
        "createdAt": WHEN,
        "message": "(service web) (deployment ecs-svc/3333) deployment failed: tasks failed "
        "to start.\x1b[2J",
    }
]


def stubbed(alarms: bool) -> tuple[dict[str, Any], list[Stubber]]:
    """ECS, ELBv2 and CloudWatch clients answering, in order, what `collect` asks: a web
    service whose deployment the circuit breaker rolled back (alarms wired or not)."""
    ecs, elbv2, cloudwatch = client("ecs"), client("elbv2"), client("cloudwatch")
    stubs = [Stubber(c) for c in (ecs, elbv2, cloudwatch)]
    s_ecs, s_elb, s_cw = stubs
    config = (
        {
            "deploymentConfiguration": {
                "alarms": {"alarmNames": ["demo-5xx"], "enable": True, "rollback": True}
            }
        }
        if alarms
        else {}
    )
    web = service(
        "web",
        ROLLED_BACK,
        events=EVENTS,
        loadBalancers=[{"targetGroupArn": TG, "containerName": "app", "containerPort": 3000}],
        **config,
    )
    db = service("appdb", [{"id": "ecs-svc/9", "status": "PRIMARY", "rolloutState": "COMPLETED"}])
    s_ecs.add_response(
        "describe_services",
        {"services": [web, db]},
        {"cluster": CLUSTER, "services": ["web", "appdb"]},
    )
    task = {
        "taskArn": TASK,
        "taskDefinitionArn": f"{FAMILY_ARN}:7",
        "lastStatus": "RUNNING",
        "healthStatus": "HEALTHY",
        "group": "service:web",
        "containers": [
            {
                "name": "app",
                "image": f"{IMAGE}@sha256:{'1' * 64}",
                "imageDigest": f"sha256:{'1' * 64}",
                "healthStatus": "HEALTHY",
            }
        ],
    }
    for name, tasks in (("web", [task]), ("appdb", [])):
        s_ecs.add_response(
            "list_tasks",
            {"taskArns": [t["taskArn"] for t in tasks]},
            {"cluster": CLUSTER, "serviceName": name, "desiredStatus": "RUNNING"},
        )
        if tasks:
            s_ecs.add_response(
                "describe_tasks", {"tasks": tasks}, {"cluster": CLUSTER, "tasks": [TASK]}
            )
    s_elb.add_response(
        "describe_target_health",
        {
            "TargetHealthDescriptions": [
                {
                    "Target": {"Id": "10.0.1.10", "Port": 3000},
                    "TargetHealth": {
                        "State": "unhealthy",
                        "Reason": "Target.ResponseCodeMismatch",
                        "Description": "Health checks failed with these codes: [503]",
                    },
                }
            ]
        },
        {"TargetGroupArn": TG},
    )
    if alarms:
        s_cw.add_response(
            "describe_alarms",
            {
                "MetricAlarms": [
                    {
                        "AlarmName": "demo-5xx",
                        "StateValue": "ALARM",
                        "StateReason": "Threshold Crossed: 1 datapoint [12.0] was greater than 5.0",
                    }
                ]
            },
            {"AlarmNames": ["demo-5xx"]},
        )
    s_elb.add_response(
        "describe_target_groups",
        {"TargetGroups": [{"TargetGroupArn": TG, "LoadBalancerArns": [LB]}]},
        {"TargetGroupArns": [TG]},
    )
    s_elb.add_response(
        "describe_listeners",
        {
            "Listeners": [
                {
                    "ListenerArn": LISTENER,
                    "Port": 80,
                    "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG}],
                }
            ]
        },
        {"LoadBalancerArn": LB},
    )
    s_elb.add_response(
        "describe_rules",
        {"Rules": [{"RuleArn": "default", "IsDefault": True}]},
        {"ListenerArn": LISTENER},
    )
    s_ecs.add_response(
        "list_task_definitions",
        {"taskDefinitionArns": [f"{FAMILY_ARN}:{n}" for n in (6, 7, 8)]},
        {"familyPrefix": "demo-web", "status": "ACTIVE"},
    )
    for n in (8, 7, 6):
        s_ecs.add_response(
            "describe_task_definition",
            {
                "taskDefinition": {
                    "family": "demo-web",
                    "revision": n,
                    "containerDefinitions": [{"name": "app", "image": f"{IMAGE}:{n}"}],
                }
            },
            {"taskDefinition": f"demo-web:{n}"},
        )
    for stub in stubs:
        stub.activate()
    return {"ecs": ecs, "elbv2": elbv2, "cloudwatch": cloudwatch}, stubs


@pytest.mark.parametrize("alarms", [True, False])
def test_a_circuit_breaker_rollback_is_named(alarms: bool) -> None:
    """The failed deployment and the rollback deployment are both marked "ROLLED BACK by
    the deployment circuit breaker" with ECS's reasons; the event is shown, its escape
    sequence escaped; the unhealthy target with its reason; the wired alarm in ALARM (or
    "none wired"); the revisions with the running one marked; every stubbed call made."""
    clients, stubs = stubbed(alarms)
    lines = rails_status.render(rails_status.collect(clients, target(OUTPUTS)))
    text = "\n".join(lines)
    for stub in stubs:
        stub.assert_no_pending_responses()
    assert "    ACTIVE demo-web:8: FAILED - ROLLED BACK by the deployment circuit breaker;" in text
    assert "      ECS deployment circuit breaker: tasks failed to start." in text
    assert "PRIMARY demo-web:7: IN_PROGRESS - ROLLED BACK by the deployment circuit breaker" in text
    assert "deployment failed: tasks failed to start.\\x1b[2J" in text and "\x1b" not in text
    assert "10.0.1.10:3000 unhealthy (Target.ResponseCodeMismatch Health checks failed" in text
    assert f"app: {IMAGE}@sha256:{'1' * 64} (sha256:{'1' * 64}), health HEALTHY" in text
    if alarms:
        assert "  demo-5xx: ALARM (Threshold Crossed" in text
    else:
        assert "alarms: none wired to the web service's deployments" in text
    assert "maintenance: off" in text
    assert lines[-3:] == [
        f"  demo-web:8: {IMAGE}:8",
        f"  demo-web:7: {IMAGE}:7  <- running",
        f"  demo-web:6: {IMAGE}:6",
    ]
    assert "service appdb: ACTIVE" in text and "COMPLETED" in text


def test_a_completed_deployment_is_not_called_a_rollback() -> None:
    """Only ECS's circuit-breaker reasons make a rollback: a completed deployment, a failed
    one for another reason, an in-progress one are not called so."""
    assert not rails_status.rolled_back(
        {"rolloutState": "COMPLETED", "rolloutStateReason": "ECS deployment ecs-svc/1 completed."}
    )
    assert not rails_status.rolled_back(
        {
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": "ECS deployment ecs-svc/1 in progress.",
        }
    )
    assert not rails_status.rolled_back(
        {"rolloutState": "FAILED", "rolloutStateReason": "Deployment stopped by the user."}
    )
    assert rails_status.rolled_back(ROLLED_BACK[0]) and rails_status.rolled_back(ROLLED_BACK[1])
