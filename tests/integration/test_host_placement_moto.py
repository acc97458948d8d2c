"""The hosts' zones from EC2's own data: moto answers describe-subnets and
describe-instance-type-offerings with AWS's offerings (in us-east-1, us-east-1e, zone id
use1-az3, offers none of t3.small, t3.medium, m6i.large), and the program, evaluated
under mocks that answer its lookups with those answers, places no host there."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError
from tests.harness.moto import MotoServer
from tests.harness.pulumi_program import RecordingMocks, evaluate

pytestmark = pytest.mark.integration

ENI = "aws:ec2/networkInterface:NetworkInterface"
BASE = {
    "aws:region": "us-east-1",
    "dockyard:adminCidrs": ["198.51.100.0/24"],
    "dockyard:runAnsible": "false",
}


def _ec2_answers(moto_server: MotoServer, instance_type: str) -> dict[str, Any]:
    """The default VPC's default subnets with their zones, and the zones offering the type."""
    ec2 = moto_server.client("ec2")
    subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
    offers = ec2.describe_instance_type_offerings(
        LocationType="availability-zone",
        Filters=[{"Name": "instance-type", "Values": [instance_type]}],
    )["InstanceTypeOfferings"]
    return {
        "zones": {s["SubnetId"]: s["AvailabilityZone"] for s in subnets["Subnets"]},
        "offered": sorted(o["Location"] for o in offers),
    }


@pytest.mark.parametrize("instance_type", ["t3.small", "t3.medium", "m6i.large"])
def test_no_host_in_a_zone_without_its_type(moto_server: MotoServer, instance_type: str) -> None:
    """Six hosts on the default VPC's six subnets: all in the five zones offering the type
    (before, sorted round robin put one in us-east-1e, where RunInstances refuses it)."""
    answers = _ec2_answers(moto_server, instance_type)
    zones: dict[str, str] = answers["zones"]
    assert "us-east-1e" in zones.values() and "us-east-1e" not in answers["offered"]
    mocks = RecordingMocks(
        default_subnets=sorted(zones),
        zones=zones,
        offerings={instance_type: answers["offered"]},
    )
    result = evaluate(
        {"dockyard:hostCount": "6", "dockyard:instanceType": instance_type},
        base=BASE,
        mocks=mocks,
    )
    placed = [zones[eni.inputs["subnetId"]] for eni in result.of_type(ENI)]
    assert len(placed) == 6
    assert set(placed) == set(answers["offered"])  # every offering zone used, none other


def test_a_type_no_zone_offers_names_instance_type(moto_server: MotoServer) -> None:
    """When no zone of the subnets offers the type, the program stops naming instanceType."""
    zones = _ec2_answers(moto_server, "t3.small")["zones"]
    mocks = RecordingMocks(default_subnets=sorted(zones), zones=zones, offerings={"t3.small": []})
    with pytest.raises(ConfigError) as caught:
        evaluate({"dockyard:instanceType": "t3.small"}, base=BASE, mocks=mocks)
    assert str(caught.value).startswith("dockyard:instanceType: t3.small is not offered")
