"""IAM policy documents, as plain data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def assume_role_policy(service: str, source_account: str | None) -> str:
    """A trust policy that lets one AWS service (e.g. ecs-tasks.amazonaws.com) assume a
    role, on behalf of `source_account` only (aws:SourceAccount: the confused-deputy
    guard). None leaves the condition out, for EC2's instance roles: EC2 assumes those
    without a source account in the request, so the condition would refuse it."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def tls_only_policy(bucket_arn: str) -> dict[str, Any]:
    """A bucket policy refusing every request not made over TLS (aws:SecureTransport)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


FLOCKER_VOLUME_TAGS = ("flocker-metadata-version", "flocker-cluster-id", "flocker-dataset-id")
"""The tags Flocker's EBS backend puts on the volumes it creates
(ClusterHQ/flocker flocker/node/agents/ebs.py, `create_volume`)."""


def flocker_ebs_policy(region: str, instance_tags: Mapping[str, str]) -> str:
    """What Flocker's AWS (EBS) backend calls, scoped as far as EC2 allows.

    The backend (flocker/node/agents/ebs.py) lists volumes (DescribeVolumes, which takes
    no resource scope), creates an untagged volume in its zone and then tags it
    (CreateVolume, CreateTags: so creation cannot require tags, but tagging is limited to
    Flocker's tag keys), and attaches, detaches and deletes the volumes of its cluster
    (those carrying `flocker-cluster-id`), attaching only to instances with
    `instance_tags` (the stack's hosts).
    """
    volumes = f"arn:aws:ec2:{region}:*:volume/*"
    instance_condition = {
        "StringEquals": {f"aws:ResourceTag/{k}": v for k, v in sorted(instance_tags.items())}
    }
    statements: list[dict[str, Any]] = [
        {"Sid": "ListVolumes", "Effect": "Allow", "Action": "ec2:DescribeVolumes", "Resource": "*"},
        {
            "Sid": "CreateVolumes",
            "Effect": "Allow",
            "Action": "ec2:CreateVolume",
            "Resource": volumes,
        },
        {
            "Sid": "TagVolumesForFlocker",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": volumes,
            "Condition": {
                "ForAllValues:StringEquals": {"aws:TagKeys": list(FLOCKER_VOLUME_TAGS)},
                "Null": {"aws:TagKeys": "false"},
            },
        },
        {
            "Sid": "UseFlockerVolumes",
            "Effect": "Allow",
            "Action": ["ec2:AttachVolume", "ec2:DetachVolume", "ec2:DeleteVolume"],
            "Resource": volumes,
            "Condition": {"Null": {"aws:ResourceTag/flocker-cluster-id": "false"}},
        },
        {
            "Sid": "OnTheStacksHosts",
            "Effect": "Allow",
            "Action": ["ec2:AttachVolume", "ec2:DetachVolume"],
            "Resource": f"arn:aws:ec2:{region}:*:instance/*",
            **({"Condition": instance_condition} if instance_tags else {}),
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements})
