"""`dockyard inventory` against moto server over HTTP, checked by ansible-inventory.

The fleet: several instances per reservation, stopped and terminated ones, one
without a public IP (non-default subnet), and instances of another name prefix.
The pipe path is fed by the real `aws ec2 describe-instances` against the same
server; every inventory is parsed by the real `ansible-inventory`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dockyard.hosts.region import REGION_ENV
from tests.harness.ansible import ansible_env
from tests.harness.inventory_cli import (
    SEED_GROUPS,
    WRAPPER,
    ansible_groups,
    discover_args,
    dockyard,
)
from tests.harness.moto import REGION, MotoServer
from tests.harness.tools import require_tool

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Fleet:
    """What the test made in moto: the running my-prefix instances, by id."""

    running: dict[str, dict[str, Any]]
    private_only: str
    stopped: str
    terminated: str
    subnet: str

    def addresses(self, kind: str = "auto") -> set[str]:
        found = set()
        for inst in self.running.values():
            public, private = inst.get("PublicIpAddress"), inst.get("PrivateIpAddress")
            chosen = {"public": public, "private": private, "auto": public or private}[kind]
            if chosen:
                found.add(chosen)
        return found


def _name_tags(name: str, **extra: str) -> list[dict[str, Any]]:
    tags = [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in extra.items())]
    return [{"ResourceType": "instance", "Tags": tags}]


def make_fleet(moto: MotoServer) -> Fleet:
    client = moto.client("ec2")
    ami = client.describe_images()["Images"][0]["ImageId"]

    def run(count: int, name: str, **kwargs: Any) -> list[str]:
        answer = client.run_instances(
            ImageId=ami,
            MinCount=count,
            MaxCount=count,
            TagSpecifications=_name_tags(name),
            **kwargs,
        )
        return [i["InstanceId"] for i in answer["Instances"]]

    run(3, "my-prefix-web")
    group_b = run(3, "my-prefix-db")
    vpc = client.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnet = client.create_subnet(VpcId=vpc, CidrBlock="10.77.0.0/24")["Subnet"]["SubnetId"]
    (private_only,) = run(1, "my-prefix-private", SubnetId=subnet)
    run(2, "other-prefix")
    client.stop_instances(InstanceIds=[group_b[1]])
    client.terminate_instances(InstanceIds=[group_b[2]])
    client.create_tags(Resources=[group_b[0]], Tags=[{"Key": "env", "Value": "prod"}])
    running = {
        inst["InstanceId"]: inst
        for res in client.describe_instances()["Reservations"]
        for inst in res["Instances"]
        if inst["State"]["Code"] == 16 and inst["Tags"][0]["Value"].startswith("my-prefix")
    }
    assert len(running) == 5 and private_only in running
    assert "PublicIpAddress" not in running[private_only]
    return Fleet(running, private_only, group_b[1], group_b[2], subnet)


def test_discover_makes_an_inventory_ansible_reads(moto_server: MotoServer, tmp_path: Path) -> None:
    """--discover: every running my-prefix instance (auto addresses), one control host."""
    fleet = make_fleet(moto_server)
    out = tmp_path / "ansible_inventory"
    result = dockyard(*discover_args(moto_server), "-o", str(out), moto=moto_server)
    assert result.returncode == 0, result.stderr
    found = ansible_groups(out, tmp_path)
    assert found["flocker_agents"] == sorted(fleet.addresses("auto"))
    assert found["flocker_docker_plugin"] == found["flocker_agents"]
    assert len(found["flocker_control_service"]) == 1
    assert found["children:nodes"] == sorted(SEED_GROUPS)
    assert {v["instance_id"] for v in found["_hostvars"].values()} == set(fleet.running)


def test_public_addresses_skip_and_report_the_private_only_host(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """--address public: the instance without a public IP is reported on stderr and left out."""
    fleet = make_fleet(moto_server)
    out = tmp_path / "inv"
    result = dockyard(
        *discover_args(moto_server), "--address", "public", "-o", str(out), moto=moto_server
    )
    assert result.returncode == 0, result.stderr
    assert f"skipped {fleet.private_only} (my-prefix-private): no public IP" in result.stderr
    assert ansible_groups(out, tmp_path)["flocker_agents"] == sorted(fleet.addresses("public"))


def test_pipe_from_aws_cli_matches_discover(moto_server: MotoServer, tmp_path: Path) -> None:
    """`aws ec2 describe-instances --output json | dockyard inventory` == --discover, byte for byte.

    The pipe carries stopped and terminated instances too (no state filter): the
    parser drops them by State.Code.
    """
    make_fleet(moto_server)
    aws = require_tool("aws")
    described = subprocess.run(
        [
            aws,
            "ec2",
            "describe-instances",
            "--endpoint-url",
            moto_server.endpoint,
            "--region",
            REGION,
            "--filters",
            "Name=tag:Name,Values=my-prefix*",
            "--output",
            "json",
        ],
        env=moto_server.env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    states = {
        i["State"]["Name"]
        for r in json.loads(described.stdout)["Reservations"]
        for i in r["Instances"]
    }
    assert {"running", "stopped", "terminated"} <= states
    piped = dockyard("-o", str(tmp_path / "piped"), moto=moto_server, stdin=described.stdout)
    assert piped.returncode == 0, piped.stderr
    found = dockyard(*discover_args(moto_server), "-o", str(tmp_path / "found"), moto=moto_server)
    assert found.returncode == 0, found.stderr
    assert (tmp_path / "piped").read_text() == (tmp_path / "found").read_text()


@pytest.mark.parametrize("fmt", ["ini", "yaml", "json"])
def test_every_format_parses_into_the_same_groups(
    fmt: str, moto_server: MotoServer, tmp_path: Path
) -> None:
    """INI and YAML files, and the JSON `--list` document served by a script, read the same."""
    fleet = make_fleet(moto_server)
    out = tmp_path / f"inventory.{fmt}"
    result = dockyard(
        *discover_args(moto_server),
        "--format",
        fmt,
        "--group-by-tag",
        "env",
        "-o",
        str(out),
        moto=moto_server,
    )
    assert result.returncode == 0, result.stderr
    source = out
    if fmt == "json":
        # A static JSON inventory is the dynamic-inventory document; Ansible reads that
        # from an executable, so serve the file from one.
        source = tmp_path / "serve-json"
        source.write_text(f"#!/bin/sh\nexec cat '{out}'\n")
        source.chmod(0o755)
    found = ansible_groups(source, tmp_path)
    assert found["flocker_agents"] == sorted(fleet.addresses("auto"))
    assert len(found["flocker_control_service"]) == 1
    prod = [
        i for i, inst in fleet.running.items() if {"Key": "env", "Value": "prod"} in inst["Tags"]
    ]
    assert found["tag_env_prod"] == sorted(fleet.addresses("auto") & _addresses(fleet, prod))


def _addresses(fleet: Fleet, ids: list[str]) -> set[str]:
    return {
        fleet.running[i].get("PublicIpAddress") or fleet.running[i]["PrivateIpAddress"] for i in ids
    }


def test_role_control_tag_chooses_the_control_host(moto_server: MotoServer, tmp_path: Path) -> None:
    """The instance tagged role=control is the control host, whatever its launch time or id."""
    fleet = make_fleet(moto_server)
    chosen = max(fleet.running)
    moto_server.client("ec2").create_tags(
        Resources=[chosen], Tags=[{"Key": "role", "Value": "control"}]
    )
    out = tmp_path / "inv"
    result = dockyard(*discover_args(moto_server), "-o", str(out), moto=moto_server)
    assert result.returncode == 0, result.stderr
    assert ansible_groups(out, tmp_path)["flocker_control_service"] == sorted(
        _addresses(fleet, [chosen])
    )


def test_wrapper_is_a_dynamic_inventory(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ansible-inventory -i inventory/dockyard-inventory --list` and `--graph` via env settings."""
    fleet = make_fleet(moto_server)
    env = {
        **moto_server.env,
        "DOCKYARD_PYTHON": sys.executable,
        "DOCKYARD_REGION": REGION,
        "DOCKYARD_ENDPOINT_URL": moto_server.endpoint,
        "DOCKYARD_NAME_PREFIX": "my-prefix",
        "DOCKYARD_GROUP_BY_TAGS": "env",
        "DOCKYARD_ANSIBLE_USER": "admin",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    found = ansible_groups(WRAPPER, tmp_path)
    assert found["flocker_agents"] == sorted(fleet.addresses("auto"))
    assert {v["ansible_user"] for v in found["_hostvars"].values()} == {"admin"}
    assert "tag_env_prod" in found
    graph = subprocess.run(
        [require_tool("ansible-inventory"), "-i", str(WRAPPER), "--graph"],
        env=ansible_env(tmp_path),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert graph.returncode == 0, graph.stderr
    assert "@nodes:" in graph.stdout
    assert "|--@flocker_control_service:" in graph.stdout
    for address in fleet.addresses("auto"):
        assert f"|--{address}" in graph.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name-prefix", "nobody"], "no running instances named nobody*"),
        (["--endpoint-url", "http://127.0.0.1:9"], "could not reach EC2"),
    ],
    ids=["no-match", "unreachable"],
)
def test_discover_failures_exit_2_and_write_nothing(
    args: list[str], message: str, moto_server: MotoServer, tmp_path: Path
) -> None:
    """No matching instances, or no EC2 to ask: exit 2, one line on stderr, no file."""
    make_fleet(moto_server)
    out = tmp_path / "inv"
    result = dockyard(*discover_args(moto_server), *args, "-o", str(out), moto=moto_server)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_discover_reads_every_page(moto_server: MotoServer, tmp_path: Path) -> None:
    """moto answers at most 100 reservations per call: --discover follows NextToken to the end."""
    client = moto_server.client("ec2")
    ami = client.describe_images()["Images"][0]["ImageId"]
    for index in range(110):
        client.run_instances(
            ImageId=ami, MinCount=1, MaxCount=1, TagSpecifications=_name_tags(f"my-prefix-{index}")
        )
    first = client.describe_instances()
    assert len(first["Reservations"]) < 110 and first.get("NextToken")
    out = tmp_path / "inv.json"
    result = dockyard(
        *discover_args(moto_server), "--format", "json", "-o", str(out), moto=moto_server
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(out.read_text())["_meta"]["hostvars"]) == 110


def test_a_real_terminal_on_stdin_is_refused(tmp_path: Path) -> None:
    """Run with a pseudo-terminal as stdin: exit 2 telling how to pipe, nothing written."""
    primary, secondary = os.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "dockyard", "inventory", "-o", str(tmp_path / "inv")],
            stdin=secondary,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert result.returncode == 2
    assert "stdin is a terminal: pipe `aws ec2 describe-instances --output json`" in result.stderr
    assert list(tmp_path.iterdir()) == []


def regionless_env(moto: MotoServer, tmp: Path, config: str | None) -> dict[str, str]:
    """moto's environment with no region in it, HOME empty, AWS_CONFIG_FILE holding `config`."""
    env = {k: v for k, v in moto.env.items() if k not in (*REGION_ENV, "AWS_PROFILE")}
    home = tmp / "home"
    home.mkdir()
    env["HOME"] = str(home)
    env["AWS_CONFIG_FILE"] = str(tmp / "aws-config")
    if config is not None:
        (tmp / "aws-config").write_text(config)
    env["DOCKYARD_PYTHON"] = sys.executable
    env["DOCKYARD_ENDPOINT_URL"] = moto.endpoint
    return env


def run(
    argv: list[str], env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, input=stdin, capture_output=True, text=True, check=False, timeout=60
    )


def test_discover_and_wrapper_take_the_region_from_the_aws_config_file(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """No --region, no region in the environment: both read `region` from AWS_CONFIG_FILE."""
    fleet = make_fleet(moto_server)
    env = regionless_env(moto_server, tmp_path, f"[default]\nregion = {REGION}\n")
    out = tmp_path / "inv"
    found = run(
        [
            *(sys.executable, "-m", "dockyard", "inventory", "--discover"),
            *("--endpoint-url", moto_server.endpoint, "-o", str(out)),
        ],
        env,
    )
    assert found.returncode == 0, found.stderr
    assert f"wrote 5 hosts to {out}; 0 skipped, 0 not running" in found.stderr
    listed = run([str(WRAPPER), "--list"], env)
    assert listed.returncode == 0, listed.stderr
    assert sorted(json.loads(listed.stdout)["flocker_agents"]["hosts"]) == sorted(
        fleet.addresses("auto")
    )


def test_no_region_is_one_message_on_every_path(moto_server: MotoServer, tmp_path: Path) -> None:
    """Pipe (for agent.yml, no zone in the input), --discover and the wrapper: the same line."""
    env = regionless_env(moto_server, tmp_path, None)
    document = {
        "Reservations": [
            {
                "Instances": [
                    {"InstanceId": "i-a", "State": {"Code": 16}, "PublicIpAddress": "1.1.1.1"}
                ]
            }
        ]
    }
    dockyard_argv = [sys.executable, "-m", "dockyard", "inventory", "-o", str(tmp_path / "inv")]
    answers = [
        run([*dockyard_argv, "--agent-yml", str(tmp_path / "a.yml")], env, json.dumps(document)),
        run([*dockyard_argv, "--discover", "--endpoint-url", moto_server.endpoint], env),
        run([str(WRAPPER), "--list"], env),
    ]
    assert [a.returncode for a in answers] == [2, 2, 2]
    lines = {a.stderr for a in answers}
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith("dockyard: no AWS region: pass --region, ")
    assert all(name in line for name in REGION_ENV)
    assert f"AWS config file (`region` for profile default in {tmp_path / 'aws-config'})" in line
    assert "the control host's availability zone" in line
    assert not (tmp_path / "inv").exists()
