"""IAM policy documents, as plain data."""

from __future__ import annotations

import json
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
