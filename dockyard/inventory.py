"""Ansible inventory model and its renderers: the single implementation.

Hosts may come from Pulumi outputs (components/ansible_run.py), a
describe-instances pipe or EC2 itself (the `dockyard inventory` CLI); they all end
up as `Host` values passed to `build_inventory`, and every format is rendered
from the resulting `Inventory`. Same hosts in, same bytes out.

The groups are the seed's: `flocker_control_service` (the one control host),
`flocker_agents` and `flocker_docker_plugin` (every host) and `nodes:children`
of those three. As in the seed, a host's inventory name is the address Ansible
connects to.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

CONTROL_GROUP = "flocker_control_service"
AGENT_GROUP = "flocker_agents"
PLUGIN_GROUP = "flocker_docker_plugin"
NODES_GROUP = "nodes"
SEED_GROUPS = (CONTROL_GROUP, AGENT_GROUP, PLUGIN_GROUP)
FLOCKER_CONTROL_PORT = 4524
CONTROL_ROLE = "control"

_GROUP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class InventoryError(ValueError):
    """Input that cannot make an inventory; the message names the problem and the fix."""


@dataclass(frozen=True)
class Host:
    """One Docker host as Ansible sees it."""

    address: str
    """What Ansible connects to; also the host's inventory name, as in the seed."""
    name: str | None = None
    """The EC2 Name tag, e.g. `my-prefix-1`."""
    instance_id: str | None = None
    private_ip: str | None = None
    public_ip: str | None = None
    availability_zone: str | None = None
    role: str | None = None
    """`control` for the Flocker control host; anything else is an agent."""
    groups: tuple[str, ...] = field(default=())
    """Extra groups the host belongs to (e.g. keyed groups from tags)."""


@dataclass(frozen=True)
class Inventory:
    """A validated inventory: hosts in a stable order and the one control host."""

    hosts: tuple[Host, ...]
    control: Host
    ansible_user: str | None = None


def _sort_key(host: Host) -> tuple[str, str]:
    return (host.instance_id or "", host.address)


def build_inventory(
    hosts: Iterable[Host],
    *,
    ansible_user: str | None = None,
    control_address: str | None = None,
) -> Inventory:
    """Validate hosts and choose the control host.

    Hosts are sorted by instance id, then address. The control host is
    `control_address` if given, else the first host whose role is `control`, else
    the first host in that order.
    """
    ordered = tuple(sorted(hosts, key=_sort_key))
    if not ordered:
        raise InventoryError(
            "no hosts to put in the inventory: check the name prefix and that the "
            "instances are running"
        )
    seen: set[str] = set()
    for host in ordered:
        label = host.name or host.instance_id or "a host"
        if not host.address or not host.address.strip():
            raise InventoryError(
                f"{label} has no address for Ansible to connect to: give it a public or "
                "private IP (or choose the other address kind)"
            )
        if any(ch.isspace() for ch in host.address):
            raise InventoryError(f"{label} has an address with whitespace: {host.address!r}")
        if host.address in seen:
            raise InventoryError(
                f"address {host.address} appears twice: each host needs its own address"
            )
        seen.add(host.address)
        for group in host.groups:
            if not _GROUP_NAME.match(group) or group in (*SEED_GROUPS, NODES_GROUP, "all"):
                raise InventoryError(
                    f"{label}: {group!r} is not a usable extra group name (letters, digits "
                    "and underscores, not a seed group)"
                )
    if control_address is not None:
        matches = [h for h in ordered if h.address == control_address]
        if not matches:
            raise InventoryError(
                f"control host {control_address} is not among the hosts: pick one of "
                + ", ".join(h.address for h in ordered)
            )
        control = matches[0]
    else:
        tagged = [h for h in ordered if h.role == CONTROL_ROLE]
        control = tagged[0] if tagged else ordered[0]
    return Inventory(hosts=ordered, control=control, ansible_user=ansible_user)


def host_key_alias(host: Host) -> str | None:
    """ssh's HostKeyAlias for a host: its instance id, so known_hosts entries are keyed by
    instance. A replaced instance at the same address is a new host (accepted on first
    use under StrictHostKeyChecking=accept-new); a changed key for the same instance is
    still refused."""
    return f"-oHostKeyAlias={host.instance_id}" if host.instance_id else None


def host_vars(inventory: Inventory, host: Host) -> dict[str, str]:
    """The variables each host carries, in a fixed order, empty ones left out."""
    pairs = (
        ("ansible_user", inventory.ansible_user),
        ("ansible_ssh_extra_args", host_key_alias(host)),
        ("ec2_name", host.name),
        ("instance_id", host.instance_id),
        ("private_ip", host.private_ip),
        ("public_ip", host.public_ip),
        ("availability_zone", host.availability_zone),
        ("dockyard_role", CONTROL_ROLE if host == inventory.control else "agent"),
    )
    return {key: value for key, value in pairs if value}


def groups(inventory: Inventory) -> dict[str, list[str]]:
    """Group name -> host addresses: the seed's groups first, then extra groups sorted."""
    everyone = [h.address for h in inventory.hosts]
    result: dict[str, list[str]] = {
        CONTROL_GROUP: [inventory.control.address],
        AGENT_GROUP: everyone,
        PLUGIN_GROUP: list(everyone),
    }
    extra: dict[str, list[str]] = {}
    for host in inventory.hosts:
        for group in host.groups:
            extra.setdefault(group, []).append(host.address)
    for name in sorted(extra):
        result[name] = extra[name]
    return result


_INI_PLAIN = re.compile(r"[A-Za-z0-9_.:/@+-]+")


def _ini_value(value: str) -> str:
    return value if _INI_PLAIN.fullmatch(value) else shlex.quote(value)


def render_ini(inventory: Inventory) -> str:
    """INI as the seed wrote it, with each host's vars on its `flocker_agents` line."""
    sections: list[str] = []
    by_address = {h.address: h for h in inventory.hosts}
    for group, members in groups(inventory).items():
        lines = [f"[{group}]"]
        for address in members:
            if group == AGENT_GROUP:
                hvars = host_vars(inventory, by_address[address])
                lines.append(
                    " ".join([address, *(f"{k}={_ini_value(v)}" for k, v in hvars.items())])
                )
            else:
                lines.append(address)
        sections.append("\n".join(lines))
    sections.append("\n".join([f"[{NODES_GROUP}:children]", *SEED_GROUPS]))
    return "\n\n".join(sections) + "\n"


def to_yaml_dict(inventory: Inventory) -> dict[str, Any]:
    """The inventory in Ansible's YAML inventory structure (same tree as the INI)."""
    members = groups(inventory)
    seed = {group: {"hosts": dict.fromkeys(members[group])} for group in SEED_GROUPS}
    children: dict[str, Any] = {NODES_GROUP: {"children": seed}}
    for group, hosts in members.items():
        if group not in SEED_GROUPS:
            children[group] = {"hosts": dict.fromkeys(hosts)}
    return {
        "all": {
            "hosts": {h.address: host_vars(inventory, h) for h in inventory.hosts},
            "children": children,
        }
    }


def render_yaml(inventory: Inventory) -> str:
    """YAML inventory with the same groups, hosts and vars as the INI."""
    return yaml.safe_dump(to_yaml_dict(inventory), sort_keys=False, default_flow_style=False)


def dynamic_list(inventory: Inventory) -> dict[str, Any]:
    """The `--list` answer of Ansible's dynamic inventory protocol."""
    result: dict[str, Any] = {
        "_meta": {"hostvars": {h.address: host_vars(inventory, h) for h in inventory.hosts}},
    }
    for group, members in groups(inventory).items():
        result[group] = {"hosts": members}
    result[NODES_GROUP] = {"children": list(SEED_GROUPS)}
    return result


def render_json(inventory: Inventory) -> str:
    """The dynamic-inventory `--list` document as JSON text."""
    return json.dumps(dynamic_list(inventory), indent=2) + "\n"


@dataclass(frozen=True)
class FlockerDataset:
    """The `dataset` section of Flocker's agent.yml (backend aws)."""

    region: str
    zone: str
    """An availability zone (`us-east-1a`) or, as in the seed, just its letter (`a`)."""
    access_key_id: str | None = None
    secret_access_key: str | None = None

    @property
    def availability_zone(self) -> str:
        return self.region + self.zone if len(self.zone) == 1 else self.zone


def render_agent_yml(control_address: str, dataset: FlockerDataset) -> str:
    """Flocker's agent.yml; credentials appear only when both are configured."""
    if not dataset.region:
        raise InventoryError("agent.yml needs a dataset region (e.g. us-east-1)")
    if not dataset.zone:
        raise InventoryError("agent.yml needs a dataset zone (e.g. us-east-1a or a)")
    if not dataset.availability_zone.startswith(dataset.region):
        raise InventoryError(
            f"zone {dataset.zone} is not in region {dataset.region}: use a zone of that region"
        )
    if bool(dataset.access_key_id) != bool(dataset.secret_access_key):
        raise InventoryError(
            "agent.yml credentials need both the access key id and the secret access key, "
            "or neither (then Flocker uses the instance role)"
        )
    data: dict[str, Any] = {"backend": "aws", "region": dataset.region}
    data["zone"] = dataset.availability_zone
    if dataset.access_key_id and dataset.secret_access_key:
        data["access_key_id"] = dataset.access_key_id
        data["secret_access_key"] = dataset.secret_access_key
    document = {
        "version": 1,
        "control-service": {"hostname": control_address, "port": FLOCKER_CONTROL_PORT},
        "dataset": data,
    }
    return yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def agent_yml_for(inventory: Inventory, dataset: FlockerDataset) -> str:
    """agent.yml pointing at the inventory's control host."""
    return render_agent_yml(inventory.control.address, dataset)


def render(inventory: Inventory, fmt: str) -> str:
    """Render in one of FORMATS."""
    try:
        renderer: Callable[[Inventory], str] = FORMATS[fmt]
    except KeyError:
        raise InventoryError(
            f"unknown inventory format {fmt!r}: use one of {', '.join(FORMATS)}"
        ) from None
    return renderer(inventory)


FORMATS: Mapping[str, Callable[[Inventory], str]] = {
    "ini": render_ini,
    "yaml": render_yaml,
    "json": render_json,
}
