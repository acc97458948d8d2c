"""The dynamic inventory script with the aws_ec2-style options, and `--cache`, on moto server.

`inventory/dockyard-inventory` takes the options from DOCKYARD_INVENTORY_* variables or
a YAML file (as the aws_ec2 plugin takes its YAML); Ansible runs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.harness.inventory_cli import OTHER_REGION, WRAPPER, ansible_groups
from tests.harness.inventory_cli import run_instances as _run
from tests.harness.moto import REGION, MotoServer

pytestmark = pytest.mark.integration


def _fleet(moto: MotoServer) -> dict[str, list[str]]:
    return {
        "prod": _run(moto, 2, {"Name": "my-prefix-web", "Env": "prod"}, InstanceType="t3.micro"),
        "stage": _run(moto, 1, {"Name": "my-prefix-db", "Env": "stage"}),
        "eu": _run(moto, 1, {"Name": "my-prefix-eu", "Env": "prod"}, region=OTHER_REGION),
    }


def _base_env(moto: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> None:
    for key, value in {
        **moto.env,
        "DOCKYARD_PYTHON": sys.executable,
        "DOCKYARD_ENDPOINT_URL": moto.endpoint,
        "DOCKYARD_CACHE_DIR": str(tmp / "cache"),
    }.items():
        monkeypatch.setenv(key, value)


def _check(found: dict[str, Any], fleet: dict[str, list[str]]) -> None:
    by_id = {v["instance_id"]: host for host, v in found["_hostvars"].items()}
    assert set(by_id) == {*fleet["prod"], *fleet["eu"]}  # the filter left stage out
    assert set(by_id.values()) == set(by_id)  # named by id
    assert found["region_eu_west_1"] == [by_id[fleet["eu"][0]]]
    assert found["instance_type_t3_micro"] == sorted(by_id[i] for i in fleet["prod"])
    assert all(v["ansible_host"][0].isdigit() for v in found["_hostvars"].values())


def test_wrapper_takes_the_options_from_its_environment(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DOCKYARD_INVENTORY_{REGIONS,FILTERS,HOSTNAMES,GROUP_BY}: read back by ansible-inventory."""
    fleet = _fleet(moto_server)
    _base_env(moto_server, monkeypatch, tmp_path)
    monkeypatch.setenv("DOCKYARD_INVENTORY_REGIONS", f"{REGION}, {OTHER_REGION}")
    filters = "Name=tag:Env,Values=prod;Name=instance-state-name,Values=running"
    monkeypatch.setenv("DOCKYARD_INVENTORY_FILTERS", filters)
    monkeypatch.setenv("DOCKYARD_INVENTORY_HOSTNAMES", "tag:Alias,id")
    monkeypatch.setenv("DOCKYARD_INVENTORY_GROUP_BY", "placement.region,instance_type")
    _check(ansible_groups(WRAPPER, tmp_path), fleet)


def test_wrapper_takes_the_options_from_a_config_file(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same settings as a YAML file: the same inventory; a variable wins over the file."""
    fleet = _fleet(moto_server)
    _base_env(moto_server, monkeypatch, tmp_path)
    config = tmp_path / "dockyard.yml"
    config.write_text(
        f"regions: [{REGION}, {OTHER_REGION}]\n"
        "filters:\n  - Name=tag:Env,Values=prod\n"
        "hostnames: [tag:Alias, id]\n"
        "group_by: [placement.region, instance_type]\n"
        "address: private\n"
    )
    monkeypatch.setenv("DOCKYARD_INVENTORY_CONFIG", str(config))
    monkeypatch.setenv("DOCKYARD_ADDRESS", "auto")  # the variable wins over `address:`
    _check(ansible_groups(WRAPPER, tmp_path), fleet)
    monkeypatch.delenv("DOCKYARD_ADDRESS")
    private = ansible_groups(WRAPPER, tmp_path)
    assert all(v["ansible_host"] == v["private_ip"] for v in private["_hostvars"].values())


def _listing(moto: MotoServer, tmp: Path, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "dockyard", "inventory", "--discover", "--list", *args],
        env={**moto.env, "DOCKYARD_CACHE_DIR": str(tmp / "cache")},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    listing: dict[str, Any] = json.loads(result.stdout)
    return listing


def test_cache_answers_from_a_fresh_answer_only(moto_server: MotoServer, tmp_path: Path) -> None:
    """--cache 300: a host launched since is not seen; other settings or --cache 0 see it."""
    _fleet(moto_server)
    args = ("--endpoint-url", moto_server.endpoint, "--region", REGION)
    first = _listing(moto_server, tmp_path, *args, "--cache", "300")
    (cached,) = (tmp_path / "cache").iterdir()
    assert cached.stat().st_mode & 0o777 == 0o600
    _run(moto_server, 1, {"Name": "my-prefix-new"})
    assert _listing(moto_server, tmp_path, *args, "--cache", "300") == first
    fresh = _listing(moto_server, tmp_path, *args, "--cache", "0")
    assert len(fresh["_meta"]["hostvars"]) == len(first["_meta"]["hostvars"]) + 1
    other = _listing(moto_server, tmp_path, *args, "--cache", "300", "--group-by", "instance_type")
    assert len(other["_meta"]["hostvars"]) == len(fresh["_meta"]["hostvars"])
    host = next(iter(first["_meta"]["hostvars"]))
    answer = subprocess.run(
        [sys.executable, "-m", "dockyard", "inventory", "--discover", *args, "--cache", "300",
         "--host", host],
        env={**moto_server.env, "DOCKYARD_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert json.loads(answer.stdout) == first["_meta"]["hostvars"][host]
