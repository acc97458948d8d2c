"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness.moto import MotoServer, running_moto_server
from tests.harness.podman import Podman, session_podman


@pytest.fixture(scope="session")
def podman() -> Iterator[Podman]:
    """A podman with private storage and a locally made debian:bookworm-slim base image."""
    with session_podman() as instance:
        yield instance


@pytest.fixture(scope="session")
def _moto_server_session() -> Iterator[MotoServer]:
    with running_moto_server() as server:
        yield server


@pytest.fixture
def moto_server(_moto_server_session: MotoServer) -> MotoServer:
    """moto server on 127.0.0.1 (one per session), reset to empty before each test."""
    _moto_server_session.reset()
    return _moto_server_session
