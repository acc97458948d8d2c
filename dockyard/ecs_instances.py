"""User data for ECS container instances on the ECS-optimized Amazon Linux AMI: the Rails
flow's EC2 capacity and the fio flow's instance-store hosts
(components/shared/ecs_cluster.ec2_capacity runs it on every instance it launches).

On that AMI the ECS agent starts after cloud-init has run the user data, so what the
script does first (mounting a disk) is done before any task is placed on the instance.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

_CLUSTER_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
"""ECS's rule for a cluster name (CreateCluster)."""
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}")
_ATTRIBUTE_VALUE = re.compile(r"[A-Za-z0-9_.@/:-]{1,128}")
"""Custom attributes, as ECS documents them (PutAttributes), without spaces and
backslashes, which ecs.config would need quoted."""


def user_data(
    cluster_name: str, *, setup: str = "", attributes: Mapping[str, str] | None = None
) -> str:
    """A bash script that joins the instance to the cluster (task IAM roles on, the
    instance metadata service closed to awsvpc tasks), then runs `setup` (lines of bash,
    under `set -euo pipefail`), then, only if `setup` succeeded, gives the instance the
    custom `attributes` (placement constraints match them: `attribute:NAME == VALUE`).
    A host whose setup failed is still in its cluster, without them, not in the
    account's `default` cluster. ValueError for a name ECS would refuse."""
    if not _CLUSTER_NAME.fullmatch(cluster_name):
        raise ValueError(f"cluster name {cluster_name!r} is not an ECS cluster name")
    script = (
        "#!/bin/bash\n"
        "set -euo pipefail\n"
        "cat >>/etc/ecs/ecs.config <<'EOF'\n"
        f"ECS_CLUSTER={cluster_name}\n"
        "ECS_ENABLE_TASK_IAM_ROLE=true\n"
        "ECS_AWSVPC_BLOCK_IMDS=true\n"
        "EOF\n"
    ) + setup
    if attributes:
        for name, value in attributes.items():
            if not (_ATTRIBUTE_NAME.fullmatch(name) and _ATTRIBUTE_VALUE.fullmatch(value)):
                raise ValueError(f"ECS attribute {name!r}={value!r} is not one ECS takes")
        line = f"ECS_INSTANCE_ATTRIBUTES={json.dumps(dict(attributes))}"
        script += f"cat >>/etc/ecs/ecs.config <<'EOF'\n{line}\nEOF\n"
    return script
