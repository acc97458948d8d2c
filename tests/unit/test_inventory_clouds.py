"""`az vm list -d | dockyard inventory` and `gcloud compute instances list | dockyard inventory`.

The documents are built in tests/unit/cloud_documents.py from the CLIs' documented
output (the pages are cited there), with every field each prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.cloud_documents import EXPECTED, azure_fleet, azure_vm, dockyard, gce_fleet

FLEETS = {"azure": azure_fleet, "gce": gce_fleet}


def _listing(stdin: object, *args: str, cwd: Path) -> dict[str, Any]:
    result = dockyard(stdin, "--list", *args, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    listing: dict[str, Any] = json.loads(result.stdout)
    return listing


@pytest.mark.parametrize("cloud", ["azure", "gce"])
def test_running_vms_become_hosts(cloud: str, tmp_path: Path) -> None:
    """Running only; public address first (the first of several), else the private one;
    zone, name and id as host vars; the control host by its role tag or label."""
    listing = _listing(FLEETS[cloud](), "--name-prefix", "my-prefix", cwd=tmp_path)
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == set(EXPECTED[cloud])
    for address, (name, private, public, zone) in EXPECTED[cloud].items():
        hvars = hostvars[address]
        assert hvars["ec2_name"] == name
        assert hvars["private_ip"] == private
        assert hvars.get("public_ip") == public
        assert hvars["availability_zone"] == zone
        assert hvars["ansible_ssh_extra_args"] == f"-oHostKeyAlias={hvars['instance_id']}"
    vm = next(v for v in FLEETS[cloud]() if v["name"] == "my-prefix-2")
    control = listing["flocker_control_service"]["hosts"]
    assert [hostvars[h]["instance_id"] for h in control] == [vm.get("vmId") or vm["id"]]
    assert listing["nodes"] == {
        "children": ["flocker_control_service", "flocker_agents", "flocker_docker_plugin"]
    }


@pytest.mark.parametrize("cloud", ["azure", "gce"])
def test_summary_names_private_fallback_and_agent_yml_is_not_written(
    cloud: str, tmp_path: Path
) -> None:
    """The summary line names the host that got its private address and says agent.yml
    (Flocker's AWS backend) was not written; no agent.yml file appears."""
    out, agent = tmp_path / "inv", tmp_path / "agent.yml"
    result = dockyard(FLEETS[cloud](), "-o", str(out), "--agent-yml", str(agent), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert "wrote 4 hosts" in line and "3 not running" in line
    assert "a private address (no public IP)" in line and "(my-prefix-3)" in line
    assert f"agent.yml not written (it configures Flocker's AWS backend; these are {cloud}" in line
    assert out.exists() and not agent.exists()


@pytest.mark.parametrize("cloud", ["azure", "gce"])
def test_source_flag_and_group_by_and_hostname(cloud: str, tmp_path: Path) -> None:
    """--source says the same as the shape; --group-by tag:KEY reads tags/labels;
    --hostname tag:Name has no tag to read, so the VM is named by its address."""
    key = "Env" if cloud == "azure" else "env"
    listing = _listing(
        FLEETS[cloud](), "--source", cloud, "--group-by", f"tag:{key},instance_type",
        "--hostname", "id", "--name-prefix", "my-prefix", cwd=tmp_path,
    )  # fmt: skip
    groups = {g for g in listing if g.startswith(("tag_", "instance_type_"))}
    size = "Standard_B2s" if cloud == "azure" else "e2-medium"
    assert groups == {
        f"tag_{key}_prod",
        f"tag_{key}_stage_eu" if cloud == "azure" else f"tag_{key}_stage",
        f"instance_type_{size.replace('-', '_')}",
    }
    hostvars = listing["_meta"]["hostvars"]
    assert all(name == hv["instance_id"] for name, hv in hostvars.items())
    assert {hv["ansible_host"] for hv in hostvars.values()} == set(EXPECTED[cloud])


@pytest.mark.parametrize(
    ("stdin", "args", "message"),
    [
        ([{**azure_vm("a"), "powerState": None}], [], "`az vm list` prints them only with -d"),
        (azure_fleet(), ["--source", "gce"], "gcloud compute instances list --format=json"),
        (gce_fleet(), ["--source", "azure"], "`az vm list -d --output json` output"),
        (azure_fleet(), ["--filter", "Name=tag:Env,Values=prod"], "--filter is describe"),
        ("[", ["--source", "azure"], "line 1, column 2"),
        ([{"name": "x"}], [], "no top-level `Reservations`"),
        ([{**azure_vm("a"), "vmId": None}], [], "without a name or a vmId"),
        ([], [], "empty list"),
    ],
    ids=[
        "no-show-details",
        "azure-as-gce",
        "gce-as-azure",
        "filter",
        "bad-json",
        "unknown",
        "no-vmid",
        "empty",
    ],
)
def test_documents_that_do_not_fit_exit_2(
    stdin: object, args: list[str], message: str, tmp_path: Path
) -> None:
    """Each refusal: exit 2, one line naming the problem, nothing written."""
    result = dockyard(stdin, "-o", str(tmp_path / "inv"), *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "inv").exists()


def test_jinja_in_an_azure_tag_is_marked_unsafe(tmp_path: Path) -> None:
    """A tag value from the VM is data: written `__ansible_unsafe` in JSON, refused in INI."""
    doc = [azure_vm("my-prefix-1", public="20.1.1.1", tags={"Env": "{{ lookup('pipe','id') }}"})]
    listing = _listing(doc, "--group-by", "tag:Env", cwd=tmp_path)
    assert listing["tag_Env____lookup__pipe___id_____"] == {"hosts": ["20.1.1.1"]}
    bad = [azure_vm("my-prefix-{{x}}", public="20.1.1.1")]
    result = dockyard(bad, "-o", str(tmp_path / "inv"), cwd=tmp_path)
    assert result.returncode == 2 and "Jinja" in result.stderr
    unsafe = _listing(bad, cwd=tmp_path)["_meta"]["hostvars"]["20.1.1.1"]["ec2_name"]
    assert unsafe == {"__ansible_unsafe": "my-prefix-{{x}}"}
