"""Shared pieces of the Rails container tests: the images, the test secrets, HTTP polling
and the database container as the compose stack and the ECS tasks run it."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dockyard.rails import ecs as rails_ecs
from tests.harness.podman import Podman
from tests.harness.tools import REPO

RAILS_IMAGE = "localhost/i5-rails:test"
MYSQL_IMAGE = "localhost/i5-mysql:test"
PASSWORD = "s3cret 'quoted' \\ pass"
APP_PASSWORD = "app 'pw' \\ with $ and `"
APP_USER = "rails"
APP_DATABASE = "appdb_production"
SECRET_KEY_BASE = "0123456789abcdef" * 8


@dataclass
class Images:
    rails: str
    mysql: str


def build_images(podman: Podman, rails: str = RAILS_IMAGE, mysql: str = MYSQL_IMAGE) -> Images:
    """Both images, built from containers/ in this repo under the given tags."""
    podman.build(REPO / "containers" / "mysql", mysql)
    podman.build(REPO / "containers" / "rails", rails, build_args={"APP_SRC": "sample"})
    return Images(rails=rails, mysql=mysql)


def db_greets(ip: str) -> bool:
    """True once the server on ip:3306 sends its protocol greeting."""
    try:
        with socket.create_connection((ip, 3306), timeout=0.5) as sock:
            sock.settimeout(0.5)
            return len(sock.recv(4)) == 4
    except OSError:
        return False


def ip_of(podman: Podman, name: str) -> str:
    out = podman.run(
        "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name
    )
    return out.stdout.split()[0]


def http(url: str, data: dict[str, str] | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(url, data=body, timeout=5) as resp:  # noqa: S310
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
        return 0, str(err)


def wait_for_200(url: str, timeout: float) -> float:
    start = time.monotonic()
    last: tuple[int, str] = (0, "")
    while time.monotonic() - start < timeout:
        last = http(url)
        if last[0] == 200:
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {timeout}s; last: {last}")


def wait_for_answer(url: str, timeout: float) -> tuple[int, str]:
    """The first HTTP answer (any status) from url: the server is up."""
    deadline = time.monotonic() + timeout
    while (answer := http(url))[0] == 0:
        assert time.monotonic() < deadline, f"{url} did not answer within {timeout}s: {answer}"
        time.sleep(0.2)
    return answer


def logs(podman: Podman, name: str) -> str:
    proc = podman.run("logs", name, check=False)
    return proc.stdout + proc.stderr


def appdb_address(podman: Podman, images: Images, *, name: str, net: str) -> str:
    """A container that holds the name `appdb` and its address on `net`, for a database
    started with `net=` the value returned (`container:NAME`: it joins that network
    namespace). Killed, the database is then refused at once, and found again when it
    starts, as on ECS, where Service Connect's proxy keeps `appdb` resolvable in the web
    task. Podman's own DNS drops the name with the container, and where the host's
    resolver does not answer from a container (this machine's) a lookup then waits out
    the resolver's timeouts (measured: 40 s), which is podman's, not the app's."""
    podman.start(
        "--network", net, "--network-alias", "appdb", "--no-healthcheck",
        "--entrypoint", "sleep", images.mysql, "infinity",
        name=name,
    )  # fmt: skip
    return f"container:{name}"


def start_db(
    podman: Podman,
    images: Images,
    secrets: dict[str, Path],
    *,
    name: str,
    net: str,
    volume: str,
    app_user: bool = True,
) -> str:
    """The database on `volume`; with `app_user`, it makes the app's user (MYSQL_USER).
    On a network it is `appdb` there; in a holder's namespace (`net` from
    `appdb_address`) the holder has the name."""
    user = [
        "-v", f"{secrets['db_app_password']}:/run/secrets/db_app_password:ro",
        "-e", f"MYSQL_USER={APP_USER}", "-e", f"MYSQL_DATABASE={APP_DATABASE}",
        "-e", "MYSQL_PASSWORD_FILE=/run/secrets/db_app_password",
    ] if app_user else []  # fmt: skip
    alias = [] if net.startswith("container:") else ["--network-alias", "appdb"]
    return podman.start(
        "--network", net, *alias,
        "-v", f"{volume}:/var/lib/mysql",
        "-v", f"{secrets['db_root_password']}:/run/secrets/db_root_password:ro",
        "-e", "MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db_root_password",
        *user,
        images.mysql,
        name=name,
    )  # fmt: skip


def sql_as(podman: Podman, db: str, user: str, password: str, sql: str) -> tuple[int, str]:
    """Run `sql` in the database container over TCP as `user`: (exit status, output)."""
    proc = podman.run(
        "exec", "-e", f"MYSQL_PWD={password}", db,
        "mariadb", "--protocol=tcp", "-h", "127.0.0.1", "-u", user, "-N", "--batch", "-e", sql,
        check=False, timeout=30,
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


def run_loader(
    podman: Podman,
    image: str,
    name: str,
    command: list[str],
    override: dict[str, str],
    root_password: str,
) -> subprocess.CompletedProcess[str]:
    """The dump loader's one-off task run with podman: its entry point and environment from
    the task definition (dockyard.rails.ecs.import_container), root's password as the
    secret delivers it, and the CLI's override (command, DUMP_URL or DUMP_PUT_URL, DB_HOST =
    the database's private address). Host networking reaches a URL on 127.0.0.1 and the
    database at its address, as the awsvpc task reaches S3 and the db task."""
    container = rails_ecs.import_container(
        image=image,
        password_secret_arn="arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-root",
        logs=rails_ecs.Logs(group="/dockyard/db", region="eu-west-1", stream_prefix="import"),
        limits=rails_ecs.Limits(cpu=rails_ecs.SEED_CPU, memory=rails_ecs.SEED_MEMORY_MIB),
    )
    environment = {e["name"]: e["value"] for e in container["environment"]} | override
    assert [s["name"] for s in container["secrets"]] == ["MYSQL_PWD"]
    environment["MYSQL_PWD"] = root_password
    podman.remove([name])
    return podman.run(
        "run", "--name", name, "--network", "host",
        "--entrypoint", json.dumps(container["entryPoint"]),
        *(arg for key, value in sorted(environment.items()) for arg in ("-e", f"{key}={value}")),
        container["image"], *container["command"], *command,
        check=False, timeout=300,
    )  # fmt: skip
