"""IAM policy documents, as plain data."""

from __future__ import annotations

import json
from typing import Any


def assume_role_policy(service: str) -> str:
    """A trust policy that lets one AWS service (e.g. ecs-tasks.amazonaws.com) assume a role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
            ],
        }
    )


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
