"""What the Pulumi program hands to Ansible, as pure functions.

`components/hosts/ansible_run.py` feeds these the hosts' stack outputs; the results
are stack outputs and the environment of the Command that runs the playbook
(ansible/run-playbook.sh).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.hosts.inventory import (
    FlockerDataset,
    Host,
    InventoryError,
    build_inventory,
    render_agent_yml,
    render_ini,
    render_yaml,
)
from dockyard.hosts.machines import Machine

RUN_SCRIPT = "ansible/run-playbook.sh"
ANSIBLE_CONFIG = "ansible/ansible.cfg"


def host_from_output(record: Any, index: int, address: str) -> Host:
    """A `Host` from hosts[index] of the stack output (checked by Machine.from_output);
    `address` is public or private."""
    machine = Machine.from_output(record, index)
    ip = machine.public_ip if address == "public" else machine.private_ip
    if not ip:
        raise InventoryError(
            f"{machine.name} has no {address} IP: set ansibleAddress to the other kind, or "
            "give the hosts public IPs"
        )
    return Host(
        address=ip,
        name=machine.name,
        instance_id=machine.instance_id or None,
        private_ip=machine.private_ip,
        public_ip=machine.public_ip,
        availability_zone=machine.availability_zone,
        role=machine.role or None,
    )


@dataclass(frozen=True)
class Handoff:
    """The files Ansible gets: inventories and Flocker's agent.yml."""

    inventory_ini: str
    inventory_yaml: str
    agent_yml: str
    """The control host's agent.yml (the `agentYml` stack output)."""
    host_names: tuple[str, ...]
    """Each record's inventory name (the address Ansible connects to), in record order."""
    host_agent_ymls: tuple[str, ...]
    """Each record's own agent.yml, in record order: the zone is the host's own."""


def handoff(
    records: Sequence[Mapping[str, Any]],
    *,
    address: str,
    user: str,
    region: str,
    zone: str | None,
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
    ssm: bool = False,
) -> Handoff:
    """Render the inventories and agent.yml, one per host and the control host's.

    An EBS volume attaches only to an instance in its own zone, so each host's agent.yml
    names the host's zone; `zone`, when given, is used for every host instead. With `ssm`
    Ansible reaches each host through Session Manager (Inventory.ssm).
    """
    hosts = [host_from_output(r, i, address) for i, r in enumerate(records)]
    inventory = build_inventory(hosts, ansible_user=user, ssm=ssm)

    def agent_yml(host: Host) -> str:
        dataset = FlockerDataset(
            region=region,
            zone=zone or host.availability_zone or inventory.control.availability_zone or "",
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
        )
        return render_agent_yml(inventory.control.address, dataset)

    return Handoff(
        inventory_ini=render_ini(inventory),
        inventory_yaml=render_yaml(inventory),
        agent_yml=agent_yml(inventory.control),
        host_names=tuple(h.address for h in hosts),
        host_agent_ymls=tuple(agent_yml(h) for h in hosts),
    )


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def keyed_sha256(key_hex: str, text: str) -> str:
    """HMAC-SHA256 of `text` under a secret key: safe to keep readable where a plain hash
    of a guessable secret could be reversed by trying candidates."""
    return hmac.new(bytes.fromhex(key_hex), text.encode("utf-8"), hashlib.sha256).hexdigest()


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
EXTRA_VARS_ENV = "DOCKYARD_EXTRA_VARS"
"""ansibleExtraVars as a JSON object (secret: it may hold passwords)."""
SSM_ENV = "DOCKYARD_SSM"
"""Set to 1 when the inventory goes through Session Manager (the stack's ssm switch)."""
PRIVATE_KEY_TEXT_ENV = "DOCKYARD_PRIVATE_KEY_TEXT"
"""The SSH private key itself (secret), when the stack holds it: generated, or sshPrivateKey."""


def host_env(index: int, item: str = "") -> str:
    """The environment variable run-playbook.sh reads for host `index` (1-based):
    DOCKYARD_HOST_<n> is its inventory name, DOCKYARD_HOST_<n>_<ITEM> one of its files
    (AGENT_YML, TLS_CA, TLS_CERT, TLS_KEY)."""
    return f"DOCKYARD_HOST_{index}" + (f"_{item}" if item else "")


def command_environment(
    *,
    playbook: str,
    private_key_path: str | None,
    known_hosts_file: str,
    extra_vars: Mapping[str, Any],
    ssm: bool = False,
) -> dict[str, str]:
    """The settings run-playbook.sh reads besides the file contents.

    The inventory travels in INVENTORY_ENV and each host's files (agent.yml, the
    engine's TLS material) in host_env() variables, as secrets: file contents and
    secrets go in the environment, never on argv. Without `private_key_path` the key
    itself travels in PRIVATE_KEY_TEXT_ENV (a secret the component adds). With `ssm`,
    SSM_ENV tells the script to check for the AWS CLI the inventory's ProxyCommand runs
    (absent otherwise, so a stack without ssm keeps its Command's environment).
    """
    settings = {
        "DOCKYARD_PLAYBOOK": playbook,
        "DOCKYARD_KNOWN_HOSTS": known_hosts_file,
        EXTRA_VARS_ENV: json.dumps(dict(extra_vars), sort_keys=True),
        "ANSIBLE_CONFIG": ANSIBLE_CONFIG,
    }
    if private_key_path is not None:
        settings["DOCKYARD_PRIVATE_KEY"] = private_key_path
    if ssm:
        settings[SSM_ENV] = "1"
    return settings
