"""Day 2 of honest deploys (dev stack): the web service waits for its steady state within
railsDeployTimeout minutes, and changing that setting replaces nothing.

`wait_for_steady_state` is Optional, not ForceNew, in terraform-provider-aws
(internal/service/ecs/service.go @00a919d1: `"wait_for_steady_state": {Type: TypeBool,
Optional: true, Default: false}`); the wait's bound is the resource's create/update
timeout (`Timeouts: Create/Update schema.DefaultTimeout(20 * time.Minute)`), a resource
option the engine keeps in the state, not an input the provider diffs."""

from __future__ import annotations

import pytest

from components.config.reader import ConfigError
from tests.harness.day2 import evaluate_changed, next_up, replaced

TIMEOUT = "dockyard:railsDeployTimeout"
SERVICE = "aws:ecs/service:Service"


@pytest.mark.parametrize("minutes", [1, 20, 180])
def test_web_service_waits_within_the_timeout(minutes: int) -> None:
    """The web service waits for its steady state, bounded by railsDeployTimeout minutes on
    both create and update; the database service keeps not waiting (one task at a time, its
    rollouts stop the old task first)."""
    graph = evaluate_changed("dev", {TIMEOUT: minutes})
    services = {r.name: r for r in graph.of_type(SERVICE)}
    web, db = services["rails-web"], services["rails-db"]
    assert web.inputs["waitForSteadyState"] is True
    assert web.options["customTimeouts"] == {"create": f"{minutes}m", "update": f"{minutes}m"}
    assert db.inputs["waitForSteadyState"] is False
    assert "customTimeouts" not in db.options


def test_default_timeout_is_the_providers() -> None:
    """With the key unset the bound is Pulumi.yaml's default, 20 minutes (the provider's own
    default timeout, so nothing a user relied on got shorter)."""
    (web,) = [
        r
        for r in evaluate_changed("dev", {TIMEOUT: None}).of_type(SERVICE)
        if r.name == "rails-web"
    ]
    assert web.options["customTimeouts"] == {"create": "20m", "update": "20m"}


@pytest.mark.parametrize(("before", "after"), [(20, 45), (45, 5)])
def test_changing_the_timeout_replaces_nothing(before: int, after: int) -> None:
    """A new railsDeployTimeout is no step at all: the timeouts are not inputs, so the next
    `pulumi up` neither replaces nor updates the service (nor anything else)."""
    changes = next_up({TIMEOUT: before}, {TIMEOUT: after})
    assert not replaced(changes)
    assert changes == []


@pytest.mark.parametrize("bad", [0, 181, -5])
def test_out_of_range_timeout_is_refused(bad: int) -> None:
    """0, negative or over 180 minutes: a ConfigError naming railsDeployTimeout."""
    with pytest.raises(ConfigError, match="railsDeployTimeout"):
        evaluate_changed("dev", {TIMEOUT: bad})
