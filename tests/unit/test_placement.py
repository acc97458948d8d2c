"""Which subnets the Docker hosts go in (dockyard.hosts.placement)."""

from __future__ import annotations

import pytest

from dockyard.errors import DockyardError
from dockyard.hosts.placement import PlacementError, place_hosts

SUBNETS = [("subnet-a", "us-east-1a"), ("subnet-e", "us-east-1e"), ("subnet-b", "us-east-1b")]


def test_round_robin_skips_zones_without_the_type() -> None:
    """Hosts go round robin over the subnets in order, leaving out a zone that does not
    offer the instance type."""
    assert place_hosts(SUBNETS, {"us-east-1a", "us-east-1b"}, 3, "t3.small") == [
        "subnet-a",
        "subnet-b",
        "subnet-a",
    ]


def test_every_zone_offered_is_plain_round_robin() -> None:
    offered = {zone for _, zone in SUBNETS}
    assert place_hosts(SUBNETS, offered, 4, "t3.small") == [
        "subnet-a",
        "subnet-e",
        "subnet-b",
        "subnet-a",
    ]


def test_no_zone_offers_it() -> None:
    """The error names the type, the zones and how to look the offerings up."""
    with pytest.raises(PlacementError) as caught:
        place_hosts(SUBNETS, {"us-east-1d"}, 2, "m6i.large")
    assert isinstance(caught.value, DockyardError)
    assert caught.value.problem == (
        "m6i.large is not offered in any zone of the hosts' subnets "
        "(us-east-1a, us-east-1b, us-east-1e)"
    )
    assert "describe-instance-type-offerings" in caught.value.fix


def test_no_hosts_need_no_zone() -> None:
    assert place_hosts(SUBNETS, set(), 0, "t3.small") == []
