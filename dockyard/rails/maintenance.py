"""`dockyard rails maintenance on|off`: the load balancer answers 503 with a short page,
without a redeploy, through one listener rule that this command adds and removes.

The rule is made with boto3, outside Pulumi, and tagged `dockyard:maintenance`: Pulumi
never had it in its state, so neither `pulumi up` nor `pulumi refresh` sees it or fights
it (refresh reads only the resources in the state; a listener's rules are not an input of
the listener). `off` deletes exactly the tagged rules. Deleting the listener (`pulumi
destroy`) deletes its rules with it. The rule goes on every listener that forwards to the
web target group (80, or 443 with HTTPS: 80 then only redirects), at the first free
priority, matching every path.

An ALB fixed response carries only a status code, a content type and a body (at most
1024 characters): no header such as Retry-After can be added (botocore's model of
FixedResponseActionConfig has no header member), so the page says when to come back.
The target group's health checks go to the targets directly, not through the listener:
the tasks stay healthy and registered, and `off` brings the app back at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dockyard.errors import UsageError
from dockyard.rails.tasks import Target, aws_errors

TAG = "dockyard:maintenance"
STATUS = "503"
PAGE = (
    "<!doctype html><html><head><meta charset=utf-8><title>Down for maintenance</title>"
    "</head><body><h1>Down for maintenance</h1><p>We will be back shortly. Please try "
    "again in a few minutes.</p></body></html>"
)
MAX_BODY = 1024
"""ELBv2's limit on a fixed response's MessageBody."""
MAX_PRIORITY = 50000

Echo = Callable[[str], None]


def action() -> dict[str, Any]:
    """The rule's fixed-response action."""
    return {
        "Type": "fixed-response",
        "FixedResponseConfig": {
            "StatusCode": STATUS,
            "ContentType": "text/html",
            "MessageBody": PAGE,
        },
    }


def _forwards_to(listener: dict[str, Any], target_group: str) -> bool:
    for item in listener.get("DefaultActions", []):
        if item.get("TargetGroupArn") == target_group:
            return True
        groups = (item.get("ForwardConfig") or {}).get("TargetGroups", [])
        if any(g.get("TargetGroupArn") == target_group for g in groups):
            return True
    return False


def listeners(elbv2: Any, web: dict[str, Any]) -> list[dict[str, Any]]:
    """The listeners forwarding to the web service's target group (DescribeListeners)."""
    found: list[dict[str, Any]] = []
    for balancer in web.get("loadBalancers", []):
        group = balancer.get("targetGroupArn")
        if not group:
            continue
        described = elbv2.describe_target_groups(TargetGroupArns=[group])["TargetGroups"]
        for lb in described[0].get("LoadBalancerArns", []) if described else []:
            for listener in elbv2.describe_listeners(LoadBalancerArn=lb)["Listeners"]:
                if _forwards_to(listener, group):
                    found.append(listener)
    return found


def _rules(elbv2: Any, listener: str) -> list[dict[str, Any]]:
    return [
        r for r in elbv2.describe_rules(ListenerArn=listener)["Rules"] if not r.get("IsDefault")
    ]


def rules(elbv2: Any, web: dict[str, Any]) -> list[str]:
    """ARNs of the maintenance rules (tagged TAG) on the web listeners."""
    arns = [
        str(r["RuleArn"])
        for listener in listeners(elbv2, web)
        for r in _rules(elbv2, str(listener["ListenerArn"]))
    ]
    tagged = []
    for start in range(0, len(arns), 20):  # DescribeTags takes 20 ARNs at a time
        for item in elbv2.describe_tags(ResourceArns=arns[start : start + 20])["TagDescriptions"]:
            if any(t.get("Key") == TAG for t in item.get("Tags", [])):
                tagged.append(str(item["ResourceArn"]))
    return tagged


def free_priority(existing: list[dict[str, Any]]) -> int:
    """The lowest priority no rule of the listener has (rules are matched lowest first)."""
    taken = {int(r["Priority"]) for r in existing if str(r.get("Priority", "")).isdigit()}
    return next(p for p in range(1, MAX_PRIORITY + 1) if p not in taken)


def _web(ecs: Any, where: Target) -> dict[str, Any]:
    service = str(where.tasks.need("webService"))
    found = ecs.describe_services(cluster=where.cluster, services=[service])["services"]
    if not found or not found[0].get("loadBalancers"):
        raise UsageError(f"service {service} has no load balancer in {where.cluster}")
    return dict(found[0])


def switch(ecs: Any, elbv2: Any, where: Target, on: bool, echo: Echo) -> int:
    """Turn maintenance mode on or off; 0 (also when it already was)."""
    with aws_errors(where):
        web = _web(ecs, where)
        present = rules(elbv2, web)
        if not on:
            for arn in present:
                elbv2.delete_rule(RuleArn=arn)
            echo("maintenance off: the app answers again" if present else "maintenance was off")
            return 0
        if present:
            echo("maintenance is already on")
            return 0
        found = listeners(elbv2, web)
        if not found:
            raise UsageError(
                f"no listener of {where.tasks.need('webService')}'s load balancer forwards to "
                "its target group: run `pulumi up` to restore the stack's listeners"
            )
        for listener in found:
            arn = str(listener["ListenerArn"])
            elbv2.create_rule(
                ListenerArn=arn,
                Priority=free_priority(_rules(elbv2, arn)),
                Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["*"]}}],
                Actions=[action()],
                Tags=[{"Key": TAG, "Value": "on"}],
            )
            echo(f"maintenance on: port {listener.get('Port')} answers {STATUS} with a short page")
    return 0
