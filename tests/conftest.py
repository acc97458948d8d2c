"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from dockyard.checkip import CHECKIP_URL_ENV
from tests.harness.checkip import UNSERVED
from tests.harness.moto import MotoServer, running_moto_server
from tests.harness.podman import Podman, session_podman

# `me` in adminCidrs is never looked up on the internet from a test: unless a test serves
# an answer (tests/harness/checkip.py), the lookup goes to a closed port on 127.0.0.1 and
# fails.
os.environ.setdefault(CHECKIP_URL_ENV, UNSERVED)


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
