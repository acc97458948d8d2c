"""How long after the database accepts connections does the Rails app answer 200?

Starts the database container and the app container together (app first, on a
fresh volume each run), polls both from the host every 20 ms, and prints the
median time from "database accepts connections" (its MySQL greeting arrives on
3306) to "app answers 200 on /health", next to the seed's fixed `sleep 15`, and
their ratio. The app server has booted before the database is up; what remains is
its gate's next poll, db:prepare (create + migrate a new database) and this poll.
Target: at most 0.5 s.

    .venv/bin/python benchmarks/app_ready.py [--runs 5]

Needs root and podman (as the test suite does); builds both images from the repo.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.harness.podman import Podman, session_podman  # noqa: E402
from tests.harness.rails import db_greets  # noqa: E402

SEED_SLEEP_SECONDS = 15.0
TARGET_SECONDS = 0.5
POLL = 0.02
RAILS_IMAGE = "localhost/i5-rails:bench"
MYSQL_IMAGE = "localhost/i5-mysql:bench"


def app_ok(ip: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{ip}:3000/health", timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def ip_of(podman: Podman, name: str) -> str:
    out = podman.run(
        "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", name
    )
    return out.stdout.split()[0]


def one_run(podman: Podman, net: str, run: int, timeout: float) -> float:
    volume = f"i5-bench-data-{run}"
    app, db = f"i5-bench-app-{run}", f"i5-bench-db-{run}"
    try:
        podman.start(
            "--network", net, "-e", "APPDB_ENV_MYSQL_ROOT_PASSWORD=bench-pw",
            "-e", "SECRET_KEY_BASE=" + "ab" * 32, "-e", "DB_WAIT_TIMEOUT=120",
            RAILS_IMAGE, name=app,
        )  # fmt: skip
        podman.start(
            "--network", net, "--network-alias", "appdb", "-v", f"{volume}:/var/lib/mysql",
            "-e", "MYSQL_ROOT_PASSWORD=bench-pw", MYSQL_IMAGE, name=db,
        )  # fmt: skip
        app_ip, db_ip = ip_of(podman, app), ip_of(podman, db)
        start = time.monotonic()
        db_at = None
        while time.monotonic() - start < timeout:
            now = time.monotonic()
            if db_at is None and db_greets(db_ip):
                db_at = now
            if db_at is not None and app_ok(app_ip):
                return now - db_at
            time.sleep(POLL)
        raise RuntimeError(f"run {run}: not ready within {timeout}s")
    finally:
        podman.remove([app, db])
        podman.run("volume", "rm", "-f", volume, check=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    with session_podman() as podman:
        podman.build(REPO / "containers" / "mysql", MYSQL_IMAGE)
        podman.build(REPO / "containers" / "rails", RAILS_IMAGE)
        net = podman.network("i5-bench")
        times = []
        for run in range(args.runs):
            seconds = one_run(podman, net, run, args.timeout)
            times.append(seconds)
            print(
                f"run {run + 1}: app answered 200 {seconds:.2f}s after the db accepted connections"
            )

    median = statistics.median(times)
    print()
    print(f"{'':34}{'seconds':>9}")
    print(f"{'seed: fixed sleep before db:create':34}{SEED_SLEEP_SECONDS:9.2f}")
    print(f"{'dockyard: median db-up -> 200':34}{median:9.2f}")
    met = median <= TARGET_SECONDS
    print(
        f"ratio seed / dockyard: {SEED_SLEEP_SECONDS / median:.1f}x;"
        f" target <= {TARGET_SECONDS} s: {'met' if met else 'NOT met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
