"""What the zones of the subnets (EC2's getSubnet answers, mocked per subnet) and the
example stacks' placeholders must refuse: a load balancer or EFS mount targets over
subnets that share a zone (listed, default or from networkStack), flockerZone for hosts
placed in several zones, Flocker on the instance role under IMDSv2, placeholder ids."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError
from tests.harness.pulumi_program import RecordingMocks, config_error, evaluate
from tests.harness.stackref import ReferenceMocks

VPC = "vpc-0123456789abcdef0"
A1, A2, B1 = "subnet-0aaa1111", "subnet-0aaa2222", "subnet-0bbb1111"
SAME_ZONE = {A1: "us-east-1a", A2: "us-east-1a", B1: "us-east-1b"}
"""A1 and A2 share us-east-1a."""
FLOCKER_KEYS = {
    "dockyard:flockerAccessKeyId": "AKIAEXAMPLE",
    "dockyard:flockerSecretAccessKey": "s3cr3t-value",
}
NETWORK = "acme/network/prod"


def listed(subnets: list[str], **config: Any) -> dict[str, Any]:
    return {"dockyard:vpcId": VPC, "dockyard:subnetIds": subnets, **config}


@pytest.mark.parametrize(
    ("config", "key"),
    [
        (
            listed([A1, A2], **{"dockyard:rails": "true", "dockyard:dockerHosts": "false"}),
            "dockyard:railsSubnetIds",
        ),
        (
            listed(
                [A1, B1],
                **{
                    "dockyard:rails": "true",
                    "dockyard:dockerHosts": "false",
                    "dockyard:railsSubnetIds": [A1, A2],
                },
            ),
            "dockyard:railsSubnetIds",
        ),
        (
            listed([A1, A2], **{"dockyard:fioBench": "true", "dockyard:dockerHosts": "false"}),
            "dockyard:subnetIds",
        ),
    ],
    ids=["rails-from-subnetIds", "railsSubnetIds", "fio-balancer"],
)
def test_subnets_sharing_a_zone_are_refused(config: dict[str, Any], key: str) -> None:
    """Two subnets in one zone (distinct ids): the error names the key, both subnets and
    the zone they share."""
    mocks = RecordingMocks(vpc_subnets=[A1, A2, B1], zones=SAME_ZONE)
    message = config_error(
        lambda: evaluate(config, mocks=mocks), key, "needs each subnet in a zone of its own"
    )
    assert f"{A1} and {A2}, both in us-east-1a" in message and "Fix: " in message


def test_default_subnets_sharing_a_zone_are_refused() -> None:
    """The default VPC's subnets are checked by zone too (railsSubnetIds is the key)."""
    mocks = RecordingMocks(default_subnets=[A1, A2], zones=SAME_ZONE)
    config = {
        "dockyard:vpcId": None,
        "dockyard:subnetIds": None,
        "dockyard:rails": "true",
        "dockyard:dockerHosts": "false",
    }
    message = config_error(
        lambda: evaluate(config, mocks=mocks), "dockyard:railsSubnetIds", "both in us-east-1a"
    )
    assert "the default VPC has" in message


def test_subnets_in_distinct_zones_pass() -> None:
    """One subnet per zone: the balancer and the mount targets get exactly those."""
    mocks = RecordingMocks(vpc_subnets=[A1, A2, B1], zones=SAME_ZONE)
    config = listed([A1, B1], **{"dockyard:rails": "true", "dockyard:dockerHosts": "false"})
    result = evaluate(config, mocks=mocks)
    (balancer,) = result.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert balancer.inputs["subnets"] == [A1, B1]
    targets = result.of_type("aws:efs/mountTarget:MountTarget")
    assert sorted(t.inputs["subnetId"] for t in targets) == [A1, B1]


@pytest.mark.parametrize(
    ("zones", "refused"), [(SAME_ZONE, True), ({**SAME_ZONE, A2: "us-east-1c"}, False)]
)
def test_network_stack_subnets_checked_by_zone(zones: dict[str, str], refused: bool) -> None:
    """networkStack's subnetIds output (known only as an Output) is checked by zone when it
    resolves: the fio load balancer over two subnets of one zone is refused."""
    config = {
        "dockyard:vpcId": None,
        "dockyard:subnetIds": None,
        "dockyard:networkStack": NETWORK,
        "dockyard:fioBench": "true",
        "dockyard:dockerHosts": "false",
    }
    mocks = ReferenceMocks({NETWORK: {"vpcId": VPC, "subnetIds": [A1, A2]}}, zones=zones)
    if not refused:
        (balancer,) = evaluate(config, mocks=mocks).of_type("aws:lb/loadBalancer:LoadBalancer")
        assert balancer.inputs["subnets"] == [A1, A2]
        return
    with pytest.raises(ConfigError) as caught:
        evaluate(config, mocks=mocks)
    message = str(caught.value)
    assert message.startswith("dockyard:subnetIds: ")
    assert "networkStack's subnetIds output lists" in message and "both in us-east-1a" in message


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        (
            {"dockyard:flockerZone": "a"},
            "dockyard:flockerAccessKeyId",
            "the hosts require IMDSv2 and Flocker 1.x's boto 2 cannot read",
        ),
        (
            {"dockyard:flockerRegion": "us-west-2"},
            "dockyard:flockerAccessKeyId",
            "is not set while flockerRegion is",
        ),
        (
            {"dockyard:flockerZone": "a", **FLOCKER_KEYS},
            "dockyard:flockerZone",
            "is us-east-1a for every host's agent.yml, but the 3 hosts are placed in "
            "us-east-1a, us-east-1b; outside us-east-1a: subnet-0bbb2222 (us-east-1b)",
        ),
        (
            {"dockyard:vpcId": "vpc-0fe00000000000001", "dockyard:subnetIds": [A1]},
            "dockyard:vpcId",
            "placeholder vpc-0fe00000000000001",
        ),
        (
            listed(["subnet-0fe000000000000a1", "subnet-0fe000000000000b1"]),
            "dockyard:subnetIds",
            "placeholders subnet-0fe000000000000a1, subnet-0fe000000000000b1",
        ),
    ],
    ids=["zone-instance-role", "region-instance-role", "zone-many-zones", "vpc", "subnets"],
)
def test_refused_with_key_and_fix(config: dict[str, Any], key: str, words: str) -> None:
    """Flocker on the instance role under IMDSv2, one flockerZone for hosts in three zones
    and the example stacks' placeholder ids: each refused naming the key and the fix."""
    secret = [k for k in FLOCKER_KEYS if k in config]
    message = config_error(lambda: evaluate(config, secret_keys=secret), key, words)
    assert "Fix: " in message


def test_flocker_zone_of_every_host_passes() -> None:
    """flockerZone with the access keys, every host in that zone: agent.yml names it."""
    mocks = RecordingMocks(vpc_subnets=[A1, A2], zones=SAME_ZONE)
    config = listed([A1, A2], **{"dockyard:flockerZone": "a", **FLOCKER_KEYS})
    result = evaluate(config, secret_keys=list(FLOCKER_KEYS), mocks=mocks)
    assert "zone: us-east-1a\n" in result.outputs["agentYml"]
