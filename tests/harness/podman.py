"""podman without a registry: a private store, runc, and a base image from debootstrap.

See shared/notes/environment.md. Images are built `FROM debian:bookworm-slim`, which
is made locally from a debootstrapped rootfs and imported under that name, so
`--pull=never` builds work with no registry (tests/harness/rootfs.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness.rootfs import bookworm_rootfs
from tests.harness.tools import IN_CI, require_root, require_tool

BASE_IMAGE = "docker.io/library/debian:bookworm-slim"

_CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
events_logger = "file"
cgroup_manager = "cgroupfs"

[network]
network_backend = "netavark"
network_config_dir = "{network_dir}"
"""


@dataclass
class Podman:
    """A podman with its own storage; every call goes through `run`."""

    root: Path
    binary: str
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["CONTAINERS_CONF"] = str(self.root / "containers.conf")
        env["TMPDIR"] = str(self.root / "tmp")
        return env

    def argv(self, *args: str) -> list[str]:
        return [
            self.binary,
            "--root",
            str(self.root / "storage"),
            "--runroot",
            str(self.root / "run"),
            "--tmpdir",
            str(self.root / "libpod-tmp"),
            *args,
        ]

    def run(
        self, *args: str, check: bool = True, timeout: float = 600, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self.argv(*args),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"podman {' '.join(args)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
            )
        return proc

    def build(
        self,
        context: Path,
        tag: str,
        *,
        target: str | None = None,
        dockerfile: Path | None = None,
        build_args: dict[str, str] | None = None,
    ) -> None:
        """Build with `--pull=never` and `--format docker` (keeps HEALTHCHECK)."""
        args = ["build", "--pull=never", "--format", "docker", "-t", tag]
        if target:
            args += ["--target", target]
        if dockerfile:
            args += ["-f", str(dockerfile)]
        for key, value in (build_args or {}).items():
            args += ["--build-arg", f"{key}={value}"]
        self.run(*args, str(context), timeout=1200)

    def start(self, *args: str, name: str) -> str:
        """`podman run -d --name NAME ...`; removed at session end."""
        self.containers.append(name)
        self.run("run", "-d", "--name", name, *args)
        return name

    def network(self, name: str) -> str:
        self.networks.append(name)
        self.run("network", "create", name)
        return name

    def wait_healthy(self, name: str, timeout: float = 60) -> float:
        """Run the image's HEALTHCHECK until it passes (no systemd runs it for us)."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.run("healthcheck", "run", name, check=False).returncode == 0:
                return time.monotonic() - start
            time.sleep(0.25)
        logs = self.run("logs", name, check=False)
        raise AssertionError(f"{name} not healthy after {timeout}s:\n{logs.stdout}{logs.stderr}")

    def remove(self, names: Sequence[str]) -> None:
        for name in names:
            self.run("rm", "-f", "-t", "2", name, check=False)

    def cleanup(self) -> None:
        self.remove(self.containers)
        self.containers.clear()
        for net in self.networks:
            self.run("network", "rm", "-f", net, check=False)
        self.networks.clear()


def _make_base_image(podman: Podman) -> None:
    if podman.run("image", "exists", BASE_IMAGE, check=False).returncode == 0:
        return
    rootfs = bookworm_rootfs()
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    assert tar.stdout is not None
    imported = subprocess.run(
        podman.argv("import", "-", BASE_IMAGE),
        stdin=tar.stdout,
        env=podman.env,
        capture_output=True,
        check=False,
    )
    tar.stdout.close()
    tar.wait()
    if imported.returncode != 0:
        raise AssertionError(f"podman import failed: {imported.stderr!r}")


def podman_root() -> Path:
    """Under CI a fresh store; locally a cache so image layers survive between runs."""
    if IN_CI:
        return Path(tempfile.mkdtemp(prefix="dockyard-podman-"))
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dockyard-podman"
    cache.mkdir(parents=True, exist_ok=True)
    return cache


@contextlib.contextmanager
def session_podman() -> Iterator[Podman]:
    require_root()
    binary = require_tool("podman")
    require_tool("runc")
    root = podman_root()
    for sub in ("tmp", "libpod-tmp", "networks", "run", "storage"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "containers.conf").write_text(
        _CONTAINERS_CONF.format(network_dir=root / "networks"), encoding="utf-8"
    )
    podman = Podman(root=root, binary=binary)
    _make_base_image(podman)
    try:
        yield podman
    finally:
        podman.cleanup()
        if IN_CI:
            podman.run("system", "reset", "-f", check=False)
            shutil.rmtree(root, ignore_errors=True)
