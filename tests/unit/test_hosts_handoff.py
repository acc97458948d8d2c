"""The pure parts of the hosts' day-2 behaviour: per-host agent.yml zones, known_hosts
keyed by instance, Flocker's EBS policy."""

from __future__ import annotations

import json

import pytest
import yaml

from dockyard.hosts.ansible import handoff
from dockyard.hosts.inventory import Host, build_inventory, host_vars
from dockyard.iam import FLOCKER_VOLUME_TAGS, flocker_ebs_policy

RECORDS = [
    {"name": "h-1", "role": "control", "instanceId": "i-1", "publicIp": "198.51.100.1",
     "privateIp": "10.0.1.1", "availabilityZone": "eu-west-1a"},
    {"name": "h-2", "role": "agent", "instanceId": "i-2", "publicIp": "198.51.100.2",
     "privateIp": "10.0.2.2", "availabilityZone": "eu-west-1b"},
]  # fmt: skip


@pytest.mark.parametrize(
    ("zone", "expected"),
    [(None, ["eu-west-1a", "eu-west-1b"]), ("c", ["eu-west-1c", "eu-west-1c"])],
)
def test_each_host_gets_its_own_zone_unless_one_is_set(
    zone: str | None, expected: list[str]
) -> None:
    """Each host's agent.yml names its own zone (EBS attaches only there); flockerZone, when
    set, is every host's; the agentYml output stays the control host's."""
    files = handoff(RECORDS, address="public", user="ubuntu", region="eu-west-1", zone=zone)
    assert files.host_names == ("198.51.100.1", "198.51.100.2")
    zones = [yaml.safe_load(text)["dataset"]["zone"] for text in files.host_agent_ymls]
    assert zones == expected
    assert files.agent_yml == files.host_agent_ymls[0]
    for text in files.host_agent_ymls:
        assert yaml.safe_load(text)["control-service"]["hostname"] == "198.51.100.1"


@pytest.mark.parametrize(
    ("instance_id", "alias"), [("i-0abc", "-oHostKeyAlias=i-0abc"), (None, None)]
)
def test_known_hosts_are_keyed_by_instance(instance_id: str | None, alias: str | None) -> None:
    """A host with an instance id gets ssh's HostKeyAlias = that id; one without keeps the
    address as its known_hosts key."""
    host = Host("198.51.100.1", instance_id=instance_id)
    assert host_vars(build_inventory([host]), host).get("ansible_ssh_extra_args") == alias


def test_flocker_policy_scopes_what_ec2_allows() -> None:
    """Volumes are attached, detached and deleted only when they carry Flocker's cluster
    tag, attached only to the stack's instances, and tagged only with Flocker's keys."""
    document = json.loads(flocker_ebs_policy("eu-west-1", {"Stack": "dev", "Project": "p"}))
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    assert by_sid["UseFlockerVolumes"]["Condition"] == {
        "Null": {"aws:ResourceTag/flocker-cluster-id": "false"}
    }
    assert by_sid["OnTheStacksHosts"]["Condition"]["StringEquals"] == {
        "aws:ResourceTag/Project": "p",
        "aws:ResourceTag/Stack": "dev",
    }
    tag_keys = by_sid["TagVolumesForFlocker"]["Condition"]["ForAllValues:StringEquals"]
    assert tag_keys == {"aws:TagKeys": list(FLOCKER_VOLUME_TAGS)}
    for statement in document["Statement"]:
        if statement["Resource"] != "*":
            assert statement["Resource"].startswith("arn:aws:ec2:eu-west-1:")
    assert [s["Action"] for s in document["Statement"] if s["Resource"] == "*"] == [
        "ec2:DescribeVolumes"
    ]
