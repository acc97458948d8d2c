"""`dockyard rails rollback [REVISION]`: the web service back on an earlier task definition
revision (or the current one's settings with an earlier image digest), waiting until ECS
reports it stable.

REVISION is a revision number of the web family (`12`), `family:12`, a task definition
ARN of the family, or an image digest (`sha256:` and 64 hex digits: a new revision of the
running definition with only the web container's image changed to the same repository at
that digest; image tags are immutable and every build is kept in ECR). Without it: the
newest ACTIVE revision below the running one.

This is drift against Pulumi's state, on purpose and for an emergency: the state still
names the program's revision. A `pulumi up` that changes the web task definition (a new
image, a setting), and any `pulumi up --refresh`, puts the program's revision back. To
make the rollback stick, pin the image in the stack config (`pulumi config set railsImage
IMAGE@DIGEST`, printed at the end): the program then registers that image with the
program's settings, and the next `pulumi up` agrees with what runs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from dockyard.errors import UsageError
from dockyard.rails import ecs as rails_ecs
from dockyard.rails.status import image_of, revisions, short
from dockyard.rails.tasks import AwsError, Target, aws_errors
from dockyard.terminal import printable

WAIT_SECONDS = 900
WAIT_DELAY = 15
_NUMBER = re.compile(r"[1-9][0-9]{0,6}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_FAMILY_REVISION = re.compile(r"([A-Za-z0-9_-]{1,255}):([1-9][0-9]{0,6})")
_TASK_DEFINITION_ARN = re.compile(
    r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/([A-Za-z0-9_-]{1,255}):([1-9][0-9]{0,6})"
)
REGISTER_KEYS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)
"""DescribeTaskDefinition's fields that RegisterTaskDefinition takes back."""

Echo = Callable[[str], None]


def parse(spec: str | None, family: str) -> tuple[str, int | None] | None:
    """REVISION as ("revision", N) or ("digest", None) with the digest checked; None: the
    previous revision. UsageError for anything else, or another family's revision."""
    if spec is None:
        return None
    if _DIGEST.fullmatch(spec):
        return ("digest", None)
    if _NUMBER.fullmatch(spec):
        return ("revision", int(spec))
    match = _FAMILY_REVISION.fullmatch(spec) or _TASK_DEFINITION_ARN.fullmatch(spec)
    if match is None:
        raise UsageError(
            f"{spec!r} is not a revision: give a number (12), {family}:12, a task definition "
            "ARN, or an image digest sha256:<64 hex digits> (dockyard rails status lists them)"
        )
    if match[1] != family:
        raise UsageError(f"{spec} is not a revision of the web family {family}")
    return ("revision", int(match[2]))


def register_with_image(ecs: Any, current: dict[str, Any], digest: str) -> str:
    """A new revision of `current` with the web container's image at `digest`; its ARN."""
    params = {k: current[k] for k in REGISTER_KEYS if current.get(k) not in (None, [], {})}
    containers = [dict(c) for c in params["containerDefinitions"]]
    for container in containers:
        if container.get("name") == rails_ecs.APP_CONTAINER:
            repository = str(container["image"]).split("@", 1)[0]
            name_end = repository.rfind("/") + 1
            tag = repository.rfind(":")
            container["image"] = (
                (repository[:tag] if tag >= name_end else repository) + "@" + digest
            )
    params["containerDefinitions"] = containers
    registered = ecs.register_task_definition(**params)["taskDefinition"]
    return str(registered["taskDefinitionArn"])


def _previous(ecs: Any, family: str, running: int) -> int:
    older = [n for n in revisions(ecs, family) if n < running]
    if not older:
        raise UsageError(f"{family} has no ACTIVE revision before {running} to roll back to")
    return older[0]


def choose(ecs: Any, spec: str | None, current: dict[str, Any]) -> str:
    """The task definition (family:revision or ARN) to point the web service at."""
    family, running = str(current["family"]), int(current["revision"])
    wanted = parse(spec, family)
    if wanted is None:
        return f"{family}:{_previous(ecs, family, running)}"
    if wanted[0] == "digest":
        return register_with_image(ecs, current, str(spec))
    if wanted[1] == running:
        raise UsageError(f"the web service already runs {family}:{running}")
    if wanted[1] not in revisions(ecs, family):
        raise UsageError(f"{family}:{wanted[1]} is not an ACTIVE revision (see rails status)")
    return f"{family}:{wanted[1]}"


def rollback(
    ecs: Any, where: Target, spec: str | None, echo: Echo, *, wait_seconds: int = WAIT_SECONDS
) -> int:
    """Point the web service at the chosen revision, wait until stable; 0. What it prints
    names images and revisions as AWS returns them: escaped for the terminal."""

    def say(line: str) -> None:
        echo(printable(line))

    service = str(where.tasks.need("webService"))
    with aws_errors(where):
        found = ecs.describe_services(cluster=where.cluster, services=[service])["services"]
        if not found:
            raise UsageError(f"service {service} is not in {where.cluster}")
        current = ecs.describe_task_definition(taskDefinition=found[0]["taskDefinition"])[
            "taskDefinition"
        ]
        chosen = choose(ecs, spec, current)
        target = ecs.describe_task_definition(taskDefinition=chosen)["taskDefinition"]
        before = f"{short(current['taskDefinitionArn'])} ({image_of(current)})"
        after = f"{short(target['taskDefinitionArn'])} ({image_of(target)})"
        say(f"{service}: {before} -> {after}")
        ecs.update_service(
            cluster=where.cluster, service=service, taskDefinition=target["taskDefinitionArn"]
        )
        say(f"waiting for {service} to be stable (at most {wait_seconds} s)")
        _wait(ecs, where, service, wait_seconds)
    say(f"{service} is stable on {short(target['taskDefinitionArn'])}")
    say(
        "Pulumi's state still names the program's revision: the next `pulumi up` that changes "
        "the web task definition (or `pulumi up --refresh`) puts it back. To keep this one: "
        f"pulumi config set railsImage {image_of(target)}"
    )
    return 0


def _wait(ecs: Any, where: Target, service: str, seconds: int) -> None:
    import botocore.exceptions

    attempts = max(1, math.ceil(seconds / WAIT_DELAY))
    try:
        ecs.get_waiter("services_stable").wait(
            cluster=where.cluster,
            services=[service],
            WaiterConfig={"Delay": WAIT_DELAY, "MaxAttempts": attempts},
        )
    except botocore.exceptions.WaiterError:
        raise AwsError(
            f"{service} was not stable within {seconds} s: ECS carries on (its circuit breaker "
            "may roll back); see dockyard rails status"
        ) from None
