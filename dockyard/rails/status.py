"""`dockyard rails status`: the Rails flow as ECS, the load balancer and CloudWatch see it.

For the web and database services: their counts, deployments (rollout state and reason; a
deployment circuit-breaker rollback named as such), the last service events, the running
tasks (status, container health, the image each runs), the web target group's target
health (elbv2 DescribeTargetHealth), the alarms wired to the web service's deployments
(CloudWatch DescribeAlarms), whether maintenance mode is on, and the web task
definition's revisions one can roll back to (`dockyard rails rollback REVISION`).

`collect` makes the AWS calls and returns plain data; `render` turns it into lines, every
text from AWS escaped for the terminal.
"""

from __future__ import annotations

from typing import Any

from dockyard.rails import ecs as rails_ecs
from dockyard.rails import maintenance
from dockyard.rails.tasks import Target, aws_errors
from dockyard.terminal import printable

EVENTS = 5
"""Service events shown per service (newest first)."""
REVISIONS = 5
"""Web task definition revisions listed (newest first)."""
CIRCUIT_BREAKER = "circuit breaker"


def short(arn: str) -> str:
    """`family:revision` of a task definition ARN, the id of a task ARN."""
    return arn.rsplit("/", 1)[-1]


def rolled_back(deployment: dict[str, Any]) -> bool:
    """A deployment the circuit breaker failed (and rolled back from), or the rollback
    itself: ECS says so in rolloutStateReason ("ECS deployment circuit breaker: ...")."""
    reason = str(deployment.get("rolloutStateReason", "")).lower()
    return CIRCUIT_BREAKER in reason and (
        deployment.get("rolloutState") == "FAILED" or "rolling back" in reason
    )


def image_of(definition: dict[str, Any], container: str = rails_ecs.APP_CONTAINER) -> str:
    """The image of `container` in a task definition (DescribeTaskDefinition's shape)."""
    for item in definition.get("containerDefinitions", []):
        if item.get("name") == container:
            return str(item.get("image", "?"))
    return "?"


def revisions(ecs: Any, family: str) -> list[int]:
    """The family's ACTIVE revisions, newest first (every page)."""
    found: list[int] = []
    paginator = ecs.get_paginator("list_task_definitions")
    for page in paginator.paginate(familyPrefix=family, status="ACTIVE"):
        for arn in page.get("taskDefinitionArns", []):
            name, _, number = short(arn).rpartition(":")
            if name == family and number.isdigit():
                found.append(int(number))
    return sorted(found, reverse=True)


def _tasks(ecs: Any, where: Target, service: str) -> list[dict[str, Any]]:
    arns = ecs.list_tasks(cluster=where.cluster, serviceName=service, desiredStatus="RUNNING")[
        "taskArns"
    ]
    found = ecs.describe_tasks(cluster=where.cluster, tasks=arns[:100])["tasks"] if arns else []
    # moto's ListTasks ignores serviceName; ECS names a service's tasks' group service:NAME
    return [t for t in found if t.get("group", f"service:{service}") == f"service:{service}"]


def _targets(elbv2: Any, service: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for balancer in service.get("loadBalancers", []):
        if balancer.get("targetGroupArn"):
            found.extend(
                elbv2.describe_target_health(TargetGroupArn=balancer["targetGroupArn"])[
                    "TargetHealthDescriptions"
                ]
            )
    return found


def _alarms(cloudwatch: Any, service: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The deployment alarms' states; None when the service has none wired."""
    names = ((service.get("deploymentConfiguration") or {}).get("alarms") or {}).get(
        "alarmNames"
    ) or []
    if not names:
        return None
    return list(cloudwatch.describe_alarms(AlarmNames=names[:100]).get("MetricAlarms", []))


def _rollback_targets(ecs: Any, web: dict[str, Any]) -> list[dict[str, Any]]:
    family = short(str(web.get("taskDefinition", ""))).rpartition(":")[0]
    listed = []
    for number in revisions(ecs, family)[:REVISIONS] if family else []:
        definition = ecs.describe_task_definition(taskDefinition=f"{family}:{number}")
        listed.append(
            {"revision": f"{family}:{number}", "image": image_of(definition["taskDefinition"])}
        )
    return listed


def collect(clients: dict[str, Any], where: Target) -> dict[str, Any]:
    """Everything `rails status` shows, as plain data (clients: ecs, elbv2, cloudwatch)."""
    ecs, elbv2 = clients["ecs"], clients["elbv2"]
    names = [str(where.tasks.need("webService")), str(where.tasks.need("dbService"))]
    with aws_errors(where):
        answer = ecs.describe_services(cluster=where.cluster, services=names)
        services = {s["serviceName"]: s for s in answer.get("services", [])}
        missing = [n for n in names if n not in services]
        web = services.get(names[0], {})
        return {
            "services": [
                {**services[n], "tasks": _tasks(ecs, where, n)} for n in names if n in services
            ],
            "missing": missing,
            "targets": _targets(elbv2, web),
            "alarms": _alarms(clients["cloudwatch"], web),
            "maintenance": bool(maintenance.rules(elbv2, web)) if web else False,
            "revisions": _rollback_targets(ecs, web) if web else [],
            "current": short(str(web.get("taskDefinition", ""))),
        }


def _deployment_lines(service: dict[str, Any]) -> list[str]:
    lines = []
    for d in service.get("deployments", []):
        state = str(d.get("rolloutState", "?"))
        if rolled_back(d):
            state += " - ROLLED BACK by the deployment circuit breaker"
        lines.append(
            f"    {d.get('status', '?')} {short(str(d.get('taskDefinition', '?')))}: {state}; "
            f"{d.get('runningCount', 0)}/{d.get('desiredCount', 0)} running, "
            f"{d.get('failedTasks', 0)} failed"
        )
        if d.get("rolloutStateReason"):
            lines.append(f"      {d['rolloutStateReason']}")
    return lines


def _task_lines(service: dict[str, Any]) -> list[str]:
    lines = []
    for task in service.get("tasks", []):
        lines.append(
            f"    task {short(str(task.get('taskArn', '?')))} "
            f"{short(str(task.get('taskDefinitionArn', '?')))}: {task.get('lastStatus', '?')}, "
            f"health {task.get('healthStatus', 'UNKNOWN')}"
        )
        for container in task.get("containers", []):
            digest = f" ({container['imageDigest']})" if container.get("imageDigest") else ""
            lines.append(
                f"      {container.get('name', '?')}: {container.get('image', '?')}{digest}, "
                f"health {container.get('healthStatus', 'UNKNOWN')}"
            )
    return lines or ["    no running task"]


def _service_lines(service: dict[str, Any]) -> list[str]:
    lines = [
        f"service {service.get('serviceName')}: {service.get('status', '?')}, "
        f"{service.get('runningCount', 0)} running / {service.get('desiredCount', 0)} desired"
        f" / {service.get('pendingCount', 0)} pending, task definition "
        f"{short(str(service.get('taskDefinition', '?')))}",
        "  deployments:",
        *_deployment_lines(service),
        "  tasks:",
        *_task_lines(service),
    ]
    events = service.get("events", [])[:EVENTS]
    if events:
        lines.append("  events (newest first):")
        lines += [f"    {e.get('createdAt', '')} {e.get('message', '')}" for e in events]
    return lines


def _target_lines(status: dict[str, Any]) -> list[str]:
    lines = ["web targets (load balancer health):"]
    for t in status["targets"]:
        health = t.get("TargetHealth", {})
        target = t.get("Target", {})
        why = " ".join(str(health.get(k, "")) for k in ("Reason", "Description")).strip()
        lines.append(
            f"  {target.get('Id', '?')}:{target.get('Port', '?')} {health.get('State', '?')}"
            + (f" ({why})" if why else "")
        )
    return lines if status["targets"] else [*lines, "  none registered"]


def _alarm_lines(status: dict[str, Any]) -> list[str]:
    if status["alarms"] is None:
        return ["alarms: none wired to the web service's deployments"]
    return ["alarms:"] + [
        f"  {a.get('AlarmName')}: {a.get('StateValue')} ({a.get('StateReason', '')})"
        for a in status["alarms"]
    ]


def render(status: dict[str, Any]) -> list[str]:
    """The status as lines for a terminal (every value escaped)."""
    lines: list[str] = []
    for service in status["services"]:
        lines += _service_lines(service)
    lines += [f"service {name}: not found in the cluster" for name in status["missing"]]
    lines += _target_lines(status)
    lines += _alarm_lines(status)
    lines.append(f"maintenance: {'ON (503 page)' if status['maintenance'] else 'off'}")
    lines.append("web revisions (dockyard rails rollback REVISION):")
    for item in status["revisions"]:
        mark = "  <- running" if item["revision"] == status["current"] else ""
        lines.append(f"  {item['revision']}: {item['image']}{mark}")
    return [printable(line) for line in lines]
