"""IAM policy documents, as plain data."""

from __future__ import annotations

import json


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
