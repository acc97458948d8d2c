"""containers/compose.yaml, as a real compose implementation (podman-compose) reads it."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml

from tests.harness.tools import REPO, require_tool

pytestmark = pytest.mark.integration

COMPOSE = REPO / "containers" / "compose.yaml"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    """`podman-compose config`: the file parsed and normalized by podman-compose."""
    proc = subprocess.run(
        [require_tool("podman-compose"), "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    loaded = yaml.safe_load(proc.stdout)
    assert isinstance(loaded, dict)
    return loaded


def test_db_health_check_and_app_waits_for_healthy(config: dict[str, Any]) -> None:
    """The database has a health check and the app depends on it being healthy."""
    services = config["services"]
    assert services["appdb"]["healthcheck"]["test"] == ["CMD", "/usr/local/bin/db-healthcheck"]
    assert services["app"]["depends_on"] == {"appdb": {"condition": "service_healthy"}}


@pytest.mark.parametrize("service", ["app", "appdb"])
def test_seed_limits(config: dict[str, Any], service: str) -> None:
    """Both containers keep the seed's cpu_shares 100 and mem_limit 117964800 bytes."""
    svc = config["services"][service]
    assert svc["cpu_shares"] == 100
    assert int(svc["mem_limit"]) == 117964800


def test_port_80_to_3000_and_link_variables(config: dict[str, Any]) -> None:
    """The app publishes 80 -> 3000 and gets the seed's APPDB_* link variables."""
    app = config["services"]["app"]
    assert [str(p) for p in app["ports"]] == ["80:3000"]
    env = app["environment"]
    assert env["APPDB_PORT_3306_TCP_ADDR"] == "appdb"
    assert str(env["APPDB_PORT_3306_TCP_PORT"]) == "3306"


def test_app_uses_its_own_database_user(config: dict[str, Any]) -> None:
    """The database creates the app's user (rights on its database only) from secrets; the
    app gets that user's account and password, never root's."""
    services = config["services"]
    db_env, app_env = services["appdb"]["environment"], services["app"]["environment"]
    assert (db_env["MYSQL_USER"], db_env["MYSQL_DATABASE"]) == ("rails", "appdb_production")
    assert (app_env["APPDB_ENV_MYSQL_USER"], app_env["APPDB_ENV_MYSQL_DATABASE"]) == (
        db_env["MYSQL_USER"],
        db_env["MYSQL_DATABASE"],
    )
    assert app_env["APPDB_ENV_MYSQL_PASSWORD_FILE"] == db_env["MYSQL_PASSWORD_FILE"]
    assert "db_root_password" not in services["app"]["secrets"]
    assert not [key for key in app_env if "ROOT" in key]
    assert set(services["appdb"]["secrets"]) == {"db_root_password", "db_app_password"}


def test_no_plaintext_secrets(config: dict[str, Any]) -> None:
    """Passwords come only as *_FILE paths to compose secrets that exist at the top level."""
    top = set(config["secrets"])
    for name, svc in config["services"].items():
        env = svc.get("environment", {})
        for key, value in env.items():
            if "PASSWORD" in key or "SECRET" in key:
                assert key.endswith("_FILE"), f"{name}: {key} holds a secret in plain text"
                assert str(value).startswith("/run/secrets/")
                assert str(value).removeprefix("/run/secrets/") in set(svc["secrets"])
        assert set(svc.get("secrets", [])) <= top
    for secret in config["secrets"].values():
        assert set(secret) == {"file"}


def test_secret_files_are_git_ignored() -> None:
    """The secret files compose.yaml reads can never be committed."""
    for name in ("db_root_password", "db_app_password", "secret_key_base"):
        proc = subprocess.run(
            ["git", "check-ignore", "-q", f"containers/secrets/{name}"], cwd=REPO, check=False
        )
        assert proc.returncode == 0, name


def test_db_data_on_a_named_volume(config: dict[str, Any]) -> None:
    """The database's data lives on a named volume, so it outlives the container."""
    assert "appdb-data:/var/lib/mysql" in config["services"]["appdb"]["volumes"]
    assert "appdb-data" in config["volumes"]
