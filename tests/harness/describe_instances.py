"""`aws ec2 describe-instances --output json` documents, built from a few facts per host."""

from __future__ import annotations

from typing import Any


def instance(
    instance_id: str,
    *,
    public: str | None = None,
    private: str | None = None,
    name: str | None = "my-prefix-1",
    code: int = 16,
    launch: str | None = "2016-03-01T19:38:55.000Z",
    tags: dict[str, str] | None = None,
    zone: str = "us-east-1a",
) -> dict[str, Any]:
    """One instance as `aws ec2 describe-instances --output json` prints it (the parts used)."""
    doc: dict[str, Any] = {
        "InstanceId": instance_id,
        "State": {"Code": code, "Name": "running" if code & 0xFF == 16 else "stopped"},
        "Placement": {"AvailabilityZone": zone, "Tenancy": "default"},
        "KeyName": "my-key",
    }
    if public is not None:
        doc["PublicIpAddress"] = public
    if private is not None:
        doc["PrivateIpAddress"] = private
    if launch is not None:
        doc["LaunchTime"] = launch
    all_tags = dict(tags or {})
    if name is not None:
        all_tags["Name"] = name
    if all_tags:
        doc["Tags"] = [{"Key": k, "Value": v} for k, v in all_tags.items()]
    return doc


def document(*reservations: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole answer: one reservation per list of instances."""
    return {"Reservations": [{"ReservationId": "r-1", "Instances": r} for r in reservations]}
