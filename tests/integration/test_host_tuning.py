"""hostTuning for real: the host_tuning role, run by ansible-playbook over SSH against
hosts in network namespaces, sets the settings a network namespace has of its own (net.*
sysctls), reads them back, persists them, changes nothing the second time, and in check
mode (--check --diff) shows exactly the changes it would make and makes none.

The settings that are the whole machine's (I/O scheduler, huge pages, vm.* sysctls) go
through the same tasks; they are not changed here, where the namespaces are this
machine, which also runs the rest of the suite.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dockyard.hosts.tuning import parse_tuning
from tests.harness.ansible import ansible_env
from tests.harness.sshhosts import SshCluster, ssh_cluster
from tests.harness.tools import REPO, VENV_BIN, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]

HOST = "{{ inventory_hostname }}"
# per network namespace since Linux 4.15 (somaxconn) and 4.13 (slow start after idle)
SETTINGS = {"net.core.somaxconn": "1234", "net.ipv4.tcp_slow_start_after_idle": "0"}


def _sysctl(name: str, namespace: str | None = None) -> str:
    prefix = ["ip", "netns", "exec", namespace] if namespace else []
    return subprocess.run(
        [*prefix, "sysctl", "-n", name], capture_output=True, text=True, check=True
    ).stdout.strip()


def _playbook(
    cluster: SshCluster,
    tmp: Path,
    *flags: str,
    tuning: dict[str, Any] | None = None,
    more: dict[str, Any] | None = None,
) -> subprocess.CompletedProcess[str]:
    """site.yml's host_tuning play with hostTuning (`tuning`, by default the namespaced
    SETTINGS) as dockyard renders it, against the namespace hosts (per-host paths for the
    files it persists), `more` variables on top."""
    per_host = f"{cluster.workdir}/hosts/{HOST}"
    tuning = {"sysctls": SETTINGS} if tuning is None else tuning
    variables: dict[str, Any] = {
        **parse_tuning(tuning).role_vars(),
        "ansible_become": False,
        "ansible_python_interpreter": "/usr/bin/python3",
        "host_tuning_sysctl_file": f"{per_host}/etc/sysctl.d/60-dockyard-host-tuning.conf",
        "host_tuning_udev_rule": f"{per_host}/etc/udev/rules.d/60-dockyard-io-scheduler.rules",
        "host_tuning_systemd_dir": f"{per_host}/etc/systemd/system",
        "host_tuning_systemd_enable": False,
        **(more or {}),
    }
    for host in cluster.hosts:  # as a host has them
        for directory in ("sysctl.d", "udev/rules.d", "systemd/system"):
            (host.root / "etc" / directory).mkdir(parents=True, exist_ok=True)
    (tmp / "vars.json").write_text(json.dumps(variables), encoding="utf-8")
    inventory = tmp / "inventory"
    inventory.write_text(
        "[nodes]\n" + "".join(f"{a} ansible_user=root\n" for a in cluster.addresses),
        encoding="utf-8",
    )
    env = ansible_env(tmp)
    env["ANSIBLE_SSH_COMMON_ARGS"] = (
        f"-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile={tmp / 'known_hosts'}"
    )
    return subprocess.run(
        [
            require_tool("ansible-playbook"),
            *("-i", str(inventory), "--private-key", str(cluster.private_key)),
            *("--tags", "host_tuning", "-e", f"@{tmp / 'vars.json'}", *flags),
            str(REPO / "ansible" / "site.yml"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _changed(proc: subprocess.CompletedProcess[str]) -> dict[str, int]:
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", proc.stdout, re.MULTILINE)
    return {host: int(changed) for host, changed in recap}


def test_namespaced_settings_applied_read_back_and_shown_in_check_mode(tmp_path: Path) -> None:
    """--check --diff names each sysctl with its value now and the one it would get, and
    changes nothing; the run sets them in each host's namespace only (this machine's own
    stay), reads them back, writes the sysctl.d file; a second run and a second check
    change nothing."""
    with ssh_cluster(tmp_path / "c", count=2, tag="dytun", subnet=242) as cluster:
        here = {name: _sysctl(name) for name in SETTINGS}
        assert here != SETTINGS  # else the test could not tell the role did anything
        before = {
            host.namespace: {name: _sysctl(name, host.namespace) for name in SETTINGS}
            for host in cluster.hosts
        }

        check = _playbook(cluster, tmp_path, "--check", "--diff")
        assert set(_changed(check).values()) == {2}  # the kernel's values and the sysctl.d file
        for host in cluster.hosts:
            for name, value in SETTINGS.items():
                path = "/proc/sys/" + name.replace(".", "/")
                now = before[host.namespace][name]
                assert f"{path}: {now}: {value}" in check.stdout, check.stdout[-4000:]
            assert "+net.core.somaxconn = 1234" in check.stdout
            assert {n: _sysctl(n, host.namespace) for n in SETTINGS} == before[host.namespace]
            assert not (host.root / "etc" / "sysctl.d" / "60-dockyard-host-tuning.conf").exists()

        first = _changed(_playbook(cluster, tmp_path))
        assert set(first.values()) == {2}
        for host in cluster.hosts:
            assert {n: _sysctl(n, host.namespace) for n in SETTINGS} == SETTINGS
            persisted = host.root / "etc" / "sysctl.d" / "60-dockyard-host-tuning.conf"
            lines = persisted.read_text(encoding="utf-8").splitlines()
            assert "net.core.somaxconn = 1234" in lines
            assert "net.ipv4.tcp_slow_start_after_idle = 0" in lines
        assert {name: _sysctl(name) for name in SETTINGS} == here

        assert set(_changed(_playbook(cluster, tmp_path)).values()) == {0}
        assert set(_changed(_playbook(cluster, tmp_path, "--check", "--diff")).values()) == {0}


def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8").strip()


def _chosen(path: str) -> str:
    """The [bracketed] choice of a sysfs file such as queue/scheduler."""
    found = re.search(r"\[([^]]+)\]", _read(path))
    assert found, path
    return found.group(1)


def _write(path: str, value: str) -> None:
    Path(path).write_text(value + "\n", encoding="utf-8")


def _bench(target: Path, data: Path, name: str) -> None:
    proc = subprocess.run(
        [
            str(VENV_BIN / "dockyard"),
            *("bench", str(target), "-n", name, "-d", str(data), "--no-serve"),
            *("--runtime", "2", "--size", "16M"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_global_settings_on_a_loop_device_and_this_machine(tmp_path: Path) -> None:
    """The settings that are the whole machine's: a loop device's scheduler, transparent
    huge pages and the vm sysctls set by the role (over SSH from a namespace host), read
    back here, fio on the loop device before and after compared by `bench compare`, and
    every one of this machine's values restored afterwards, however the test ends."""
    require_tool("fio")
    losetup, mkfs = require_tool("losetup"), require_tool("mkfs.ext4")
    image, mount = tmp_path / "disk.img", tmp_path / "mnt"
    with image.open("wb") as disk:
        disk.truncate(96 * 1024 * 1024)
    device = subprocess.run(
        [losetup, "--find", "--show", str(image)], capture_output=True, text=True, check=True
    ).stdout.strip()
    name = Path(device).name
    scheduler = f"/sys/block/{name}/queue/scheduler"
    thp = "/sys/kernel/mm/transparent_hugepage/enabled"
    swappiness, zone_reclaim = "/proc/sys/vm/swappiness", "/proc/sys/vm/zone_reclaim_mode"
    saved = {scheduler: _chosen(scheduler), thp: _chosen(thp)}
    saved |= {swappiness: _read(swappiness), zone_reclaim: _read(zone_reclaim)}
    wanted = {
        "schedulerOther": "mq-deadline" if saved[scheduler] != "mq-deadline" else "none",
        "transparentHugePages": "never" if saved[thp] != "never" else "madvise",
        "swappiness": int(saved[swappiness]) + 1 if int(saved[swappiness]) < 200 else 199,
        "zoneReclaimMode": int(saved[zone_reclaim]),  # as it is: not a change
    }
    try:
        subprocess.run([mkfs, "-q", str(device)], check=True, capture_output=True)
        mount.mkdir()
        subprocess.run(["mount", device, str(mount)], check=True, capture_output=True)
        data = tmp_path / "fio-data"
        _bench(mount, data, "before")
        with ssh_cluster(tmp_path / "c", count=1, tag="dytg", subnet=243) as cluster:
            more = {"host_tuning_block_devices": [name]}
            check = _playbook(cluster, tmp_path, "--check", "--diff", tuning=wanted, more=more)
            assert set(_changed(check).values()) == {4}  # the values, sysctl.d, udev, unit
            assert f"{scheduler}: {saved[scheduler]}: {wanted['schedulerOther']}" in check.stdout
            assert f"{swappiness}: {saved[swappiness]}: {wanted['swappiness']}" in check.stdout
            shown = check.stdout.split("Show the values that would change]")[1].split("TASK [")[0]
            assert scheduler in shown and zone_reclaim not in shown, shown
            assert _chosen(scheduler) == saved[scheduler]
            run = _playbook(cluster, tmp_path, tuning=wanted, more=more)
            assert set(_changed(run).values()) == {4}
            assert _chosen(scheduler) == wanted["schedulerOther"]
            assert _chosen(thp) == wanted["transparentHugePages"]
            assert _read(swappiness) == str(wanted["swappiness"])
            assert _read(zone_reclaim) == saved[zone_reclaim]
            rule = cluster.hosts[0].root / "etc/udev/rules.d/60-dockyard-io-scheduler.rules"
            assert f'ATTR{{queue/scheduler}}="{wanted["schedulerOther"]}"' in rule.read_text()
            assert set(
                _changed(_playbook(cluster, tmp_path, tuning=wanted, more=more)).values()
            ) == {0}
        _bench(mount, data, "after")
        runs = sorted(p.name for p in (data / "runs").iterdir())
        assert [r.rsplit("-", 1)[1] for r in runs] == ["before", "after"]
        compared = subprocess.run(
            [str(VENV_BIN / "dockyard"), "bench", "compare", *runs, "-d", str(data)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert compared.returncode == 0, compared.stderr
        print(f"\n{device} {saved} -> {wanted}\n{compared.stdout}")
        assert all(run in compared.stdout for run in runs), compared.stdout
    finally:
        for path, value in saved.items():
            _write(path, value)
        subprocess.run(["umount", str(mount)], check=False, capture_output=True)
        subprocess.run([losetup, "-d", device], check=False, capture_output=True)
    restored = {thp: _chosen(thp), swappiness: _read(swappiness), zone_reclaim: _read(zone_reclaim)}
    assert restored == {path: value for path, value in saved.items() if path != scheduler}
