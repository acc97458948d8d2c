"""Which subnets the Docker hosts go in: round robin over the subnets whose zone offers
the instance type (EC2's instance type offerings). Not every zone offers every type
(in us-east-1, use1-az3 offers none of t3.small, t3.medium, m6i.large), and RunInstances
refuses a host placed in one that does not.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from dockyard.errors import DockyardError


class PlacementError(DockyardError):
    """No subnet is in a zone that offers the instance type: `problem` and `fix` apart, for
    a config error to name the key."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.problem, self.fix = problem, fix


def place_hosts(
    subnets: Sequence[tuple[str, str]], offered: Collection[str], count: int, instance_type: str
) -> list[str]:
    """For each of `count` hosts, a subnet id: round robin over `subnets` ((id, zone), in
    their order) skipping those whose zone is not in `offered`; PlacementError naming the
    zones when none is."""
    usable = [subnet for subnet, zone in subnets if zone in offered]
    if count and not usable:
        zones = ", ".join(sorted({zone for _, zone in subnets})) or "none"
        raise PlacementError(
            f"{instance_type} is not offered in any zone of the hosts' subnets ({zones})",
            "choose an instance type those zones offer (aws ec2 describe-instance-type-"
            "offerings --location-type availability-zone --filters Name=instance-type,"
            f"Values={instance_type}), or subnets in zones that offer it",
        )
    return [usable[i % len(usable)] for i in range(count)]
