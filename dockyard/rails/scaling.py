"""The web service's scaling and deployment alarms, and the database connections they
need, as plain data (components/rails/scaling.py and alarms.py make the resources).

Connections: every web task and every one-off Rails task (a migration or `rails run`, a
console through `dockyard rails exec`) opens up to its pool of RAILS_MAX_THREADS
connections (containers/rails/sample/config/database.yml); during a rolling deploy ECS
runs up to maximumPercent (200, ECS's default, which the web service keeps) of the tasks,
the old beside the new; the dump loader (`import-db`) and the database's own health
check hold one each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

POOL_VARIABLE = "RAILS_MAX_THREADS"
DEFAULT_POOL = 5
"""The pool (and Puma's threads) when railsEnv does not set RAILS_MAX_THREADS: the image's
database.yml and puma.rb default."""
DEPLOYMENT_MAXIMUM_PERCENT = 200
"""ECS's default deployment maximumPercent, which the web service does not override."""
ONE_OFF_RAILS_TASKS = 2
"""One-off Rails processes that may run at once: a migration or `rails run` task, and a
console (ECS Exec into a web task, a process with its own pool)."""
SINGLE_CONNECTIONS = 2
"""Clients that hold one connection each: the dump loader and the health check."""

SERVICE_NAMESPACE = "ecs"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"
CPU_METRIC = "ECSServiceAverageCPUUtilization"
REQUESTS_METRIC = "ALBRequestCountPerTarget"
SCALE_IN_COOLDOWN = 300
"""Seconds after a scale-in before the next (slow to remove: a Rails task starts in ~1 min)."""
SCALE_OUT_COOLDOWN = 60


@dataclass(frozen=True)
class Connections:
    """What the database must accept, and where it comes from."""

    web_tasks: int
    """The most web tasks at once: railsMaxCount (else railsDesiredCount) during a deploy."""
    pool: int
    needed: int


def pool_size(env: Mapping[str, str]) -> int:
    """Each Rails process's pool: RAILS_MAX_THREADS from railsEnv, else the image's 5.
    Raises ValueError when the variable is not a positive whole number."""
    value = env.get(POOL_VARIABLE)
    if value is None:
        return DEFAULT_POOL
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{POOL_VARIABLE}={value!r} is not a positive whole number")
    return int(value)


def connections(desired: int, max_count: int, pool: int) -> Connections:
    """The connections the most web tasks the stack can run (autoscaling's maximum, else
    the desired count, during a rolling deploy), the one-off tasks and the single clients
    may open at once."""
    steady = max(desired, max_count)
    web_tasks = steady * DEPLOYMENT_MAXIMUM_PERCENT // 100
    needed = (web_tasks + ONE_OFF_RAILS_TASKS) * pool + SINGLE_CONNECTIONS
    return Connections(web_tasks=web_tasks, pool=pool, needed=needed)


ONE_OFF_TASKS = 1
"""One-off tasks beside the services: a migration, `rails run` or the dump loader (a
console is ECS Exec into a running web task, not a task of its own)."""


@dataclass(frozen=True)
class Ec2Room:
    """What the EC2 capacity can hold against what the services may run at once."""

    peak_tasks: int
    """The web tasks during a rolling deploy, the database and a one-off task."""
    per_instance: int
    """awsvpc tasks one instance holds: its network interfaces but the primary (each task
    takes one), and no more than its CPU units over the largest task's."""
    instances: int
    """The most instances the capacity provider scales to."""

    @property
    def short(self) -> bool:
        return self.peak_tasks > self.per_instance * self.instances


def ec2_room(
    *,
    desired: int,
    max_count: int,
    interfaces: int,
    vcpus: int,
    largest_task_cpu: int,
    instances: int,
) -> Ec2Room:
    """The room the EC2 capacity has for the Rails tasks. ENI trunking (an account setting
    the program cannot see, on the instance types that support it) would lift the
    interface bound; without it the bound is what AWS documents for awsvpc tasks."""
    steady = max(desired, max_count)
    peak = steady * DEPLOYMENT_MAXIMUM_PERCENT // 100 + 1 + ONE_OFF_TASKS
    by_cpu = vcpus * 1024 // max(largest_task_cpu, 1)
    return Ec2Room(peak, max(0, min(interfaces - 1, by_cpu)), instances)


def service_resource_id(cluster_name: str, service_name: str) -> str:
    """Application Auto Scaling's ResourceId of an ECS service."""
    return f"service/{cluster_name}/{service_name}"


def resource_label(balancer_arn_suffix: str, target_group_arn_suffix: str) -> str:
    """ALBRequestCountPerTarget's ResourceLabel: app/<lb>/<id>/targetgroup/<tg>/<id>."""
    return f"{balancer_arn_suffix}/{target_group_arn_suffix}"


def target_tracking(metric: str, target: int, label: str | None = None) -> dict[str, Any]:
    """A target tracking configuration on a predefined metric (pulumi-aws's input shape)."""
    spec: dict[str, Any] = {"predefined_metric_type": metric}
    if label is not None:
        spec["resource_label"] = label
    return {
        "predefined_metric_specification": spec,
        "target_value": float(target),
        "scale_in_cooldown": SCALE_IN_COOLDOWN,
        "scale_out_cooldown": SCALE_OUT_COOLDOWN,
    }


@dataclass(frozen=True)
class AlarmSpec:
    """One deployment alarm on the web target group (namespace AWS/ApplicationELB)."""

    suffix: str
    metric: str
    statistic: str
    threshold: float
    periods: int
    description: str


ALB_NAMESPACE = "AWS/ApplicationELB"
ALARM_PERIOD = 60
DEPLOYMENT_ALARMS = (
    AlarmSpec(
        "5xx",
        "HTTPCode_Target_5XX_Count",
        "Sum",
        10.0,
        2,
        "The Rails tasks answered 10 or more 5xx a minute for 2 minutes",
    ),
    AlarmSpec(
        "unhealthy",
        "UnHealthyHostCount",
        "Maximum",
        1.0,
        3,
        "A Rails task failed the load balancer's health check for 3 minutes",
    ),
)
"""ECS watches these during a web deployment and rolls it back when one goes off."""
