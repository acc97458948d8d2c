"""The Rails flow's two images, built from the repo and run for real with podman.

The app container starts before its database: the server boots at once and answers
/health 503 while it waits (bounded, logged), prepares the database in the booted
process, then answers 200, as the app's own database user (rights on its database
only; root's password stays with the database container); two app containers
starting against one new database migrate it once; the database container is
replaced on the same volume and the data written through the app is still there; a
database that never comes up makes the server exit 1 within its bound.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness.podman import BASE_IMAGE, Podman
from tests.harness.rails import (
    APP_DATABASE,
    APP_PASSWORD,
    APP_USER,
    PASSWORD,
    SECRET_KEY_BASE,
    Images,
    build_images,
    http,
    ip_of,
    logs,
    sql_as,
    start_db,
    wait_for_200,
    wait_for_answer,
)

pytestmark = [pytest.mark.integration, pytest.mark.root]


@pytest.fixture(scope="module")
def images(podman: Podman) -> Images:
    """Both images, built from containers/ in this repo."""
    return build_images(podman)


@pytest.fixture(scope="module")
def secret_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The secrets as files for the *_FILE variables (readable by the images' users)."""
    root = tmp_path_factory.mktemp("i5-secrets")
    files = {
        "db_root_password": PASSWORD,
        "db_app_password": APP_PASSWORD,
        "secret_key_base": SECRET_KEY_BASE,
    }
    paths = {}
    for name, value in files.items():
        path = root / name
        path.write_text(value, encoding="utf-8")
        path.chmod(0o644)
        paths[name] = path
    return paths


@dataclass
class Stack:
    net: str
    volume: str
    app: str
    db: str
    url: str
    app_logs_before_db: str
    app_state_before_db: str
    health_before_db: tuple[int, str]


@pytest.fixture(scope="module")
def stack(podman: Podman, images: Images, secret_files: dict[str, Path]) -> Iterator[Stack]:
    """The app started first on a fresh network; the database (alias appdb) after it."""
    net = podman.network("i5-net")
    volume = "i5-appdb-data"
    podman.run("volume", "rm", "-f", volume, check=False)
    app = podman.start(
        "--network", net,
        "-v", f"{secret_files['db_app_password']}:/run/secrets/db_app_password:ro",
        "-v", f"{secret_files['secret_key_base']}:/run/secrets/secret_key_base:ro",
        "-e", "APPDB_PORT_3306_TCP_ADDR=appdb",
        "-e", "APPDB_PORT_3306_TCP_PORT=3306",
        "-e", f"APPDB_ENV_MYSQL_USER={APP_USER}",
        "-e", f"APPDB_ENV_MYSQL_DATABASE={APP_DATABASE}",
        "-e", "APPDB_ENV_MYSQL_PASSWORD_FILE=/run/secrets/db_app_password",
        "-e", "SECRET_KEY_BASE_FILE=/run/secrets/secret_key_base",
        "-e", "DB_WAIT_TIMEOUT=120",
        images.rails,
        name="i5-app",
    )  # fmt: skip
    url = f"http://{ip_of(podman, app)}:3000"
    # The app is up and waiting before the database exists.
    deadline = time.monotonic() + 30
    while "waiting up to 120s" not in logs(podman, app):
        assert time.monotonic() < deadline, logs(podman, app)
        time.sleep(0.2)
    health_before = wait_for_answer(url + "/health", timeout=60)
    before = logs(podman, app)
    state = podman.run("inspect", "-f", "{{.State.Status}}", app).stdout.strip()
    db = start_db(podman, images, secret_files, name="i5-appdb-1", net=net, volume=volume)
    try:
        yield Stack(
            net=net,
            volume=volume,
            app=app,
            db=db,
            url=url,
            app_logs_before_db=before,
            app_state_before_db=state,
            health_before_db=health_before,
        )
    finally:
        podman.remove(["i5-app", "i5-appdb-1", "i5-appdb-2"])
        podman.run("volume", "rm", "-f", volume, check=False)


def test_images_run_as_non_root(podman: Podman, images: Images) -> None:
    """Both images built from the repo and neither runs as root."""
    for image in (images.rails, images.mysql):
        user = podman.run("image", "inspect", "-f", "{{.Config.User}}", image).stdout.strip()
        assert user, f"{image} has no USER"
        assert user.split(":")[0] not in {"0", "root"}, f"{image} runs as {user}"


def test_app_waits_for_db_then_prepares_and_serves(podman: Podman, stack: Stack) -> None:
    """Started before its database, the server answers /health 503 while it waits, then
    runs db:prepare in the same process and answers 200."""
    assert "accepts connections" not in stack.app_logs_before_db
    assert stack.app_state_before_db == "running"
    assert "Listening on" in stack.app_logs_before_db, "the server boots before the database"
    status, body = stack.health_before_db
    assert (status, json.loads(body)) == (503, {"status": "starting", "database": "preparing"})
    wait_for_200(stack.url + "/health", timeout=90)
    text = logs(podman, stack.app)
    assert "the database at appdb:3306 accepts connections" in text
    assert "preparing the database (db:prepare" in text
    assert "Migrating to CreateNotes" in text
    assert PASSWORD not in text and APP_PASSWORD not in text
    status, body = http(stack.url + "/health")
    assert (status, json.loads(body)) == (200, {"status": "ok", "database": "ok"})
    env = podman.run("exec", stack.app, "env").stdout
    assert "ROOT_PASSWORD" not in env and PASSWORD not in env, "the app never sees root's password"


def test_app_user_has_its_database_only(podman: Podman, stack: Stack) -> None:
    """The app's user reads and writes its own database (the notes table the app made),
    and sees no other: a database root made is out of its reach, as are the grant tables
    and creating databases."""
    wait_for_200(stack.url + "/health", timeout=90)
    setup = (
        "CREATE DATABASE IF NOT EXISTS otherdb; CREATE TABLE IF NOT EXISTS otherdb.t (x INT); "
        "INSERT INTO otherdb.t VALUES (7)"
    )
    status, out = sql_as(podman, stack.db, "root", PASSWORD, setup)
    assert status == 0, out
    status, out = sql_as(podman, stack.db, APP_USER, APP_PASSWORD, "SHOW DATABASES")
    assert (status, set(out.split())) == (0, {"information_schema", APP_DATABASE})
    status, out = sql_as(
        podman, stack.db, APP_USER, APP_PASSWORD, "SELECT COUNT(*) >= 0 FROM appdb_production.notes"
    )
    assert (status, out.strip()) == (0, "1")
    for sql in (
        "SELECT x FROM otherdb.t",
        "SELECT User FROM mysql.user",
        "CREATE DATABASE app_made_this",
        f"GRANT SELECT ON {APP_DATABASE}.* TO 'healthcheck'@'127.0.0.1'",
    ):
        status, out = sql_as(podman, stack.db, APP_USER, APP_PASSWORD, sql)
        assert status != 0 and "denied" in out, (sql, out)


def test_root_password_alone_still_works(
    podman: Podman, images: Images, stack: Stack, secret_files: dict[str, Path]
) -> None:
    """The seed's variables alone (APPDB_ENV_MYSQL_ROOT_PASSWORD, no app user variables)
    are still honoured by database.yml: the app connects as root, as the seed's did."""
    wait_for_200(stack.url + "/health", timeout=90)
    name = podman.start(
        "--network", stack.net,
        "-v", f"{secret_files['db_root_password']}:/run/secrets/db_root_password:ro",
        "-e", "APPDB_PORT_3306_TCP_ADDR=appdb", "-e", "APPDB_PORT_3306_TCP_PORT=3306",
        "-e", "APPDB_ENV_MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db_root_password",
        "-e", "APPDB_DATABASE=appdb_seed_style",
        "-e", f"SECRET_KEY_BASE={SECRET_KEY_BASE}", "-e", "DB_WAIT_TIMEOUT=60",
        images.rails,
        name="i5-app-seed",
    )  # fmt: skip
    try:
        wait_for_200(f"http://{ip_of(podman, name)}:3000/health", timeout=90)
        assert "Created database 'appdb_seed_style'" in logs(podman, name)
    finally:
        podman.remove([name])


def test_app_user_added_to_an_existing_database(
    podman: Podman, images: Images, secret_files: dict[str, Path]
) -> None:
    """Day 2: data initialized before the app user existed (root only) gets the user when
    the database restarts with MYSQL_USER; its password follows the secret."""
    net = podman.network("i5-net-upgrade")
    volume = "i5-upgrade-data"
    podman.run("volume", "rm", "-f", volume, check=False)
    try:
        old = start_db(podman, images, secret_files, name="i5-db-old", net=net, volume=volume,
                       app_user=False)  # fmt: skip
        podman.wait_healthy(old, timeout=60)
        assert sql_as(podman, old, APP_USER, APP_PASSWORD, "SELECT 1")[0] != 0
        podman.remove([old])
        new = start_db(podman, images, secret_files, name="i5-db-new", net=net, volume=volume)
        podman.wait_healthy(new, timeout=60)
        text = logs(podman, new)
        assert "using the existing database" in text
        assert f"making sure user {APP_USER} has its password" in text
        assert PASSWORD not in text and APP_PASSWORD not in text
        status, out = sql_as(podman, new, APP_USER, APP_PASSWORD, "SHOW DATABASES")
        assert (status, set(out.split())) == (0, {"information_schema", APP_DATABASE})
    finally:
        podman.remove(["i5-db-old", "i5-db-new"])
        podman.run("volume", "rm", "-f", volume, check=False)


def test_data_survives_db_replacement(
    podman: Podman, images: Images, stack: Stack, secret_files: dict[str, Path]
) -> None:
    """A note written through the app is still there after the db container is replaced."""
    wait_for_200(stack.url + "/health", timeout=90)
    marker = f"written-before-replacement-{time.time_ns()}"
    status, body = http(stack.url + "/notes", {"body": marker})
    assert status == 201, body
    note_id = json.loads(body)["id"]

    old_id = podman.run("inspect", "-f", "{{.Id}}", stack.db).stdout.strip()
    podman.remove([stack.db])
    status, _ = http(stack.url + "/health")
    assert status == 503, "health must report the missing database"
    new = start_db(
        podman, images, secret_files, name="i5-appdb-2", net=stack.net, volume=stack.volume
    )
    assert podman.run("inspect", "-f", "{{.Id}}", new).stdout.strip() != old_id
    wait_for_200(stack.url + "/health", timeout=60)
    status, body = http(f"{stack.url}/notes/{note_id}")
    assert status == 200, body
    assert json.loads(body)["body"] == marker
    assert "using the existing database" in logs(podman, new)


def test_wrong_password_fails_fast(podman: Podman, images: Images, stack: Stack) -> None:
    """A database that refuses the credentials stops the wait at once with a clear message."""
    wait_for_200(stack.url + "/health", timeout=90)
    start = time.monotonic()
    proc = podman.run(
        "run", "--rm", "--network", stack.net,
        "-e", "APPDB_ENV_MYSQL_ROOT_PASSWORD=wrong", "-e", f"SECRET_KEY_BASE={SECRET_KEY_BASE}",
        "-e", "DB_WAIT_TIMEOUT=120", images.rails,
        check=False, timeout=180,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    assert proc.returncode != 0
    assert "refused the connection" in proc.stderr and "Access denied" in proc.stderr
    assert elapsed < 40, f"took {elapsed:.1f}s; should not wait out the 120s bound"


@pytest.mark.parametrize(
    ("case", "host"),
    [("unresolvable", "i5-no-such-host"), ("refusing", "i5-nodb")],
)
def test_db_never_up_exits_within_bound(
    podman: Podman, images: Images, case: str, host: str
) -> None:
    """No database (a name that never resolves, or a host with nothing on 3306): exit 1 in bound."""
    net = podman.network(f"i5-net-{case}")
    if case == "refusing":
        podman.start("--network", net, BASE_IMAGE, "sleep", "120", name=host)
    bound = 4
    start = time.monotonic()
    proc = podman.run(
        "run", "--rm", "--network", net,
        "-e", f"APPDB_PORT_3306_TCP_ADDR={host}", "-e", "APPDB_ENV_MYSQL_ROOT_PASSWORD=x",
        "-e", f"SECRET_KEY_BASE={SECRET_KEY_BASE}", "-e", f"DB_WAIT_TIMEOUT={bound}",
        images.rails,
        check=False, timeout=60,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    assert proc.returncode == 1, proc.stderr
    assert f"the database at {host}:3306 did not accept connections within {bound}s" in (
        proc.stderr
    )
    assert "raise DB_WAIT_TIMEOUT" in proc.stderr
    # The bound plus container start and stop, with room for a loaded CI machine; the
    # exact bound is in the message checked above.
    assert elapsed < bound + 15, f"took {elapsed:.1f}s for a {bound}s bound"


def test_two_apps_migrate_a_new_database_once(
    podman: Podman, images: Images, secret_files: dict[str, Path]
) -> None:
    """Two app containers started together against one new database: both answer 200,
    and the migration ran once (db:prepare under the MySQL lock)."""
    net = podman.network("i14-two")
    volume = "i14-two-data"
    apps = ["i14-two-app-a", "i14-two-app-b"]
    podman.run("volume", "rm", "-f", volume, check=False)
    try:
        for app in apps:
            podman.start(
                "--network", net,
                "-e", f"APPDB_ENV_MYSQL_USER={APP_USER}",
                "-e", f"APPDB_ENV_MYSQL_DATABASE={APP_DATABASE}",
                "-e", f"APPDB_ENV_MYSQL_PASSWORD={APP_PASSWORD}",
                "-e", f"SECRET_KEY_BASE={SECRET_KEY_BASE}", "-e", "DB_WAIT_TIMEOUT=120",
                images.rails,
                name=app,
            )  # fmt: skip
        for app in apps:
            assert wait_for_answer(f"http://{ip_of(podman, app)}:3000/health", 60)[0] == 503
        start_db(podman, images, secret_files, name="i14-two-db", net=net, volume=volume)
        for app in apps:
            wait_for_200(f"http://{ip_of(podman, app)}:3000/health", timeout=90)
        texts = [logs(podman, app) for app in apps]
        assert sum(text.count("Migrating to CreateNotes") for text in texts) == 1, texts
        assert all("preparing the database (db:prepare" in text for text in texts)
        status, body = http(f"http://{ip_of(podman, apps[1])}:3000/notes", {"body": "both"})
        assert status == 201, body
    finally:
        podman.remove([*apps, "i14-two-db"])
        podman.run("volume", "rm", "-f", volume, check=False)


def test_db_never_up_server_answers_503_then_exits(podman: Podman, images: Images) -> None:
    """While the bounded wait runs, the booted server answers /health 503; at the bound
    it exits 1 with the message naming the database and the fix."""
    net = podman.network("i14-never")
    bound = 20
    name = podman.start(
        "--network", net,
        "-e", "APPDB_PORT_3306_TCP_ADDR=i14-no-such-db", "-e", "APPDB_ENV_MYSQL_ROOT_PASSWORD=x",
        "-e", f"SECRET_KEY_BASE={SECRET_KEY_BASE}", "-e", f"DB_WAIT_TIMEOUT={bound}",
        images.rails,
        name="i14-never-app",
    )  # fmt: skip
    try:
        status, _ = wait_for_answer(f"http://{ip_of(podman, name)}:3000/health", bound)
        assert status == 503
        exit_code = podman.run("wait", name, timeout=bound + 30).stdout.strip()
        assert exit_code == "1"
        text = logs(podman, name)
        gave_up = f"the database at i14-no-such-db:3306 did not accept connections within {bound}s"
        assert gave_up in text
        assert "raise DB_WAIT_TIMEOUT" in text
    finally:
        podman.remove([name])


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"APPDB_ENV_MYSQL_ROOT_PASSWORD": "x"}, "SECRET_KEY_BASE is not set"),
        (
            {"SECRET_KEY_BASE": "x", "SECRET_KEY_BASE_FILE": "/etc/hostname"},
            "both SECRET_KEY_BASE and SECRET_KEY_BASE_FILE are set",
        ),
        ({"SECRET_KEY_BASE_FILE": "/nonexistent"}, "which is not a readable file"),
        ({"SECRET_KEY_BASE": "x", "DB_WAIT_TIMEOUT": "soon"}, "DB_WAIT_TIMEOUT='soon'"),
        ({"SECRET_KEY_BASE": "x"}, "DB_WAIT_TIMEOUT is not set"),
    ],
)
def test_app_bad_settings_fail_clearly(
    podman: Podman, images: Images, env: dict[str, str], message: str
) -> None:
    """Bad secret or wait settings stop the app entrypoint with a message naming the fix;
    the wait's bound has no default in the image (the task definition sets it)."""
    args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    proc = podman.run("run", "--rm", *args, images.rails, check=False, timeout=60)
    assert proc.returncode == 1
    assert message in proc.stderr


def test_non_server_commands_skip_the_wait(podman: Podman, images: Images) -> None:
    """Only the server waits for the database: a one-off command runs straight away."""
    proc = podman.run("run", "--rm", images.rails, "ruby", "-e", "puts RUBY_VERSION", timeout=60)
    assert proc.stdout.strip().startswith("3.")
    assert "waiting" not in proc.stderr


def test_db_refuses_to_initialize_without_password(podman: Podman, images: Images) -> None:
    """An empty data directory and no root password: exit non-zero naming both variables."""
    proc = podman.run("run", "--rm", images.mysql, check=False, timeout=60)
    assert proc.returncode == 1
    assert "set MYSQL_ROOT_PASSWORD or MYSQL_ROOT_PASSWORD_FILE" in proc.stderr


def test_db_health_check_turns_healthy(
    podman: Podman, images: Images, secret_files: dict[str, Path]
) -> None:
    """The image's HEALTHCHECK passes once the server accepts TCP connections."""
    name = podman.start(
        "-v", f"{secret_files['db_root_password']}:/run/secrets/pw:ro",
        "-e", "MYSQL_ROOT_PASSWORD_FILE=/run/secrets/pw", images.mysql,
        name="i5-db-health",
    )  # fmt: skip
    try:
        podman.wait_healthy(name, timeout=60)
        text = logs(podman, name)
        assert "initialization done" in text
        assert "Access denied" not in text
    finally:
        podman.remove([name])


def test_database_url_instead_of_link_variables(
    podman: Podman, images: Images, stack: Stack, tmp_path: Path
) -> None:
    """DATABASE_URL (from DATABASE_URL_FILE, password percent-encoded) replaces the APPDB_* vars."""
    wait_for_200(stack.url + "/health", timeout=90)
    url_file = tmp_path / "database_url"
    password = urllib.parse.quote(PASSWORD, safe="")
    url_file.write_text(f"mysql2://root:{password}@appdb:3306/appdb_from_url", encoding="utf-8")
    url_file.chmod(0o644)
    name = podman.start(
        "--network", stack.net,
        "-v", f"{url_file}:/run/secrets/database_url:ro",
        "-e", "DATABASE_URL_FILE=/run/secrets/database_url",
        "-e", f"SECRET_KEY_BASE={SECRET_KEY_BASE}",
        "-e", "DB_WAIT_TIMEOUT=60",
        images.rails,
        name="i5-app-url",
    )  # fmt: skip
    try:
        wait_for_200(f"http://{ip_of(podman, name)}:3000/health", timeout=90)
        text = logs(podman, name)
        assert "Created database 'appdb_from_url'" in text
        assert PASSWORD not in text and password not in text
    finally:
        podman.remove([name])
