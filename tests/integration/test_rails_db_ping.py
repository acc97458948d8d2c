"""A malformed DATABASE_URL never reaches the logs: db-ping, and the Rails image's
entrypoint that forwards its messages, say what is wrong without any part of the URL.

Run in the Rails image built from the repo (its Ruby and URI library are the ones that
parse the URL in production).
"""

from __future__ import annotations

import pytest

from tests.harness.podman import Podman
from tests.harness.rails import RAILS_IMAGE, SECRET_KEY_BASE
from tests.harness.tools import REPO

pytestmark = [pytest.mark.integration, pytest.mark.root]

# checkov:skip=CKV_SECRET_4: the placeholders db-ping prints, no credentials
URL_FORM = "mysql2://USER:PASSWORD@HOST:PORT/DATABASE"
SECRET_PARTS = ("Wombat", "Quartz")
"""The password in every URL below is made of these; neither may appear in any output."""

# (malformed DATABASE_URL, words of the message that say what is wrong)
MALFORMED = [
    ("root:WombatQuartz@appdb:3306/app", "has no scheme"),
    # checkov:skip=CKV_SECRET_4: a made-up password in a malformed URL, the case under test
    ("mysql2://root:WombatQuartz@appdb:33o6/app", "has a port that is not a number"),
    ("mysql2://root:Wombat#Quartz@appdb/app", "has a character in the user name or password"),
    ("mysql2://root:Wombat Quartz@appdb/app", "contains a space"),
]
IDS = ["no-scheme", "bad-port", "unencoded-hash", "space"]


@pytest.fixture(scope="module")
def image(podman: Podman) -> str:
    podman.build(REPO / "containers" / "rails", RAILS_IMAGE, build_args={"APP_SRC": "sample"})
    return RAILS_IMAGE


def assert_no_secret(output: str) -> None:
    for part in SECRET_PARTS:
        assert part not in output, f"{part!r} leaked:\n{output}"


@pytest.mark.parametrize(("url", "words"), MALFORMED, ids=IDS)
@pytest.mark.parametrize("argv", [["--describe"], []], ids=["describe", "ping"])
def test_db_ping_names_the_problem_not_the_url(
    podman: Podman, image: str, url: str, words: str, argv: list[str]
) -> None:
    """db-ping (both modes) exits 2 for bad settings, naming the problem and the form a
    DATABASE_URL takes, with no part of the password in stdout or stderr."""
    proc = podman.run(
        "run", "--rm", "--entrypoint", "db-ping", "-e", f"DATABASE_URL={url}", image, *argv,
        check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"DATABASE_URL {words}" in proc.stderr
    assert URL_FORM in proc.stderr
    assert_no_secret(proc.stdout + proc.stderr)


@pytest.mark.parametrize(("url", "words"), MALFORMED, ids=IDS)
def test_entrypoint_stops_before_rails_boots_without_the_url(
    podman: Podman, image: str, url: str, words: str
) -> None:
    """The server command (db:prepare booting ahead, as deployed) stops with the entrypoint's
    one-line error carrying db-ping's reason; Rails never boots on the bad URL (its own
    error would print the URL), so nothing anywhere holds the password."""
    proc = podman.run(
        "run", "--rm", "-e", f"DATABASE_URL={url}", "-e", f"SECRET_KEY_BASE={SECRET_KEY_BASE}",
        "-e", "DB_WAIT_TIMEOUT=5", image,
        check=False, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "cannot tell where the database is" in proc.stderr
    assert f"DATABASE_URL {words}" in proc.stderr
    assert "waiting up to" not in proc.stderr
    assert_no_secret(proc.stdout + proc.stderr)
