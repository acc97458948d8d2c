"""`dockyard inventory`'s aws_ec2-style options against moto server, read back by Ansible.

`--filter` on the pipe (applied by dockyard) and with `--discover` (applied by EC2, here
moto) must keep the same hosts; `--hostname`, `--group-by` and several `--region` are
read back with `ansible-inventory --list`. The pipe is fed by the real
`aws ec2 describe-instances` against the same server, with no state filter.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.harness.inventory_cli import (
    OTHER_REGION,
    SEED_GROUPS,
    ansible_groups,
    discover_args,
    dockyard,
)
from tests.harness.inventory_cli import run_instances as _run
from tests.harness.moto import REGION, MotoServer
from tests.harness.tools import require_tool

pytestmark = pytest.mark.integration


def make_fleet(moto: MotoServer) -> dict[str, list[str]]:
    """Instances of two Env values and two types, one stopped, other prefixes; by role."""
    fleet = {
        "prod": _run(moto, 2, {"Name": "my-prefix-web", "Env": "prod"}, InstanceType="t3.micro"),
        "stage": _run(
            moto, 2, {"Name": "my-prefix-db", "Env": "stage/eu"}, InstanceType="m5.large"
        ),
        "untagged": _run(moto, 1, {"Name": "my-prefix-bare"}, InstanceType="t3.micro"),
        "other": _run(moto, 1, {"Name": "other-web", "Env": "prod"}),
    }
    moto.client("ec2").stop_instances(InstanceIds=[fleet["prod"][1]])
    return fleet


def described(moto: MotoServer, region: str = REGION) -> str:
    """The real `aws ec2 describe-instances --output json`: every instance, every state."""
    return subprocess.run(
        [
            require_tool("aws"),
            *("ec2", "describe-instances", "--endpoint-url", moto.endpoint),
            *("--region", region, "--output", "json"),
        ],
        env=moto.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def readable(out: Path, fmt: str) -> Path:
    """The inventory as Ansible is given it: the JSON `--list` document from a script."""
    if fmt != "json":
        return out
    script = out.with_name(out.name + "-serve")
    script.write_text(f"#!/bin/sh\nexec cat '{out}'\n")
    script.chmod(0o755)
    return script


def _ids(found: dict[str, Any]) -> set[str]:
    return {v["instance_id"] for v in found["_hostvars"].values()}


FILTERS = [
    ["Name=tag:Env,Values=prod"],
    ["Name=tag:Env,Values=prod,stage*"],
    ["Name=instance-type,Values=m5.large"],
    ["Name=tag:Env,Values=stage*", "Name=instance-type,Values=m5.large"],
    ["Name=tag:Env,Values=prod", "Name=instance-type,Values=m5.large"],
    ["Name=tag-key,Values=Env"],
    ["Name=availability-zone,Values=us-east-1a"],
]


@pytest.mark.parametrize("filters", FILTERS, ids=[" & ".join(f) for f in FILTERS])
def test_filters_keep_the_same_hosts_on_the_pipe_and_with_discover(
    filters: list[str], moto_server: MotoServer, tmp_path: Path
) -> None:
    """The same --filter: dockyard on the piped document, moto on --discover: same hosts."""
    fleet = make_fleet(moto_server)
    args = [arg for text in filters for arg in ("--filter", text)]
    piped = dockyard(
        "--name-prefix",
        "my-prefix",
        *args,
        "-o",
        str(tmp_path / "piped"),
        moto=moto_server,
        stdin=described(moto_server),
    )
    found = dockyard(
        *discover_args(moto_server), *args, "-o", str(tmp_path / "found"), moto=moto_server
    )
    if piped.returncode == 2:  # nothing matched: both say so
        assert found.returncode == 2
        assert "no running instances" in piped.stderr and "no running instances" in found.stderr
        return
    assert piped.returncode == 0 and found.returncode == 0, piped.stderr + found.stderr
    assert (tmp_path / "piped").read_text() == (tmp_path / "found").read_text()
    ids = _ids(ansible_groups(tmp_path / "piped", tmp_path))
    assert fleet["prod"][1] not in ids and not ids & set(fleet["other"])
    assert "left out by --filter" in piped.stderr


def test_filters_are_applied_not_ignored(moto_server: MotoServer, tmp_path: Path) -> None:
    """One filter leaves exactly the hosts it names: the running prod web host."""
    fleet = make_fleet(moto_server)
    for extra, stdin in ((["--name-prefix", "my-prefix"], described(moto_server)), (None, None)):
        args = extra if extra is not None else discover_args(moto_server)
        result = dockyard(
            *args,
            "--filter",
            "Name=tag:Env,Values=pro?",
            "-o",
            str(tmp_path / "inv"),
            moto=moto_server,
            stdin=stdin,
        )
        assert result.returncode == 0, result.stderr
        assert _ids(ansible_groups(tmp_path / "inv", tmp_path)) == {fleet["prod"][0]}


@pytest.mark.parametrize("fmt", ["ini", "yaml", "json"])
def test_group_by_makes_groups_ansible_reads(
    fmt: str, moto_server: MotoServer, tmp_path: Path
) -> None:
    """--group-by tag:Env,placement.availability_zone,instance_type: sanitised group names."""
    fleet = make_fleet(moto_server)
    out = tmp_path / "inv"
    result = dockyard(
        *discover_args(moto_server),
        *("--group-by", "tag:Env,placement.availability_zone", "--group-by", "instance_type"),
        *("--format", fmt, "-o", str(out)),
        moto=moto_server,
    )
    assert result.returncode == 0, result.stderr
    found = ansible_groups(readable(out, fmt), tmp_path)
    by_id = {v["instance_id"]: host for host, v in found["_hostvars"].items()}
    assert found["tag_Env_prod"] == [by_id[fleet["prod"][0]]]
    assert found["tag_Env_stage_eu"] == sorted(by_id[i] for i in fleet["stage"])
    assert found["instance_type_m5_large"] == found["tag_Env_stage_eu"]
    assert found["instance_type_t3_micro"] == sorted(
        by_id[i] for i in (fleet["prod"][0], *fleet["untagged"])
    )
    assert found["availability_zone_us_east_1a"] == sorted(by_id.values())
    assert found["flocker_agents"] == sorted(by_id.values())
    assert found["children:nodes"] == sorted(SEED_GROUPS)


@pytest.mark.parametrize(
    ("precedence", "expected"),
    [
        ("tag:Alias,id", lambda inst: inst["Tags"].get("Alias") or inst["InstanceId"]),
        ("id", lambda inst: inst["InstanceId"]),
        ("dns", lambda inst: inst["PublicDnsName"]),
        ("private-ip", lambda inst: inst["PrivateIpAddress"]),
        ("tag:Name", lambda inst: None),
    ],
    ids=["tag-then-id", "id", "dns", "private-ip", "duplicate-names"],
)
def test_hostname_precedence_names_hosts_and_keeps_their_address(
    precedence: str, expected: Any, moto_server: MotoServer, tmp_path: Path
) -> None:
    """--hostname: the first kind an instance has names it; ansible_host is its address."""
    fleet = make_fleet(moto_server)
    client = moto_server.client("ec2")
    alias = [{"Key": "Alias", "Value": "db_primary"}]
    client.create_tags(Resources=[fleet["stage"][0]], Tags=alias)
    out = tmp_path / "inv"
    args = (*discover_args(moto_server), "--hostname", precedence, "--format", "yaml")
    result = dockyard(*args, "-o", str(out), moto=moto_server)
    if precedence == "tag:Name":  # my-prefix-web twice: refused, nothing written
        assert result.returncode == 2
        assert "is given to two hosts" in result.stderr
        assert not out.exists()
        return
    assert result.returncode == 0, result.stderr
    found = ansible_groups(out, tmp_path)
    running = {
        inst["InstanceId"]: {**inst, "Tags": {t["Key"]: t["Value"] for t in inst["Tags"]}}
        for res in client.describe_instances()["Reservations"]
        for inst in res["Instances"]
        if inst["State"]["Name"] == "running" and inst["Tags"][0]["Value"].startswith("my-")
    }
    assert len(found["_hostvars"]) == len(running)
    for host, hvars in found["_hostvars"].items():
        inst = running[hvars["instance_id"]]
        assert host == expected(inst)
        address = inst.get("PublicIpAddress") or inst["PrivateIpAddress"]
        assert hvars.get("ansible_host", host) == address


def test_several_regions_are_discovered_into_one_inventory(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """--region twice: the hosts of both, one control host; one region alone: its hosts only."""
    here = _run(moto_server, 2, {"Name": "my-prefix-a"})
    there = _run(moto_server, 1, {"Name": "my-prefix-b"}, region=OTHER_REGION)
    base = ["--discover", "--endpoint-url", moto_server.endpoint]
    both = dockyard(
        *base, "--region", REGION, "--region", OTHER_REGION, "--group-by",
        "placement.region", "--format", "json", "-o", str(tmp_path / "both"), moto=moto_server,
    )  # fmt: skip
    assert both.returncode == 0, both.stderr
    found = ansible_groups(readable(tmp_path / "both", "json"), tmp_path)
    assert _ids(found) == {*here, *there}
    assert len(found["flocker_control_service"]) == 1
    assert len(found["region_us_east_1"]) == 2 and len(found["region_eu_west_1"]) == 1
    one = dockyard(*base, "--region", OTHER_REGION, "-o", str(tmp_path / "one"), moto=moto_server)
    assert one.returncode == 0, one.stderr
    assert _ids(ansible_groups(tmp_path / "one", tmp_path)) == set(there)


def test_no_new_option_changes_the_default_output(moto_server: MotoServer, tmp_path: Path) -> None:
    """Without the new options the pipe and --discover write what they wrote before."""
    make_fleet(moto_server)
    doc = described(moto_server)
    plain = dockyard("-o", "-", "--format", "json", moto=moto_server, stdin=doc)
    assert plain.returncode == 0, plain.stderr
    listing = json.loads(plain.stdout)
    groups = [g for g in listing if g not in ("_meta", "nodes")]
    assert groups == list(SEED_GROUPS)
    for hvars in listing["_meta"]["hostvars"].values():
        assert "ansible_host" not in hvars
    assert set(listing["_meta"]["hostvars"]) == set(listing["flocker_agents"]["hosts"])
    assert all(h[0].isdigit() for h in listing["_meta"]["hostvars"])  # named by address
