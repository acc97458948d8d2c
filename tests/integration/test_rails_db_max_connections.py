"""railsDbMaxConnections reaches the server: the database container, built from
containers/mysql and run with podman with the `command` the ECS task definition gets
(dockyard.rails.ecs.db_container), initializes its data, turns healthy and reports that
max_connections, and refuses the connection beyond it as MariaDB does."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from dockyard.rails import ecs as r
from tests.harness.podman import Podman
from tests.harness.rails import MYSQL_IMAGE, PASSWORD, sql_as
from tests.harness.tools import REPO

pytestmark = [pytest.mark.integration, pytest.mark.root]
LIMIT = 12


def test_the_server_takes_its_connection_limit_from_the_task(
    podman: Podman, tmp_path: Path
) -> None:
    """The container started with the task definition's command reports @@max_connections
    = railsDbMaxConnections; LIMIT sessions held open, the next non-root client gets
    MariaDB's "Too many connections" (1040)."""
    podman.build(REPO / "containers" / "mysql", MYSQL_IMAGE)
    container = r.db_container(
        image=MYSQL_IMAGE,
        password_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:root-AbCdEf",
        app_password_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:app-AbCd",
        logs=r.Logs(group="g", region="us-east-1", stream_prefix="appdb"),
        limits=r.Limits(cpu=r.SEED_CPU, memory=r.SEED_MEMORY_MIB),
        max_connections=LIMIT,
    )
    assert container["command"] == [f"--max-connections={LIMIT}"]
    secret = tmp_path / "root"
    secret.write_text(PASSWORD, encoding="utf-8")
    secret.chmod(0o644)
    db = podman.start(
        "-v", f"{secret}:/run/secrets/root:ro",
        "-e", "MYSQL_ROOT_PASSWORD_FILE=/run/secrets/root",
        MYSQL_IMAGE, *container["command"],
        name="i24-db-max-connections",
    )  # fmt: skip
    podman.wait_healthy(db, timeout=120)
    status, out = sql_as(podman, db, "root", PASSWORD, "SELECT @@max_connections")
    assert (status, out.strip()) == (0, str(LIMIT)), out
    # LIMIT sleeping sessions as the privilege-less health check user, then one more
    session = ("exec", db, "mariadb", "--protocol=tcp", "-h", "127.0.0.1", "-u", "healthcheck",
               "-N", "-e")  # fmt: skip
    holders = [
        subprocess.Popen(
            podman.argv(*session, "SELECT SLEEP(60)"),
            env=podman.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(LIMIT)
    ]
    try:
        deadline, count = time.monotonic() + 60, ""
        while time.monotonic() < deadline and count != str(LIMIT):
            status, count = sql_as(
                podman, db, "root", PASSWORD,
                "SELECT COUNT(*) FROM information_schema.processlist WHERE user='healthcheck'",
            )  # fmt: skip
            count = count.strip()
            time.sleep(0.5)
        assert count == str(LIMIT), count
        extra = podman.run(*session, "SELECT 1", check=False, timeout=30)
        assert extra.returncode != 0
        assert "Too many connections" in extra.stderr, extra.stderr
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()
