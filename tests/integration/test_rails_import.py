"""`dockyard rails import-db`'s loader for real, with podman: the sample app's database
dumped with mariadb-dump from one MariaDB container, loaded into a fresh `appdb` by the
loader exactly as the one-off task runs it (the task definition's container from
dockyard.rails.ecs.import_container, the CLI's override from dockyard.rails.tasks, the
dump fetched from a URL as the task fetches its presigned one), and read back through
the Rails app's /notes. A database holding data is refused without --replace and
replaced with it; the local path (the dump on stdin of the database container, as the
compose walk-through does) loads the same dump; the loader writes no copy of the dump.
"""

from __future__ import annotations

import functools
import gzip
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from dockyard.rails.tasks import check_dump, import_override
from tests.harness.podman import Podman
from tests.harness.rails import (
    APP_DATABASE,
    APP_USER,
    PASSWORD,
    SECRET_KEY_BASE,
    Images,
    build_images,
    http,
    ip_of,
    start_db,
    wait_for_200,
)
from tests.harness.rails import (
    run_loader as run_loader_task,
)

pytestmark = [pytest.mark.integration, pytest.mark.root]

RAILS_IMAGE = "localhost/i14-import-rails:test"
MYSQL_IMAGE = "localhost/i14-import-mysql:test"
APP_PASSWORD = "import 'app' pw"
NOTES = ["from the monolith", "quotes ' and \" and ünïcödé"]


@pytest.fixture(scope="module")
def images(podman: Podman) -> Images:
    return build_images(podman, RAILS_IMAGE, MYSQL_IMAGE)


@pytest.fixture(scope="module")
def secrets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("i14-secrets")
    paths = {}
    for name, value in {
        "db_root_password": PASSWORD,
        "db_app_password": APP_PASSWORD,
        "secret_key_base": SECRET_KEY_BASE,
    }.items():
        paths[name] = root / name
        paths[name].write_text(value, encoding="utf-8")
        paths[name].chmod(0o644)
    return paths


def start_app(podman: Podman, images: Images, secrets: dict[str, Path], net: str) -> str:
    """The Rails app as its ECS service runs it: the app's own user, `appdb` on `net`."""
    name = podman.start(
        "--network", net,
        "-v", f"{secrets['db_app_password']}:/run/secrets/db_app_password:ro",
        "-v", f"{secrets['secret_key_base']}:/run/secrets/secret_key_base:ro",
        "-e", "APPDB_PORT_3306_TCP_ADDR=appdb",
        "-e", "APPDB_PORT_3306_TCP_PORT=3306",
        "-e", f"APPDB_ENV_MYSQL_USER={APP_USER}",
        "-e", f"APPDB_ENV_MYSQL_DATABASE={APP_DATABASE}",
        "-e", "APPDB_ENV_MYSQL_PASSWORD_FILE=/run/secrets/db_app_password",
        "-e", "SECRET_KEY_BASE_FILE=/run/secrets/secret_key_base",
        "-e", "DB_WAIT_TIMEOUT=120",
        images.rails,
        name=f"{net}-app",
    )  # fmt: skip
    wait_for_200(f"http://{ip_of(podman, name)}:3000/health", timeout=180)
    return name


def notes(podman: Podman, app: str) -> list[str]:
    status, body = http(f"http://{ip_of(podman, app)}:3000/notes")
    assert status == 200, body
    return [note["body"] for note in json.loads(body)]


@dataclass
class Site:
    net: str
    db: str
    app: str


@pytest.fixture(scope="module")
def source(podman: Podman, images: Images, secrets: dict[str, Path]) -> Iterator[Site]:
    """The monolith's side: a database holding notes written through the app."""
    net = podman.network("i14-import-src")
    podman.run("volume", "rm", "-f", "i14-import-src", check=False)
    db = start_db(podman, images, secrets, name="i14-import-src-db", net=net, volume=net)
    app = start_app(podman, images, secrets, net)
    for body in NOTES:
        status, text = http(f"http://{ip_of(podman, app)}:3000/notes", {"body": body})
        assert status == 201, text
    try:
        yield Site(net, db, app)
    finally:
        podman.remove([app, db])
        podman.run("volume", "rm", "-f", "i14-import-src", check=False)


@pytest.fixture(scope="module")
def dump(source: Site, podman: Podman, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mariadb-dump --single-transaction appdb_production`, as docs/rails.md says."""
    proc = podman.run(
        "exec", "-e", f"MYSQL_PWD={PASSWORD}", source.db,
        "mariadb-dump", "--protocol=tcp", "-h", "127.0.0.1", "-u", "root",
        "--single-transaction", APP_DATABASE,
    )  # fmt: skip
    path = tmp_path_factory.mktemp("i14-dump") / "monolith.sql"
    path.write_text(proc.stdout, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def served(dump: Path) -> Iterator[str]:
    """The gzipped dump over HTTP on 127.0.0.1 (the task's presigned URL stands in)."""
    gz = dump.with_suffix(".sql.gz")
    gz.write_bytes(gzip.compress(dump.read_bytes()))
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(gz.parent))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{gz.name}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def target(podman: Podman, images: Images, secrets: dict[str, Path]) -> Iterator[Site]:
    """The new stack: a fresh `appdb` (its own volume) and the app on it, no notes yet."""
    net = podman.network("i14-import-dst")
    podman.run("volume", "rm", "-f", "i14-import-dst", check=False)
    db = start_db(podman, images, secrets, name="i14-import-dst-db", net=net, volume=net)
    app = start_app(podman, images, secrets, net)
    try:
        yield Site(net, db, app)
    finally:
        podman.remove([app, db, "i14-import-loader"])
        podman.run("volume", "rm", "-f", "i14-import-dst", check=False)


def run_loader(podman: Podman, images: Images, target: Site, url: str, *, replace: bool) -> Any:
    """The loader's one-off task (tests.harness.rails.run_loader) with the CLI's import
    override: DUMP_URL, DB_HOST = the database's private address, --replace or not."""
    command, override = import_override(url, ip_of(podman, target.db), replace=replace)
    return run_loader_task(podman, images.mysql, "i14-import-loader", command, override, PASSWORD)


def test_the_dump_is_what_the_cli_accepts(dump: Path) -> None:
    """The real mariadb-dump output, plain and gzipped, passes the CLI's dump check."""
    check_dump(dump)
    gz = dump.with_suffix(".sql.gz")
    gz.write_bytes(gzip.compress(dump.read_bytes()))
    check_dump(gz)


def test_import_through_the_one_off_task(
    podman: Podman, images: Images, target: Site, served: str
) -> None:
    """Loaded into the fresh database without --replace (it holds no rows), the notes
    read back through the running app; the loader leaves no copy of the dump."""
    assert notes(podman, target.app) == []
    proc = run_loader(podman, images, target, served, replace=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "downloading the dump" in proc.stderr
    assert notes(podman, target.app) == NOTES
    # the container's file system differs from its image only where podman wrote /etc
    changed = {
        line.split()[1] for line in podman.run("diff", "i14-import-loader").stdout.splitlines()
    }
    assert changed <= {"/etc", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"}, changed


def test_data_is_refused_without_replace_and_replaced_with_it(
    podman: Podman, images: Images, target: Site, served: str
) -> None:
    """With notes in it, the database is refused (exit 1, one line naming --replace,
    nothing changed); with --replace it is dropped and holds the dump again (a note
    written after the first import is gone)."""
    if notes(podman, target.app) != NOTES:
        assert run_loader(podman, images, target, served, replace=False).returncode == 0
    status, text = http(f"http://{ip_of(podman, target.app)}:3000/notes", {"body": "later"})
    assert status == 201, text
    refused = run_loader(podman, images, target, served, replace=False)
    assert refused.returncode == 1
    (error,) = [line for line in refused.stderr.splitlines() if "ERROR" in line]
    assert "already holds data" in error and "--replace" in error
    assert notes(podman, target.app) == [*NOTES, "later"]
    replaced = run_loader(podman, images, target, served, replace=True)
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert notes(podman, target.app) == NOTES


def test_local_import_from_stdin(
    podman: Podman, images: Images, secrets: dict[str, Path], dump: Path
) -> None:
    """The compose path (`exec -T appdb db-import --replace < dump.sql`): the loader in
    the database container reads the dump from stdin, root's password from its file."""
    net = podman.network("i14-import-local")
    podman.run("volume", "rm", "-f", net, check=False)
    db = start_db(podman, images, secrets, name=f"{net}-db", net=net, volume=net)
    try:
        podman.wait_healthy(db, timeout=120)
        proc = podman.run(
            "exec", "-i", db, "db-import", input=dump.read_text(encoding="utf-8"), timeout=120
        )
        assert "reading the dump from stdin" in proc.stderr
        app = start_app(podman, images, secrets, net)
        assert notes(podman, app) == NOTES
    finally:
        podman.remove([f"{net}-app", db])
        podman.run("volume", "rm", "-f", net, check=False)
