"""The host_tuning and traffic_qos roles' persistence on a booted systemd: a podman
container running Debian bookworm's systemd as PID 1 (`--systemd=always`), reached by
ansible-playbook over SSH (its own sshd, started by systemd), its units enabled, then the
container restarted ("rebooted": a fresh network namespace, so no tc state survives) and
the settings read back; then the settings taken out of config stop, disable and remove
the units, and a second run changes nothing.

What is this container's own, so the machine running the suite is not changed:
- net.* sysctls (per network namespace; /proc/sys is made writable with
  `--security-opt unmask=/proc/sys`, and the image carries no sysctl.d files but ours,
  so systemd-sysctl at boot sets only those),
- the tc classes on its eth0 (CAP_NET_ADMIN in its own network namespace),
- transparent huge pages and KSM are the whole machine's: here host_tuning_sysfs points
  at a directory in the container, so what is checked is that systemd runs
  dockyard-host-tuning.service at boot and it writes the values (the writes to the
  kernel's files are tests/integration/test_host_tuning.py's global test).
The udev rule is not exercised: systemd-udevd does not start in a container (its unit
has ConditionPathIsReadWrite=/sys, and /sys is read-only here).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from dockyard.hosts.qos import parse_rules
from dockyard.hosts.qos import role_vars as qos_role_vars
from dockyard.hosts.tuning import parse_tuning
from tests.harness.ansible import ansible_env
from tests.harness.podman import Podman
from tests.harness.tools import REPO, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]

IMAGE = "localhost/dockyard-test/systemd-host:bookworm"
CONTAINERFILE = """\
FROM debian:bookworm-slim
RUN apt-get update \\
 && apt-get install -y --no-install-recommends systemd systemd-sysv udev openssh-server \\
      python3 iproute2 \\
 && apt-get clean && rm -rf /var/lib/apt/lists/* \\
 && rm -f /usr/lib/sysctl.d/*.conf /etc/sysctl.d/*.conf \\
 && mkdir -p /srv/sys/kernel/mm/transparent_hugepage /srv/sys/kernel/mm/ksm \\
 && echo 'always [madvise] never' > /srv/sys/kernel/mm/transparent_hugepage/enabled \\
 && echo 0 > /srv/sys/kernel/mm/ksm/run \\
 && systemctl enable ssh
CMD ["/sbin/init"]
"""
SYSCTL = ("net.core.somaxconn", "1234")
THP = "/srv/sys/kernel/mm/transparent_hugepage/enabled"
KSM = "/srv/sys/kernel/mm/ksm/run"
UNITS = ("dockyard-host-tuning.service", "dockyard-traffic-qos.service")


def _boot(podman: Podman, name: str) -> str:
    """Start the container (or start it again) and wait until systemd says the system
    is running and sshd answers; returns its address."""
    podman.run("start", name)
    deadline = time.monotonic() + 60
    state = ""
    while time.monotonic() < deadline:
        state = podman.run("exec", name, "systemctl", "is-system-running", check=False).stdout
        if state.strip() in {"running", "degraded"}:
            break
        time.sleep(0.5)
    failed = podman.run("exec", name, "systemctl", "--failed", "--no-legend", check=False)
    assert state.strip() == "running", f"{state}\n{failed.stdout}"
    address = podman.run(
        "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name
    ).stdout.strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", address), address
    return address


def _playbook(tmp: Path, address: str, key: Path, variables: dict[str, Any]) -> dict[str, int]:
    """site.yml's host_tuning and traffic_qos plays against the container; changed=."""
    (tmp / "vars.json").write_text(json.dumps(variables), encoding="utf-8")
    (tmp / "inventory").write_text(f"[nodes]\n{address} ansible_user=root\n", encoding="utf-8")
    env = ansible_env(tmp)
    env["ANSIBLE_SSH_COMMON_ARGS"] = (
        f"-o StrictHostKeyChecking=no -o UserKnownHostsFile={tmp / 'known_hosts'}"
    )
    proc = subprocess.run(
        [
            require_tool("ansible-playbook"),
            *("-i", str(tmp / "inventory"), "--private-key", str(key)),
            *("--tags", "host_tuning,traffic_qos", "-e", f"@{tmp / 'vars.json'}"),
            str(REPO / "ansible" / "site.yml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.MULTILINE)
    return {host: int(changed) for host, changed in recap}


def _variables(tuning: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    return {
        **parse_tuning(tuning).role_vars(),
        **qos_role_vars(parse_rules(rules)),
        "ansible_become": False,
        "ansible_python_interpreter": "/usr/bin/python3",
        "host_tuning_sysfs": "/srv/sys",
    }


def _read(podman: Podman, name: str, *argv: str) -> str:
    return podman.run("exec", name, *argv).stdout.strip()


def _unit_state(podman: Podman, name: str, unit: str) -> tuple[str, str]:
    enabled = podman.run("exec", name, "systemctl", "is-enabled", unit, check=False)
    active = podman.run("exec", name, "systemctl", "is-active", unit, check=False)
    return enabled.stdout.strip() or enabled.stderr.strip(), active.stdout.strip()


def test_units_apply_the_settings_at_boot_and_go_when_the_settings_do(
    podman: Podman, tmp_path: Path
) -> None:
    """Applied by ansible-playbook into a booted systemd, both units are enabled; after a
    restart of the container systemd-sysctl has set the sysctl from sysctl.d, the
    host-tuning unit has written huge pages and KSM, the traffic-qos unit has put the
    2mbit class back on eth0; with the settings taken out both units are stopped,
    disabled and removed with their files, a second run changes nothing, and after
    another restart nothing of them is left."""
    require_tool("ssh")
    context = tmp_path / "image"
    context.mkdir()
    (context / "Containerfile").write_text(CONTAINERFILE, encoding="utf-8")
    podman.build(context, IMAGE, dockerfile=context / "Containerfile")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "key")], check=True
    )
    ssh_dir = tmp_path / "ssh"
    ssh_dir.mkdir(mode=0o700)
    (ssh_dir / "authorized_keys").write_text((tmp_path / "key.pub").read_text(), "utf-8")
    network = podman.network("dyboot-net")
    name = "dyboot-host"
    podman.containers.append(name)
    podman.run(
        *("create", "--name", name, "--systemd=always", "--network", network),
        *("--cap-add", "NET_ADMIN", "--security-opt", "unmask=/proc/sys"),
        *("-v", f"{ssh_dir}:/root/.ssh:ro", IMAGE),
    )
    address = _boot(podman, name)
    here = subprocess.run(["sysctl", "-n", SYSCTL[0]], capture_output=True, text=True).stdout

    tuning = {"sysctls": {SYSCTL[0]: SYSCTL[1]}, "transparentHugePages": "never", "ksm": True}
    rules = {"limit": {"source": "0.0.0.0/0", "rate": "2mbit", "dest": {"cidr": "10.9.9.0/24"}}}
    first = _playbook(tmp_path, address, tmp_path / "key", _variables(tuning, rules))
    assert first[address] > 0, first
    for unit in UNITS:  # enabled; the role applied the settings itself, not through it
        assert _unit_state(podman, name, unit)[0] == "enabled", unit

    podman.run("stop", "-t", "20", name)
    address = _boot(podman, name)
    for unit in UNITS:  # ran at boot
        assert _unit_state(podman, name, unit) == ("enabled", "active"), unit
    assert _read(podman, name, "sysctl", "-n", SYSCTL[0]) == SYSCTL[1]
    assert _read(podman, name, "cat", THP) == "never"
    assert _read(podman, name, "cat", KSM) == "1"
    classes = _read(podman, name, "tc", "class", "show", "dev", "eth0")
    assert "class htb 1:10" in classes and "rate 2Mbit" in classes, classes
    journal = _read(podman, name, "journalctl", "-b", "-u", UNITS[1], "--no-pager")
    print(f"\nafter the restart:\n{classes}\n{journal}")
    # the machine's own value is untouched (the sysctl is the container's namespace's)
    assert (
        subprocess.run(["sysctl", "-n", SYSCTL[0]], capture_output=True, text=True).stdout == here
    )
    assert _playbook(tmp_path, address, tmp_path / "key", _variables(tuning, rules)) == {address: 0}

    removed = _playbook(tmp_path, address, tmp_path / "key", _variables({}, {}))
    assert removed[address] > 0, removed
    for unit in UNITS:
        enabled, active = _unit_state(podman, name, unit)
        assert "not-found" in enabled or "No such file" in enabled, (unit, enabled)
        assert active == "inactive", (unit, active)
    files = podman.run(
        *("exec", name, "ls", "/etc/systemd/system/", "/etc/sysctl.d/"), check=False
    ).stdout
    assert "dockyard" not in files, files
    assert _playbook(tmp_path, address, tmp_path / "key", _variables({}, {})) == {address: 0}

    podman.run("stop", "-t", "20", name)
    _boot(podman, name)
    assert "htb" not in _read(podman, name, "tc", "qdisc", "show", "dev", "eth0")
    assert _read(podman, name, "sysctl", "-n", SYSCTL[0]) == "4096"
