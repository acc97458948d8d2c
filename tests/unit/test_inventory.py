"""The inventory model and renderers: deterministic, seed-shaped, clear errors, no partial files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from dockyard.files import FileSpec, write_files
from dockyard.inventory import (
    FlockerDataset,
    Host,
    InventoryError,
    build_inventory,
    dynamic_list,
    render,
    render_agent_yml,
    render_ini,
)

HOSTS = [
    Host("54.0.0.3", name="my-prefix-3", instance_id="i-0c", private_ip="10.0.0.3"),
    Host("54.0.0.1", name="my-prefix-1", instance_id="i-0a", private_ip="10.0.0.1", role="control"),
    Host("54.0.0.2", name="my-prefix-2", instance_id="i-0b", private_ip="10.0.0.2"),
]


def test_ini_has_seed_layout() -> None:
    """The seed's sections, the control host alone in its group, every host an agent."""
    ini = render_ini(build_inventory(HOSTS, ansible_user="ubuntu"))
    assert ini.split("\n\n")[0] == "[flocker_control_service]\n54.0.0.1"
    assert ini.endswith(
        "[nodes:children]\nflocker_control_service\nflocker_agents\nflocker_docker_plugin\n"
    )
    assert "[flocker_docker_plugin]\n54.0.0.1\n54.0.0.2\n54.0.0.3\n" in ini


@pytest.mark.parametrize("fmt", ["ini", "yaml", "json"])
def test_same_hosts_same_bytes(fmt: str) -> None:
    """Input order does not matter: same hosts in, same bytes out."""
    one = render(build_inventory(HOSTS, ansible_user="ubuntu"), fmt)
    two = render(build_inventory(list(reversed(HOSTS)), ansible_user="ubuntu"), fmt)
    assert one == two


def test_control_host_choice() -> None:
    """role=control wins; without it the first host by instance id; an explicit address wins."""
    assert build_inventory(HOSTS).control.address == "54.0.0.1"
    untagged = [Host(h.address, instance_id=h.instance_id) for h in HOSTS]
    assert build_inventory(untagged).control.address == "54.0.0.1"
    assert build_inventory(HOSTS, control_address="54.0.0.3").control.address == "54.0.0.3"


@pytest.mark.parametrize(
    ("hosts", "words"),
    [
        ([], "no hosts"),
        ([Host("", name="my-prefix-1")], "my-prefix-1 has no address"),
        ([Host("1.2.3.4"), Host("1.2.3.4")], "appears twice"),
        ([Host("1.2.3.4", groups=("bad group",))], "not a usable extra group"),
    ],
)
def test_bad_hosts_raise_clear_errors(hosts: list[Host], words: str) -> None:
    """No hosts, a host without an address, duplicates, bad group names: InventoryError."""
    with pytest.raises(InventoryError, match=words):
        build_inventory(hosts)


def test_unknown_format() -> None:
    """An unknown format names the ones that exist."""
    with pytest.raises(InventoryError, match="ini, yaml, json"):
        render(build_inventory(HOSTS), "toml")


def test_dynamic_list_has_meta_hostvars() -> None:
    """--list answer: groups plus _meta.hostvars for every host."""
    listing = dynamic_list(build_inventory(HOSTS, ansible_user="ubuntu"))
    assert set(listing["_meta"]["hostvars"]) == {"54.0.0.1", "54.0.0.2", "54.0.0.3"}
    assert listing["nodes"]["children"] == [
        "flocker_control_service",
        "flocker_agents",
        "flocker_docker_plugin",
    ]


@pytest.mark.parametrize(
    ("dataset", "zone", "has_credentials"),
    [
        (FlockerDataset("us-east-1", "a"), "us-east-1a", False),
        (FlockerDataset("eu-west-1", "eu-west-1b"), "eu-west-1b", False),
        (FlockerDataset("us-east-1", "c", "AKIA", "secret"), "us-east-1c", True),
    ],
)
def test_agent_yml(dataset: FlockerDataset, zone: str, has_credentials: bool) -> None:
    """agent.yml: version 1, control-service on 4524, aws dataset, credentials only if given."""
    document = yaml.safe_load(render_agent_yml("54.0.0.1", dataset))
    assert document["version"] == 1
    assert document["control-service"] == {"hostname": "54.0.0.1", "port": 4524}
    assert document["dataset"]["backend"] == "aws"
    assert document["dataset"]["zone"] == zone
    assert ("secret_access_key" in document["dataset"]) is has_credentials


@pytest.mark.parametrize(
    ("dataset", "words"),
    [
        (FlockerDataset("us-east-1", "a", "AKIA", None), "both"),
        (FlockerDataset("us-east-1", "eu-west-1a"), "not in region"),
        (FlockerDataset("", "a"), "region"),
    ],
)
def test_agent_yml_bad_input(dataset: FlockerDataset, words: str) -> None:
    """Half a credential pair or a zone outside the region is refused."""
    with pytest.raises(InventoryError, match=words):
        render_agent_yml("54.0.0.1", dataset)


def test_write_files_all_or_nothing(tmp_path: Path) -> None:
    """When one file cannot be written, none is created or changed and no temp file remains."""
    existing = tmp_path / "ansible_inventory"
    existing.write_text("old\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError):
        write_files(
            [
                FileSpec(existing, "new\n"),
                FileSpec(tmp_path / "missing-dir" / "agent.yml", "x", 0o600),
            ]
        )
    assert existing.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ansible_inventory"]


def test_write_files_modes(tmp_path: Path) -> None:
    """Files get the requested mode from the start (agent.yml 0600)."""
    write_files([FileSpec(tmp_path / "agent.yml", "x", 0o600), FileSpec(tmp_path / "inv", "y")])
    assert stat.S_IMODE((tmp_path / "agent.yml").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "inv").stat().st_mode) == 0o644
