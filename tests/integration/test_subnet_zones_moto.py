"""Subnets' zones from EC2's own answers (moto server): a VPC with two subnets in one
zone and one in another, made with create-subnet and read back with describe-subnets,
answers the program's getSubnet lookups. The Rails load balancer and EFS mount targets
over the two of one zone are refused naming both; over two zones they are built."""

from __future__ import annotations

import pytest

from tests.harness.moto import MotoServer
from tests.harness.pulumi_program import RecordingMocks, config_error, evaluate

pytestmark = pytest.mark.integration

RAILS = {"dockyard:rails": "true", "dockyard:dockerHosts": "false"}


def _vpc(moto_server: MotoServer) -> tuple[str, dict[str, str]]:
    """A VPC with subnets in us-east-1a, us-east-1a and us-east-1b; its id and EC2's zone
    of each subnet."""
    ec2 = moto_server.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    for cidr, zone in (("10.20.1.0/24", "a"), ("10.20.2.0/24", "a"), ("10.20.3.0/24", "b")):
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"us-east-1{zone}")
    listed = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return vpc, {s["SubnetId"]: s["AvailabilityZone"] for s in listed}


def test_two_subnets_of_one_zone_refused(moto_server: MotoServer) -> None:
    """The two us-east-1a subnets: ConfigError on subnetIds naming both and the zone."""
    vpc, zones = _vpc(moto_server)
    one_zone = sorted(s for s, z in zones.items() if z == "us-east-1a")
    mocks = RecordingMocks(vpc_subnets=sorted(zones), zones=zones)
    config = {**RAILS, "dockyard:vpcId": vpc, "dockyard:subnetIds": one_zone}
    message = config_error(
        lambda: evaluate(config, mocks=mocks), "dockyard:railsSubnetIds", "both in us-east-1a"
    )
    assert all(subnet in message for subnet in one_zone)


def test_subnets_of_two_zones_built(moto_server: MotoServer) -> None:
    """One subnet of each zone: the balancer and a mount target per subnet."""
    vpc, zones = _vpc(moto_server)
    chosen = [
        min(s for s, z in zones.items() if z == zone) for zone in ("us-east-1a", "us-east-1b")
    ]
    mocks = RecordingMocks(vpc_subnets=sorted(zones), zones=zones)
    result = evaluate({**RAILS, "dockyard:vpcId": vpc, "dockyard:subnetIds": chosen}, mocks=mocks)
    (balancer,) = result.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert balancer.inputs["subnets"] == chosen
    targets = result.of_type("aws:efs/mountTarget:MountTarget")
    assert sorted(zones[t.inputs["subnetId"]] for t in targets) == ["us-east-1a", "us-east-1b"]
