"""The database container killed and restarted under load, with podman.

Keep-alive clients read and write notes through the app while the database container is
killed (SIGKILL) and, some seconds later, started again on the same volume; the name
`appdb` stays resolvable meanwhile, as Service Connect keeps it on ECS
(tests/harness/rails.appdb_address). While it is gone every answer is 503 with a
Retry-After header and a short JSON body (the image's Dockyard::DbUnavailable
middleware; Rails alone answered an empty 500) and /health answers 503; no request goes
unanswered. Once the database accepts connections again the app serves reads and writes
within RECOVERY_BOUND seconds, without a restart of the web container; every note the
app acknowledged (201) is read back from the database.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.harness.podman import Podman
from tests.harness.rails import (
    APP_DATABASE,
    APP_PASSWORD,
    APP_USER,
    PASSWORD,
    SECRET_KEY_BASE,
    Images,
    appdb_address,
    build_images,
    db_greets,
    ip_of,
    logs,
    sql_as,
    start_db,
    wait_for_200,
)

pytestmark = [pytest.mark.integration, pytest.mark.root]

RECOVERY_BOUND = 2.0
"""Seconds from the database's greeting to the app serving reads and writes again
(measured: see docs/rails.md, "When the database goes away")."""
DOWN_SECONDS = 8.0
CLIENTS = 6


@dataclass
class Answer:
    sent: float
    done: float
    kind: str  # read, write or health
    status: int  # 0: no answer
    retry_after: str | None = None
    body: str = ""
    note: tuple[int, str] | None = None  # an acknowledged write: (id, body)


@dataclass
class Load:
    """Keep-alive clients that run until stopped, recording every answer."""

    host: str
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def request(self, conn: http.client.HTTPConnection, kind: str, n: int) -> Answer:
        sent = time.monotonic()
        if kind == "write":
            marker = f"fault-{threading.get_ident()}-{n}"
            body = f"body={marker}"
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            conn.request("POST", "/notes", body=body, headers=headers)
        else:
            marker = ""
            conn.request("GET", "/health" if kind == "health" else "/notes/1")
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        answer = Answer(sent, time.monotonic(), kind, resp.status, resp.getheader("Retry-After"),
                        text)  # fmt: skip
        if kind == "write" and resp.status == 201:
            answer.note = (int(json.loads(text)["id"]), marker)
        return answer

    def client(self, kind: str) -> None:
        conn = http.client.HTTPConnection(self.host, 3000, timeout=20)
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                answer = self.request(conn, kind, n)
            except (OSError, http.client.HTTPException) as err:
                now = time.monotonic()
                answer = Answer(now, now, kind, 0, body=f"{type(err).__name__}: {err}")
                conn.close()
                conn = http.client.HTTPConnection(self.host, 3000, timeout=20)
            with self.lock:
                self.answers.append(answer)
            if kind == "health":
                time.sleep(0.1)
        conn.close()

    def start(self) -> None:
        kinds = ["health"] + ["read", "write"] * (CLIENTS // 2)
        for kind in kinds:
            thread = threading.Thread(target=self.client, args=(kind,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self) -> list[Answer]:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        with self.lock:
            return list(self.answers)


@dataclass
class Fault:
    answers: list[Answer]
    killed_at: float
    restarted_at: float
    """When `podman start` was called: the database may answer before back_at is seen."""
    back_at: float
    app_before: str
    app_after: str
    app_logs: str
    rows: dict[int, str]


@pytest.fixture(scope="module")
def fault(podman: Podman, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fault]:
    """The app and its database, loaded; the database killed, then started again."""
    images: Images = build_images(podman, "localhost/i24-rails:fault", "localhost/i24-mysql:fault")
    root = tmp_path_factory.mktemp("i24-fault-secrets")
    secrets = {}
    for name, value in (("db_root_password", PASSWORD), ("db_app_password", APP_PASSWORD)):
        secrets[name] = root / name
        secrets[name].write_text(value, encoding="utf-8")
        secrets[name].chmod(0o644)
    net = podman.network("i24-fault")
    volume = "i24-fault-data"
    podman.run("volume", "rm", "-f", volume, check=False)
    holder = "i24-fault-appdb"
    db_net = appdb_address(podman, images, name=holder, net=net)
    db = start_db(podman, images, secrets, name="i24-fault-db", net=db_net, volume=volume)
    app = podman.start(
        "--network", net,
        "-e", f"APPDB_ENV_MYSQL_USER={APP_USER}",
        "-e", f"APPDB_ENV_MYSQL_DATABASE={APP_DATABASE}",
        "-e", f"APPDB_ENV_MYSQL_PASSWORD={APP_PASSWORD}",
        "-e", f"SECRET_KEY_BASE={SECRET_KEY_BASE}",
        "-e", "DB_WAIT_TIMEOUT=120", images.rails,
        name="i24-fault-app",
    )  # fmt: skip
    try:
        host = ip_of(podman, app)
        wait_for_200(f"http://{host}:3000/health", timeout=120)
        conn = http.client.HTTPConnection(host, 3000, timeout=10)
        conn.request("POST", "/notes", body="body=first",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert conn.getresponse().status == 201
        conn.close()
        app_before = podman.run("inspect", "-f", "{{.Id}} {{.State.StartedAt}}", app).stdout
        load = Load(host)
        load.start()
        time.sleep(3)
        podman.run("kill", db)
        killed_at = time.monotonic()
        time.sleep(DOWN_SECONDS)
        restarted_at = time.monotonic()
        podman.run("start", db)
        db_ip = ip_of(podman, holder)
        deadline = time.monotonic() + 60
        while not db_greets(db_ip):
            assert time.monotonic() < deadline, logs(podman, db)
            time.sleep(0.02)
        back_at = time.monotonic()
        time.sleep(RECOVERY_BOUND + 3)
        answers = load.finish()
        read_back = "SELECT id, body FROM appdb_production.notes"
        status, out = sql_as(podman, db, APP_USER, APP_PASSWORD, read_back)
        assert status == 0, out
        rows = {int(line.split("\t")[0]): line.split("\t")[1] for line in out.splitlines()}
        yield Fault(
            answers=answers,
            killed_at=killed_at,
            restarted_at=restarted_at,
            back_at=back_at,
            app_before=app_before,
            app_after=podman.run("inspect", "-f", "{{.Id}} {{.State.StartedAt}}", app).stdout,
            app_logs=logs(podman, app),
            rows=rows,
        )
    finally:
        podman.remove([app, db, holder])
        podman.run("volume", "rm", "-f", volume, check=False)


def while_down(fault: Fault) -> list[Answer]:
    """Answers to requests sent after the kill took effect and done before the database was
    started again (it may serve the app before the test's own poll sees its greeting)."""
    return [
        a for a in fault.answers if fault.killed_at + 0.5 < a.sent and a.done < fault.restarted_at
    ]


def _errors_logged(fault: Fault) -> list[str]:
    """The app's log lines that name an error, at most 20: what a failure message needs."""
    lines = [line for line in fault.app_logs.splitlines() if "Error" in line or " 500 " in line]
    return lines[:20]


def _errors_logged(fault: Fault) -> list[str]:
    """The app's log lines that name an error, at most 20: what a failure message needs."""
    return [line for line in fault.app_logs.splitlines() if "Error" in line][:20]


def test_every_request_is_answered_and_none_is_a_500(fault: Fault) -> None:
    """Under load, before, during and after the outage: an answer to every request, no 500."""
    statuses = {a.status for a in fault.answers}
    unanswered = [a.body for a in fault.answers if a.status == 0]
    assert not unanswered, unanswered[:5]
    assert not {s for s in statuses if s >= 500} - {503}, (statuses, _errors_logged(fault))
    assert {200, 201, 503} <= statuses, statuses


def test_while_down_503_with_retry_after_and_a_body(fault: Fault) -> None:
    """While the database is gone, reads and writes answer 503 with Retry-After and a short
    JSON body naming the problem; /health answers 503."""
    down = while_down(fault)
    app_answers = [a for a in down if a.kind in ("read", "write")]
    assert len(app_answers) >= 10, f"only {len(app_answers)} answers while the database was down"
    assert {a.status for a in app_answers} == {503}, _errors_logged(fault)
    for answer in app_answers:
        assert answer.retry_after == "5", answer
        assert json.loads(answer.body)["error"] == "the database is unavailable; try again shortly"
        assert len(answer.body) < 200
    health = [a for a in down if a.kind == "health"]
    assert health and {a.status for a in health} == {503}
    assert "database unavailable, answered 503" in fault.app_logs
    assert PASSWORD not in fault.app_logs and APP_PASSWORD not in fault.app_logs


def test_recovers_by_itself_within_the_bound(fault: Fault) -> None:
    """Reads, writes and /health succeed again within RECOVERY_BOUND seconds of the
    database's greeting, with the same web container (never restarted)."""
    assert fault.app_after == fault.app_before, "the web container was restarted"
    for kind, ok in (("read", 200), ("write", 201), ("health", 200)):
        served = [a.done for a in fault.answers if a.kind == kind and a.status == ok and
                  a.sent > fault.killed_at + 0.5]  # fmt: skip
        assert served, f"no {kind} succeeded after the database came back"
        recovery = min(served) - fault.back_at
        print(f"{kind}: served {recovery:.2f}s after the database accepted connections")
        assert recovery <= RECOVERY_BOUND, f"{kind} took {recovery:.2f}s"
    # After recovery nothing fails any more.
    late = [a for a in fault.answers if a.sent > fault.back_at + RECOVERY_BOUND]
    assert late and all(a.status in (200, 201) for a in late), {a.status for a in late}


def test_no_acknowledged_row_is_lost(fault: Fault) -> None:
    """Every note the app answered 201 for is in the database with its body."""
    acknowledged = dict(a.note for a in fault.answers if a.note is not None)
    assert len(acknowledged) >= 10
    missing = {i: body for i, body in acknowledged.items() if fault.rows.get(i) != body}
    assert not missing, f"{len(missing)} acknowledged notes lost, e.g. {list(missing.items())[:3]}"
