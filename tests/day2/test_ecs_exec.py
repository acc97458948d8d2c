"""Day 2 of ECS Exec's session logging (issue 19, item 5): a stack made before the Rails
cluster had an executeCommandConfiguration gets it as an update of the cluster (the
provider's `configuration` is not ForceNew: terraform-provider-aws
internal/service/ecs/cluster.go @00a35305, tests/harness/replacements.py), never a new
cluster, and only the exec log group is added."""

from __future__ import annotations

import copy

from tests.harness.day2 import evaluate_changed
from tests.harness.stacks import document
from tests.harness.update_plan import ADD, UPDATE, plan

CLUSTER = "aws:ecs/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EXEC_POLICY = "aws:iam/rolePolicy:RolePolicy"


def test_session_logging_updates_the_cluster_in_place() -> None:
    """The dev stack as it was (no exec configuration, no exec log group, the channels-only
    task policy) to as it is: the cluster and the web task policy are updated, the exec
    log group added, nothing replaced or deleted."""
    now = document(evaluate_changed("dev"), mask=False)
    before = copy.deepcopy(now)
    exec_logs = (LOG_GROUP, "rails-ecs-exec-logs")
    before["resources"] = [r for r in before["resources"] if (r["type"], r["name"]) != exec_logs]
    for resource in before["resources"]:
        if (resource["type"], resource["name"]) == (CLUSTER, "rails-ecs-cluster"):
            del resource["inputs"]["configuration"]
        if (resource["type"], resource["name"]) == (EXEC_POLICY, "rails-web-task-exec"):
            resource["inputs"]["policy"] = '{"Version": "2012-10-17", "Statement": []}'
    steps = sorted((c.op, c.typ, c.name) for c in plan(before, now))
    assert steps == [
        (ADD, LOG_GROUP, "rails-ecs-exec-logs"),
        (UPDATE, CLUSTER, "rails-ecs-cluster"),
        (UPDATE, EXEC_POLICY, "rails-web-task-exec"),
    ]
