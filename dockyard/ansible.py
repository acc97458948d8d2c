"""What the Pulumi program hands to Ansible, as pure functions.

`components/ansible_run.py` feeds these the hosts' stack outputs; the results
are stack outputs and the environment of the Command that runs the playbook
(ansible/run-playbook.sh).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.inventory import (
    FlockerDataset,
    Host,
    InventoryError,
    build_inventory,
    render_agent_yml,
    render_ini,
    render_yaml,
)

RUN_SCRIPT = "ansible/run-playbook.sh"
ANSIBLE_CONFIG = "ansible/ansible.cfg"


def host_from_output(record: Mapping[str, Any], address: str) -> Host:
    """A `Host` from one entry of the `hosts` stack output; `address` is public or private."""
    ip = record.get("publicIp") if address == "public" else record.get("privateIp")
    if not ip:
        raise InventoryError(
            f"{record.get('name', 'a host')} has no {address} IP: set ansibleAddress to the "
            "other kind, or give the hosts public IPs"
        )
    return Host(
        address=str(ip),
        name=record.get("name"),
        instance_id=record.get("instanceId"),
        private_ip=record.get("privateIp"),
        public_ip=record.get("publicIp"),
        availability_zone=record.get("availabilityZone"),
        role=record.get("role"),
    )


@dataclass(frozen=True)
class Handoff:
    """The files Ansible gets: inventories and Flocker's agent.yml."""

    inventory_ini: str
    inventory_yaml: str
    agent_yml: str


def handoff(
    records: Sequence[Mapping[str, Any]],
    *,
    address: str,
    user: str,
    region: str,
    zone: str | None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> Handoff:
    """Render the inventories and agent.yml; the zone defaults to the control host's."""
    inventory = build_inventory([host_from_output(r, address) for r in records], ansible_user=user)
    dataset = FlockerDataset(
        region=region,
        zone=zone or inventory.control.availability_zone or "",
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
    )
    return Handoff(
        inventory_ini=render_ini(inventory),
        inventory_yaml=render_yaml(inventory),
        agent_yml=render_agent_yml(inventory.control.address, dataset),
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tree_digest(paths: Iterable[Path], root: Path) -> str:
    """One hash over files and directory trees: relative names and contents, sorted."""
    digest = hashlib.sha256()
    files: set[Path] = set()
    for path in paths:
        if path.is_dir():
            files.update(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            files.add(path)
        else:
            raise FileNotFoundError(f"{path} does not exist")
    for file in sorted(files):
        name = file.relative_to(root) if file.is_relative_to(root) else file
        digest.update(str(name).encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def playbook_digest(playbook: Path, root: Path) -> str:
    """The playbook, its roles directory and ansible.cfg: what a change to should re-run."""
    parts = [playbook, root / ANSIBLE_CONFIG, root / RUN_SCRIPT]
    roles = playbook.parent / "roles"
    if roles.is_dir():
        parts.append(roles)
    return tree_digest(parts, root)


INVENTORY_ENV = "DOCKYARD_INVENTORY"
AGENT_YML_ENV = "DOCKYARD_AGENT_YML"
PRIVATE_KEY_TEXT_ENV = "DOCKYARD_PRIVATE_KEY_TEXT"
"""The SSH private key itself (secret), when the stack holds it: generated, or sshPrivateKey."""


def command_environment(
    *,
    playbook: str,
    private_key_path: str | None,
    known_hosts_file: str,
    extra_vars: Mapping[str, Any],
) -> dict[str, str]:
    """The settings run-playbook.sh reads besides the two file contents.

    The inventory and agent.yml travel in INVENTORY_ENV and AGENT_YML_ENV (agent.yml
    as a secret): file contents and secrets go in the environment, never on argv. Without
    `private_key_path` the key itself travels in PRIVATE_KEY_TEXT_ENV (a secret the
    component adds).
    """
    settings = {
        "DOCKYARD_PLAYBOOK": playbook,
        "DOCKYARD_KNOWN_HOSTS": known_hosts_file,
        "DOCKYARD_EXTRA_VARS": json.dumps(dict(extra_vars), sort_keys=True),
        "ANSIBLE_CONFIG": ANSIBLE_CONFIG,
    }
    if private_key_path is not None:
        settings["DOCKYARD_PRIVATE_KEY"] = private_key_path
    return settings
