"""Azure and GCE inventories read back by `ansible-inventory --list`, every format.

Documents from tests/unit/cloud_documents.py (built from `az vm list -d` and `gcloud
compute instances list --format=json` as their docs show them): stopped, deallocated,
staging and terminated VMs, VMs with several addresses and with none public, another
prefix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.ansible import groups_and_vars, inventory_list
from tests.unit.cloud_documents import EXPECTED, azure_fleet, dockyard, gce_fleet

pytestmark = pytest.mark.integration

FLEETS = {"azure": azure_fleet, "gce": gce_fleet}
SEED_GROUPS = ["flocker_agents", "flocker_control_service", "flocker_docker_plugin"]


@pytest.mark.parametrize("fmt", ["ini", "yaml", "json"])
@pytest.mark.parametrize("cloud", ["azure", "gce"])
def test_ansible_reads_the_cloud_inventory(cloud: str, fmt: str, tmp_path: Path) -> None:
    """Seed groups, the running my-prefix VMs, keyed groups and host vars, as Ansible reads them."""
    out = tmp_path / "inv"
    key = "Env" if cloud == "azure" else "env"
    result = dockyard(
        FLEETS[cloud](), "--name-prefix", "my-prefix", "--group-by", f"tag:{key}",
        "--hostname", "id", "--format", fmt, "-o", str(out), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    source = out
    if fmt == "json":
        source = tmp_path / "serve"
        source.write_text(f"#!/bin/sh\nexec cat '{out}'\n")
        source.chmod(0o755)
    groups, hostvars = groups_and_vars(inventory_list(source, tmp_path))
    assert {hv["ansible_host"] for hv in hostvars.values()} == set(EXPECTED[cloud])
    assert all(name == hv["instance_id"] for name, hv in hostvars.items())
    assert sorted(groups["flocker_agents"][0]) == sorted(hostvars)
    assert sorted(groups["nodes"][1]) == SEED_GROUPS
    (control,) = groups["flocker_control_service"][0]
    assert hostvars[control]["ec2_name"] == "my-prefix-2"
    assert len(groups[f"tag_{key}_prod"][0]) == 1
    for hv in hostvars.values():
        name, private, public, zone = EXPECTED[cloud][hv["ansible_host"]]
        assert (hv["ec2_name"], hv["private_ip"], hv["availability_zone"]) == (name, private, zone)
        assert hv.get("public_ip") == public


@pytest.mark.parametrize("cloud", ["azure", "gce"])
def test_compact_output_reads_the_same(cloud: str, tmp_path: Path) -> None:
    """`--output json` indented or a compact document: the same inventory bytes."""
    indented = dockyard(FLEETS[cloud](), "-o", "-", cwd=tmp_path)
    compact = dockyard(json.dumps(FLEETS[cloud](), separators=(",", ":")), "-o", "-", cwd=tmp_path)
    assert indented.returncode == 0 and compact.returncode == 0
    assert indented.stdout == compact.stdout
