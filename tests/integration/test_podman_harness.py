"""The podman harness itself: a container runs from the locally made base image."""

from __future__ import annotations

import pytest

from tests.harness.podman import BASE_IMAGE, Podman


@pytest.mark.integration
def test_base_image_runs(podman: Podman) -> None:
    """A container from the debootstrapped base image runs a command and reports Debian 12."""
    proc = podman.run("run", "--rm", BASE_IMAGE, "cat", "/etc/debian_version")
    assert proc.stdout.strip().startswith("12.")
