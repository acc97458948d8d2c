"""A Debian bookworm root filesystem from debootstrap: podman's base image is made from
it, and the install-script test copies it into throwaway chroots (see
shared/notes/environment.md: minbase, ~25 s, ~200 MB)."""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.harness.tools import IN_CI, require_tool


def _cache() -> Path:
    """Under CI a fresh directory removed at exit; locally one kept between runs."""
    if IN_CI:
        fresh = Path(tempfile.mkdtemp(prefix="dockyard-rootfs-"))
        atexit.register(shutil.rmtree, fresh, ignore_errors=True)
        return fresh
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dockyard-rootfs"
    cache.mkdir(parents=True, exist_ok=True)
    return cache


@functools.cache
def bookworm_rootfs() -> Path:
    """`debootstrap --variant=minbase bookworm` with the host's apt sources and apt retries.

    Made once (in a temporary sibling, then renamed, so an interrupted run leaves no half
    tree) and shared: treat it as read-only and copy it to change anything.
    """
    cache = _cache()
    rootfs = cache / "bookworm-minbase"
    if rootfs.is_dir():
        return rootfs
    debootstrap = require_tool("debootstrap")
    building = Path(tempfile.mkdtemp(prefix="building-", dir=cache))
    building.chmod(0o755)  # it is the tree's /: mkdtemp's 0700 would shut out apt's _apt user
    try:
        subprocess.run(
            [debootstrap, "--variant=minbase", "bookworm", str(building)],
            check=True,
            capture_output=True,
            timeout=900,
        )
        sources = Path("/etc/apt/sources.list.d/debian.sources")
        if sources.exists():
            shutil.copy(sources, building / "etc/apt/sources.list.d/debian.sources")
            with contextlib.suppress(FileNotFoundError):
                (building / "etc/apt/sources.list").unlink()
        # apt-get inside retries a mirror hiccup instead of failing.
        (building / "etc/apt/apt.conf.d/80-retries").write_text(
            'Acquire::Retries "3";\n', encoding="utf-8"
        )
        with contextlib.suppress(OSError):  # another worker may have finished first
            building.rename(rootfs)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return rootfs
