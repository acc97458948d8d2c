"""Flow 1's artifacts, checked by the tools that consume them: cloud-init, Ansible."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockyard.hosts.cloudinit import render_user_data
from dockyard.hosts.inventory import Host, build_inventory, dynamic_list
from tests.harness.ansible import ansible_env, groups_and_vars, inventory_list
from tests.harness.pulumi_program import Evaluation, evaluate
from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def program() -> Evaluation:
    return evaluate()


def _schema(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("cloud-init"), "schema", "--config-file", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_user_data_passes_cloud_init_schema(program: Evaluation, tmp_path: Path) -> None:
    """Every host's user data, as the program hands it to EC2, is valid cloud-config."""
    for instance in program.of_type("aws:ec2/instance:Instance"):
        path = tmp_path / f"{instance.name}.yaml"
        path.write_text(instance.inputs["userData"], encoding="utf-8")
        proc = _schema(path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "Valid cloud-config" in proc.stdout


def test_cloud_init_schema_catches_a_broken_document(tmp_path: Path) -> None:
    """The schema check can fail: a type error in the same document is reported."""
    good = render_user_data("h")
    path = tmp_path / "bad.yaml"
    path.write_text(good.replace("package_update: true", "package_update: 7"), encoding="utf-8")
    assert _schema(path).returncode != 0


@pytest.mark.parametrize("fmt", ["inventoryIni", "inventoryYaml"])
def test_inventories_parse_with_ansible(program: Evaluation, fmt: str, tmp_path: Path) -> None:
    """INI and YAML outputs parse with ansible-inventory into the seed's groups and the hosts."""
    path = tmp_path / ("inventory.yaml" if fmt == "inventoryYaml" else "ansible_inventory")
    path.write_text(program.outputs[fmt], encoding="utf-8")
    groups, hostvars = groups_and_vars(inventory_list(path, tmp_path))
    addresses = sorted(h["publicIp"] for h in program.outputs["hosts"])
    control = program.outputs["hosts"][0]["publicIp"]
    assert groups["flocker_control_service"] == ([control], [])
    assert groups["flocker_agents"] == (addresses, [])
    assert groups["flocker_docker_plugin"] == (addresses, [])
    assert groups["nodes"] == (
        [],
        ["flocker_agents", "flocker_control_service", "flocker_docker_plugin"],
    )
    assert sorted(hostvars) == addresses
    assert {v["ansible_user"] for v in hostvars.values()} == {"ubuntu"}
    assert hostvars[control]["dockyard_role"] == "control"
    # known_hosts keyed by instance: ssh gets HostKeyAlias=<instance id> per host
    assert {v["ansible_ssh_extra_args"] for v in hostvars.values()} == {
        f"-oHostKeyAlias={h['instanceId']}" for h in program.outputs["hosts"]
    }


def test_ini_and_yaml_agree(program: Evaluation, tmp_path: Path) -> None:
    """Both formats give Ansible exactly the same groups, hosts and host vars."""
    ini = tmp_path / "ansible_inventory"
    ini.write_text(program.outputs["inventoryIni"], encoding="utf-8")
    yml = tmp_path / "inventory.yaml"
    yml.write_text(program.outputs["inventoryYaml"], encoding="utf-8")
    assert groups_and_vars(inventory_list(ini, tmp_path)) == groups_and_vars(
        inventory_list(yml, tmp_path)
    )


def test_dynamic_list_matches_ini(tmp_path: Path) -> None:
    """The dynamic-inventory JSON, through ansible-inventory, equals the INI's view."""
    inventory = build_inventory(
        [Host("10.0.0.1", instance_id="i-1", role="control"), Host("10.0.0.2", instance_id="i-2")],
        ansible_user="ubuntu",
    )
    from dockyard.hosts.inventory import render_ini, render_json

    ini = tmp_path / "inv.ini"
    ini.write_text(render_ini(inventory), encoding="utf-8")
    script = tmp_path / "inv.sh"
    (tmp_path / "inv.json").write_text(render_json(inventory), encoding="utf-8")
    script.write_text(f"#!/bin/sh\ncat {tmp_path / 'inv.json'}\n", encoding="utf-8")
    script.chmod(0o755)
    assert dynamic_list(inventory)["_meta"]
    assert groups_and_vars(inventory_list(ini, tmp_path)) == groups_and_vars(
        inventory_list(script, tmp_path)
    )


def test_playbook_syntax_check(tmp_path: Path) -> None:
    """site.yml passes ansible-playbook --syntax-check."""
    proc = subprocess.run(
        [
            require_tool("ansible-playbook"),
            "--syntax-check",
            "-i",
            "localhost,",
            "site.yml",
        ],
        cwd=REPO / "ansible",
        env=ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ansible_lint_production(tmp_path: Path) -> None:
    """Playbook and roles are clean under ansible-lint's production profile."""
    proc = subprocess.run(
        [require_tool("ansible-lint"), "--profile", "production", "--nocolor", "site.yml", "roles"],
        cwd=REPO / "ansible",
        env={**ansible_env(tmp_path), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 failure(s), 0 warning(s)" in proc.stdout + proc.stderr
