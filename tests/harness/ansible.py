"""Running the real Ansible CLIs with every path they write kept in a temp dir."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.harness.tools import REPO, require_tool


def ansible_env(tmp: Path) -> dict[str, str]:
    """Environment for Ansible commands: local temp, no user config, private known_hosts."""
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(REPO / "ansible" / "ansible.cfg"),
            "ANSIBLE_LOCAL_TEMP": str(tmp / "ansible-local"),
            "ANSIBLE_HOME": str(tmp / "ansible-home"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(tmp / "cp"),
        }
    )
    return env


def inventory_list(inventory: Path | str, tmp: Path) -> dict[str, Any]:
    """`ansible-inventory -i INVENTORY --list`, parsed."""
    binary = require_tool("ansible-inventory")
    proc = subprocess.run(
        [binary, "-i", str(inventory), "--list"],
        capture_output=True,
        text=True,
        env=ansible_env(tmp),
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def groups_and_vars(listing: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Normalize --list output: {group: (hosts, children)} and hostvars, JSON shape aside."""
    groups = {
        name: (sorted(body.get("hosts", [])), sorted(body.get("children", [])))
        for name, body in listing.items()
        if name != "_meta"
    }
    return groups, listing.get("_meta", {}).get("hostvars", {})
