"""`dockyard rails export-db`'s dump for real, with podman, then `import-db --replace`.

The sample app's notes (quotes, non-ASCII) are dumped from one MariaDB container by the
loader's one-off task exactly as export-db runs it (the task definition's container from
dockyard.rails.ecs.import_container, the CLI's override from dockyard.rails.export: the
loader's entry point with --export, DUMP_PUT_URL, DB_HOST), PUT to a URL as the task PUTs
to its presigned one; the dump is what the CLI accepts; loaded by the same loader with
--replace into a fresh database that already holds other notes, every row of every table
is the same as in the source, and the app on the new database serves the notes. The
compose path (db-export to stdout) gives the same rows.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from dockyard.rails.export import export_override
from dockyard.rails.tasks import check_dump, import_override
from tests.harness.podman import Podman
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
    run_loader,
    sql_as,
    start_db,
    wait_for_200,
)

pytestmark = [pytest.mark.integration, pytest.mark.root]

NOTES = ["exported ' \" \\ quotes", "ünïcödé and emoji \U0001f600", "x" * 255]
TABLES = ("notes", "schema_migrations", "ar_internal_metadata")


class _Store(BaseHTTPRequestHandler):
    """PUT stores the body under the path, GET serves it (a presigned URL stands in)."""

    objects: ClassVar[dict[str, bytes]] = {}

    def do_PUT(self) -> None:
        self.objects[self.path] = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.end_headers()

    def do_GET(self) -> None:
        body = self.objects.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def store() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Store)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Site:
    db: str
    app: str


@pytest.fixture(scope="module")
def images(podman: Podman) -> Images:
    return build_images(
        podman, "localhost/i24-export-rails:test", "localhost/i24-export-mysql:test"
    )


@pytest.fixture(scope="module")
def sites(
    podman: Podman, images: Images, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Site]]:
    """A source database with notes written through the app, and a target with others."""
    root = tmp_path_factory.mktemp("i24-export-secrets")
    secrets = {}
    for name, value in (("db_root_password", PASSWORD), ("db_app_password", APP_PASSWORD)):
        secrets[name] = root / name
        secrets[name].write_text(value, encoding="utf-8")
        secrets[name].chmod(0o644)
    made: dict[str, Site] = {}
    try:
        for side, notes in (("src", NOTES), ("dst", ["already here"])):
            net = podman.network(f"i24-export-{side}")
            podman.run("volume", "rm", "-f", net, check=False)
            db = start_db(podman, images, secrets, name=f"{net}-db", net=net, volume=net)
            app = podman.start(
                "--network", net,
                "-e", f"APPDB_ENV_MYSQL_USER={APP_USER}",
                "-e", f"APPDB_ENV_MYSQL_DATABASE={APP_DATABASE}",
                "-e", f"APPDB_ENV_MYSQL_PASSWORD={APP_PASSWORD}",
                "-e", f"SECRET_KEY_BASE={SECRET_KEY_BASE}", "-e", "DB_WAIT_TIMEOUT=120",
                images.rails, name=f"{net}-app",
            )  # fmt: skip
            made[side] = Site(db, app)
            wait_for_200(f"http://{ip_of(podman, app)}:3000/health", timeout=180)
            for body in notes:
                status, text = http(f"http://{ip_of(podman, app)}:3000/notes", {"body": body})
                assert status == 201, text
        yield made
    finally:
        for side in ("src", "dst"):
            podman.remove([f"i24-export-{side}-app", f"i24-export-{side}-db"])
            podman.run("volume", "rm", "-f", f"i24-export-{side}", check=False)
        podman.remove(["i24-export-loader"])


def rows(podman: Podman, db: str) -> dict[str, str]:
    """Every row of the app's tables, as the client prints them (hex for exactness)."""
    out = {}
    for table in TABLES:
        columns = "id, HEX(body), created_at, updated_at" if table == "notes" else "*"
        sql = f"SELECT {columns} FROM {APP_DATABASE}.{table} ORDER BY 1"  # noqa: S608
        status, text = sql_as(podman, db, "root", PASSWORD, sql)
        assert status == 0, text
        out[table] = text
    return out


@pytest.fixture(scope="module")
def exported(podman: Podman, images: Images, sites: dict[str, Site], store: str) -> bytes:
    """The source database dumped by the loader task with export-db's override."""
    command, override = export_override(
        f"{store}/exports/dump.sql.gz", ip_of(podman, sites["src"].db)
    )
    proc = run_loader(podman, images.mysql, "i24-export-loader",
                      command, override, PASSWORD)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "one consistent snapshot" in proc.stderr and "uploading the dump" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr
    changed = {
        line.split()[1] for line in podman.run("diff", "i24-export-loader").stdout.splitlines()
    }
    assert changed <= {"/etc", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/tmp"}, changed
    return _Store.objects["/exports/dump.sql.gz"]


def test_the_export_is_a_dump_the_cli_accepts(exported: bytes, tmp_path: Path) -> None:
    """gzip, a mariadb-dump of the tables only (no CREATE DATABASE or USE), passing the
    CLI's check; taken in one snapshot (--single-transaction)."""
    path = tmp_path / "export.sql.gz"
    path.write_bytes(exported)
    check_dump(path)
    text = gzip.decompress(exported).decode("utf-8")
    assert "CREATE TABLE `notes`" in text
    assert "CREATE DATABASE" not in text and "\nUSE " not in text


def test_export_then_import_replace_gives_the_same_rows(
    podman: Podman, images: Images, sites: dict[str, Site], store: str, exported: bytes
) -> None:
    """Loaded with import-db's --replace into the target (which held another note), every
    row of notes, schema_migrations and ar_internal_metadata equals the source's, and the
    app on the target serves the source's notes."""
    src, dst = sites["src"], sites["dst"]
    assert rows(podman, dst.db) != rows(podman, src.db)
    command, override = import_override(f"{store}/exports/dump.sql.gz", ip_of(podman, dst.db),
                                        replace=True)  # fmt: skip
    proc = run_loader(podman, images.mysql, "i24-export-loader", command,
                      override, PASSWORD)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert rows(podman, dst.db) == rows(podman, src.db)
    status, body = http(f"http://{ip_of(podman, dst.app)}:3000/notes")
    assert status == 200, body
    assert [note["body"] for note in json.loads(body)] == NOTES
    assert "Access denied" not in logs(podman, dst.app)


def test_compose_path_db_export_to_stdout(podman: Podman, sites: dict[str, Site]) -> None:
    """`podman-compose exec -T appdb db-export > dump.sql.gz`: the source's notes, from the
    database container itself with root's password from its file."""
    done = subprocess.run(
        podman.argv("exec", "-e", "MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db_root_password",
                    sites["src"].db, "db-export"),
        env=podman.env, capture_output=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert b"to stdout" in done.stderr
    text = gzip.decompress(done.stdout).decode("utf-8")
    for note in NOTES:
        assert note.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"') in text
