"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness.podman import Podman, session_podman


@pytest.fixture(scope="session")
def podman() -> Iterator[Podman]:
    """A podman with private storage and a locally made debian:bookworm-slim base image."""
    with session_podman() as instance:
        yield instance
