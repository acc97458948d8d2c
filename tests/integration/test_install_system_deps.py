"""scripts/install-system-deps.sh (what `make test` runs first) in a throwaway Debian root.

Each test copies a debootstrapped bookworm into a chroot, installs a package built here
with `dpkg-deb --build` that conflicts with Debian's docker.io the way Docker CE's
packages do, and runs the real script there against Debian's mirror. The chroot runs
in its own mount and PID namespaces (`unshare`), so its /proc mount and anything a
maintainer script starts end with it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.rootfs import bookworm_rootfs
from tests.harness.tools import REPO, require_root, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]

SCRIPT = REPO / "scripts" / "install-system-deps.sh"


def stub_command(version: str) -> str:
    """An executable that answers `--version` as the real command does, and nothing else."""
    return f'#!/bin/sh\n[ "$1" = --version ] && echo "{version}" && exit 0\nexit 1\n'


DOCKERD = stub_command("Docker version 24.0.7, build 311b9ff")
DOCKER = stub_command("Docker version 24.0.7, build afdd53b")
RUNC = stub_command("runc version 1.1.12")


class Chroot:
    """A copy of the bookworm rootfs; `run` executes inside it, as root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        proc = f"--mount-proc={root}/proc"
        self.namespaces = [require_tool("unshare"), "--mount", "--pid", "--fork", proc]
        self.chroot = require_tool("chroot")

    def run(self, *argv: str, timeout: float = 100) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.namespaces, self.chroot, str(self.root), *argv],
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C"},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def installed(self) -> set[str]:
        """Names of the packages dpkg lists as installed (what `dpkg -l` shows as ii)."""
        proc = self.run("dpkg-query", "-W", "-f", "${db:Status-Abbrev}${Package}\n")
        assert proc.returncode == 0, proc.stderr
        return {line[3:] for line in proc.stdout.splitlines() if line.startswith("ii ")}

    def install_deb(self, name: str, conflicts: str, files: dict[str, str]) -> None:
        """Build NAME_VERSION_all.deb shipping `files` (mode 755) and `dpkg -i` it here."""
        tree = self.root.parent / name
        (tree / "DEBIAN").mkdir(parents=True)
        (tree / "DEBIAN" / "control").write_text(
            f"Package: {name}\nVersion: 5:24.0.7-1~test\nArchitecture: all\n"
            "Maintainer: dockyard tests <tests@example.invalid>\n"
            f"Conflicts: {conflicts}\nReplaces: {conflicts}\n"
            "Description: conflicts with Debian's docker packages, as Docker CE's do\n",
            encoding="utf-8",
        )
        for path, text in files.items():
            target = tree / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            target.chmod(0o755)
        deb = self.root / "tmp" / f"{name}.deb"
        built = subprocess.run(
            [require_tool("dpkg-deb"), "--build", "--root-owner-group", str(tree), str(deb)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert built.returncode == 0, built.stderr
        proc = self.run("dpkg", "-i", f"/tmp/{name}.deb")
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def install_system_deps(self, *packages: str) -> subprocess.CompletedProcess[str]:
        shutil.copy(SCRIPT, self.root / "tmp" / SCRIPT.name)
        return self.run("bash", f"/tmp/{SCRIPT.name}", *packages, timeout=110)


def mounts_below(path: Path) -> list[str]:
    """Mount points in this (the test's) mount namespace at or below path."""
    lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    points = [line.split()[4] for line in lines]
    return [p for p in points if p == str(path) or p.startswith(f"{path}/")]


@pytest.fixture
def chroot(tmp_path: Path) -> Iterator[Chroot]:
    """A fresh copy of the rootfs with the host's DNS and no service starts (policy-rc.d)."""
    require_root()
    root = tmp_path / "root"
    subprocess.run(
        ["cp", "-a", "--reflink=auto", str(bookworm_rootfs()), str(root)], check=True, timeout=120
    )
    shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
    policy = root / "usr" / "sbin" / "policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n", encoding="utf-8")
    policy.chmod(0o755)
    try:
        yield Chroot(root)
    finally:
        leftover = mounts_below(root)
        if not leftover:
            shutil.rmtree(root)
        assert not leftover, f"mounts left behind: {leftover}"


def test_reuses_docker_ce_and_its_runc_and_removes_nothing(chroot: Chroot) -> None:
    """With Docker CE's dockerd + docker and containerd.io's runc working, the script
    installs neither docker.io nor runc, names what it installs, and removes nothing."""
    chroot.install_deb("docker-ce", "docker.io", {"/usr/bin/dockerd": DOCKERD})
    chroot.install_deb("docker-ce-cli", "docker.io", {"/usr/bin/docker": DOCKER})
    chroot.install_deb("containerd.io", "containerd, runc", {"/usr/bin/runc": RUNC})
    before = chroot.installed()
    assert "iproute2" not in before

    proc = chroot.install_system_deps("docker.io", "runc", "iproute2")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = chroot.installed()
    assert before <= after, f"removed: {sorted(before - after)}"
    assert {"docker-ce", "docker-ce-cli", "containerd.io", "iproute2"} <= after
    assert not {"docker.io", "runc", "containerd"} & after
    assert "not installing docker.io: using what is already here (/usr/bin/dockerd:" in proc.stderr
    assert "not installing runc: using what is already here (/usr/bin/runc:" in proc.stderr
    (named,) = [
        line for line in proc.stderr.splitlines() if "installing " in line and "(asked" in line
    ]
    assert "(asked for: iproute2)" in named and " iproute2" in named.split("):", 1)[1]


def test_refuses_when_apt_would_remove_a_package(chroot: Chroot) -> None:
    """Docker CE's client without a daemon: docker.io would be needed and apt would remove
    docker-ce-cli for it, so the script (as `make test` runs it) changes nothing, exits 2
    and names the package that would go, the one that asks for it, and what to do."""
    chroot.install_deb("docker-ce-cli", "docker.io", {"/usr/bin/docker": DOCKER})
    before = chroot.installed()

    proc = chroot.install_system_deps()

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert chroot.installed() == before
    assert "refusing: installing docker.io would make apt REMOVE: docker-ce-cli" in proc.stderr
    assert "nothing was changed" in proc.stderr
    assert "remove docker-ce-cli yourself" in proc.stderr
    assert "Docker CE's, is reused instead of docker.io" in proc.stderr
