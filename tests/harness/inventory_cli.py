"""What the `dockyard inventory` tests share: the command against moto, moto fleets, and
Ansible's reading of what it wrote."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.harness.ansible import groups_and_vars, inventory_list
from tests.harness.moto import REGION, MotoServer
from tests.harness.tools import REPO

WRAPPER = REPO / "inventory" / "dockyard-inventory"
SEED_GROUPS = ("flocker_control_service", "flocker_agents", "flocker_docker_plugin")
OTHER_REGION = "eu-west-1"


def ansible_groups(source: Path | str, tmp: Path) -> dict[str, Any]:
    """`ansible-inventory -i SOURCE --list` (no warnings): group -> sorted hosts, hostvars."""
    groups, hostvars = groups_and_vars(inventory_list(source, tmp))
    result: dict[str, Any] = {name: hosts for name, (hosts, _) in groups.items()}
    result["children:nodes"] = groups.get("nodes", ([], []))[1]
    result["_hostvars"] = hostvars
    return result


def dockyard(
    *args: str, moto: MotoServer, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockyard", "inventory", *args],
        env=moto.env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def discover_args(moto: MotoServer) -> list[str]:
    return ["--discover", "--endpoint-url", moto.endpoint, "--region", REGION]


def run_instances(moto: MotoServer, count: int, tags: dict[str, str], **kwargs: Any) -> list[str]:
    """`count` instances with these tags (in kwargs' `region`, else the default one)."""
    region = kwargs.pop("region", REGION)
    client = moto.client("ec2", region)
    ami = client.describe_images()["Images"][0]["ImageId"]
    answer = client.run_instances(
        ImageId=ami,
        MinCount=count,
        MaxCount=count,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
            }
        ],
        **kwargs,
    )
    return [i["InstanceId"] for i in answer["Instances"]]
