"""The inventory model and renderers: deterministic, seed-shaped, clear errors, no partial files."""

from __future__ import annotations

import ast
import shlex
import stat
from pathlib import Path

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from dockyard.files import FileSpec, write_files
from dockyard.hosts.inventory import (
    FlockerDataset,
    Host,
    InventoryError,
    _ini_agent_line,
    build_inventory,
    dynamic_list,
    host_vars,
    render,
    render_agent_yml,
    render_ini,
    sorted_hosts,
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


# --- the fast paths agree with the plain rules -----------------------------------------------

plain = ["my-prefix-1", "i-0a", "10.0.0.1", "us-east-1a", "54.0.0.9"]


def host_lists(values: st.SearchStrategy[str | None]) -> st.SearchStrategy[list[Host]]:
    return st.lists(
        st.builds(
            Host,
            address=st.sampled_from(
                [*("1.1.1.1", "2.2.2.2", "10.0.0.3", "host-4", "h5", "h6", "", "a b")]
            ),
            name=values,
            instance_id=values,
            private_ip=values,
            public_ip=values,
            availability_zone=values,
            role=st.sampled_from([None, None, "control"]),
            groups=st.sampled_from([*[()] * 6, ("tag_env_prod",), ("bad group",), ("all",)]),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda h: h.address,
    )


# Hosts with every variable set, now and then to a value that needs quoting; and hosts
# with any variables, blank ones among them.
hosts_strategy = st.one_of(
    host_lists(st.sampled_from([*plain, *plain, "a b", "it's"])),
    host_lists(st.one_of(st.none(), st.sampled_from(["", *plain, "a b", "it's", "x=y"]))),
)


@settings(max_examples=300, deadline=None)
@given(hosts_strategy, st.sampled_from([None, "", "ubuntu", "ubuntu", "it's me"]))
def test_ini_agents_line_by_line(hosts: list[Host], user: str | None) -> None:
    """Any hosts build_inventory accepts are unique, non-blank, whitespace-free with usable
    groups, and their `flocker_agents` lines are `ADDRESS key=value...`, each value quoted
    exactly when it holds a character outside [A-Za-z0-9_.:/@+-]."""
    try:
        inventory = build_inventory(hosts, ansible_user=user)
    except InventoryError:
        event("refused")
        return
    addresses = [h.address for h in inventory.hosts]
    assert len(set(addresses)) == len(addresses)
    assert all(a and a.split() == [a] for a in addresses)
    assert all(g == "tag_env_prod" for h in inventory.hosts for g in h.groups)

    def read_back(line: str) -> tuple[str, dict[str, object]]:
        """The line as Ansible's INI plugin reads a host line: shlex, then literal_eval."""
        address, *tokens = shlex.split(line, comments=True)
        parsed: dict[str, object] = {}
        for token in tokens:
            key, value = token.split("=", 1)
            try:
                parsed[key] = ast.literal_eval(value)
            except (ValueError, SyntaxError):
                parsed[key] = value
        return address, parsed

    agents = render_ini(inventory).split("[flocker_agents]\n")[1].split("\n\n")[0]
    assert [read_back(line) for line in agents.split("\n")] == [
        (h.address, host_vars(inventory, h)) for h in inventory.hosts
    ]
    event("written")


def test_ini_fleet_with_every_variable() -> None:
    """Hosts with every variable set (the format-string way): same lines as host by host."""
    full = [
        Host(f"54.0.0.{n}", f"my-prefix-{n}", f"i-0{n}", f"10.0.0.{n}", f"54.0.0.{n}", "us-east-1a")
        for n in range(1, 4)
    ]
    inventory = build_inventory(full, ansible_user="ubuntu", control_address="54.0.0.2")
    text = render_ini(inventory)
    lines = text.split("\n\n")[1].split("\n")
    assert lines[1:] == [_ini_agent_line(inventory, host) for host in inventory.hosts]
    assert lines == [
        "[flocker_agents]",
        "54.0.0.1 ansible_user=ubuntu ansible_ssh_extra_args=-oHostKeyAlias=i-01 "
        "ec2_name=my-prefix-1 instance_id=i-01 private_ip=10.0.0.1 "
        "public_ip=54.0.0.1 availability_zone=us-east-1a dockyard_role=agent",
        "54.0.0.2 ansible_user=ubuntu ansible_ssh_extra_args=-oHostKeyAlias=i-02 "
        "ec2_name=my-prefix-2 instance_id=i-02 private_ip=10.0.0.2 "
        "public_ip=54.0.0.2 availability_zone=us-east-1a dockyard_role=control",
        "54.0.0.3 ansible_user=ubuntu ansible_ssh_extra_args=-oHostKeyAlias=i-03 "
        "ec2_name=my-prefix-3 instance_id=i-03 private_ip=10.0.0.3 "
        "public_ip=54.0.0.3 availability_zone=us-east-1a dockyard_role=agent",
    ]


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        (["i-b", "i-a", "i-c"], ["1.1.1.1", "2.2.2.2", "3.3.3.3"]),
        (["i-a", "i-a", None], ["3.3.3.3", "1.1.1.1", "2.2.2.2"]),
        ([None, None, "i-0"], ["1.1.1.1", "2.2.2.2", "3.3.3.3"]),
    ],
    ids=["unique", "shared-id", "no-ids"],
)
def test_sorted_hosts_by_id_then_address(ids: list[str | None], expected: list[str]) -> None:
    """By instance id, then address (hosts without an id first), whatever the input order."""
    hosts = [Host(f"{n}.{n}.{n}.{n}", instance_id=i) for n, i in zip((2, 1, 3), ids, strict=True)]
    for order in (hosts, hosts[::-1]):
        assert [h.address for h in sorted_hosts(order)] == expected


def test_column_tokens_are_the_host_by_host_tokens() -> None:
    """The column-wise INI writer's shortcut (_ini_token: digits, and a superset pattern of
    what literal_eval reads as non-strings) gives the same token as _ini_value, which the
    read-back tests check against Ansible, for numbers, GUIDs, zones and 100,000 random
    tokens of number-ish characters."""
    import random

    from dockyard.hosts.inventory import _ini_token, _ini_value

    rng = random.Random(20)  # noqa: S311 (test data)
    alphabet = "0123456789eEjJxXoObB_.+-aTFN"
    values = [
        *("0", "00", "01", "1e5", "1e-5-2j", "1+2j", "-1", "True", "-True", "...", "0x1f"),
        *("1_000", "00001f76-836e-5813-9cc3-dd69a5708b1c", "7000000000000000000", "eastus-1"),
        *("1.2.3.4", "+.5", "5.", "1e", "0b101", "1j", "--1", "1-+2j", "2", "us-east-1a"),
    ]
    values += ["".join(rng.choices(alphabet, k=rng.randint(1, 7))) for _ in range(100_000)]
    assert [v for v in values if _ini_token(v) != _ini_value(v)] == []
