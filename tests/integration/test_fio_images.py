"""The four fio-tools images built with podman and run with the seed's `docker run` lines.

The seed's README lines are kept as they were (same images' roles, environment
variables, /tmp/fio-data volume and arguments); only the image names carry the `i4-`
prefix, host ports are free ones instead of 8000, and the all-in-one run uses the host
network so it can reach the test's local HTTPS server for REMOTEFILES.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.fio import (
    TINY_JOB,
    LocalCA,
    file_server,
    make_test_ca,
    png_info,
)
from tests.harness.moto import MotoServer
from tests.harness.podman import Podman
from tests.harness.tools import REPO, free_port

pytestmark = [pytest.mark.integration, pytest.mark.root]

DOCKERFILE = REPO / "containers" / "fio" / "Dockerfile"
TARGETS = ("fio-tool", "fio-genplots", "fio-plotserve", "fiotools-aio")
FIO_UID = 10001


def image(target: str) -> str:
    return f"localhost/i4-{target}:test"


@pytest.fixture(scope="module")
def images(podman: Podman) -> Podman:
    for target in TARGETS:
        podman.build(REPO, image(target), target=target, dockerfile=DOCKERFILE)
    return podman


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The host's /tmp/fio-data stand-in, owned by the images' non-root user."""
    data = tmp_path / "fio-data"
    data.mkdir()
    (data / "job.fio").write_text(TINY_JOB, encoding="utf-8")
    for path in (data, data / "job.fio"):
        os.chown(path, FIO_UID, FIO_UID)
    return data


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local test URL
        return json.loads(response.read())


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except OSError as err:
            last = err
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


def test_images_run_as_non_root(images: Podman) -> None:
    """Every target's default user is uid 10001, not root."""
    for target in TARGETS:
        out = images.run("run", "--rm", "--entrypoint", "id", image(target), "-u").stdout
        assert out.strip() == str(FIO_UID), target


@pytest.mark.parametrize("target", TARGETS)
def test_other_commands_run_as_given(images: Podman, target: str) -> None:
    """CMD names the tool, so `IMAGE echo hi` runs echo (no data volume needed), and
    `IMAGE fio --version` runs the image's fio, not the benchmark (no dockyard-fio log)."""
    assert images.run("run", "--rm", image(target), "echo", "hi").stdout == "hi\n"
    version = images.run("run", "--rm", image(target), "fio", "--version")
    assert version.stdout.startswith("fio-") and "dockyard-fio" not in version.stderr


@pytest.mark.parametrize("target", ["fio-plotserve", "fiotools-aio"])
def test_health_check_does_not_import_from_the_data_dir(
    images: Podman, data_dir: Path, target: str
) -> None:
    """The health check runs `python3 -m dockyard.fio` in the working directory, the data
    volume, which fio and remote jobs write to. A `dockyard/fio/__main__.py` planted there is
    not what runs (PYTHONSAFEPATH): the image's own module answers."""
    planted = data_dir / "dockyard" / "fio"
    planted.mkdir(parents=True)
    (data_dir / "dockyard" / "__init__.py").write_text("", encoding="utf-8")
    (planted / "__init__.py").write_text("", encoding="utf-8")
    (planted / "__main__.py").write_text("print('PLANTED')\n", encoding="utf-8")
    inspected = images.run(
        "image", "inspect", "--format", "{{json .Config.Healthcheck.Test}}", image(target)
    ).stdout
    test = json.loads(inspected)
    assert test[0] == "CMD", test
    proc = images.run(
        "run", "--rm", "-v", f"{data_dir}:/tmp/fio-data", image(target), *test[1:], check=False
    )
    assert "PLANTED" not in proc.stdout + proc.stderr, proc
    assert "dockyard.fio" in " ".join(test)


def test_seed_tool_genplots_and_plotserve_lines(images: Podman, data_dir: Path) -> None:
    """fio-tool twice (results kept), fio-genplots -t -b -g -p, fio-plotserve on 8000."""
    volume = f"{data_dir}:/tmp/fio-data"
    # FIO_LOG_MSEC=250: the 1 s tiny job logs no sample at the default 1000 ms, and a
    # pattern graph with no samples is an error (exit 2), not an empty PNG.
    for _ in range(2):
        images.run(
            "run", "--rm", "-v", volume, "-e", "JOBFILES=job.fio", "-e", "FIO_LOG_MSEC=250",
            image("fio-tool"),
        )  # fmt: skip
    runs = sorted((data_dir / "runs").iterdir())
    assert len(runs) == 2, "the second run kept the first"
    for run in runs:
        assert json.loads((run / "result.json").read_text(encoding="utf-8"))["jobs"]
        assert json.loads((run / "metadata.json").read_text(encoding="utf-8"))["exit_status"] == 0
    title = "My16kAWSRandomReadTest"
    images.run(
        "run", "--rm", "-v", volume, image("fio-genplots"), "-t", title, "-b", "-g", "-p", "*_bw*"
    )
    images.run(
        "run", "--rm", "-v", volume, image("fio-genplots"), "-t", title, "-i", "-g", "-p", "*_iops*"
    )
    newest = runs[-1]
    assert png_info(newest / f"{title}_bw.png").title == f"{title}: bandwidth over time"
    assert png_info(newest / f"{title}_iops.png").title == f"{title}: IOPS over time"
    assert png_info(runs[0] / "bandwidth.png").title == "Bandwidth over time: fio"
    port = free_port()
    name = images.start(
        "-p", f"127.0.0.1:{port}:8000", "-v", volume, image("fio-plotserve"), name="i4-plotserve"
    )
    images.wait_healthy(name)
    listing = wait_for(lambda: get_json(f"http://127.0.0.1:{port}/runs.json"), 30, "listing")
    assert sorted(r["name"] for r in listing) == [r.name for r in runs]
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/runs/{newest.name}/{title}_bw.png", timeout=10
    ) as response:
        assert response.status == 200 and response.read(8) == b"\x89PNG\r\n\x1a\n"
    images.remove([name])


def test_unwritable_volume_is_named(images: Podman, tmp_path: Path) -> None:
    """A mounted data dir the fio user cannot write: exit 2 saying how to fix it."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o755)
    proc = images.run(
        "run",
        "--rm",
        "-v",
        f"{locked}:/tmp/fio-data",
        "-e",
        "JOBFILES=job.fio",
        image("fio-tool"),
        check=False,
    )
    assert proc.returncode == 2
    assert "cannot write to /tmp/fio-data" in proc.stderr and "chown" in proc.stderr


@pytest.fixture(scope="module")
def https_job(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, LocalCA]]:
    ca = make_test_ca(tmp_path_factory.mktemp("ca"))
    ca.ca_file.chmod(0o644)
    root = tmp_path_factory.mktemp("www")
    (root / "job.fio").write_text(TINY_JOB, encoding="utf-8")
    with file_server(root, ca) as url:
        yield f"{url}/job.fio", ca


def test_seed_aio_line(
    images: Podman, https_job: tuple[str, LocalCA], moto_server: MotoServer, tmp_path: Path
) -> None:
    """fiotools-aio with REMOTEFILES, JOBFILES, PLOTNAME and an anonymous /tmp/fio-data volume;
    the run directory is copied to S3 (moto) by the image's own boto3."""
    url, ca = https_job
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="fio-results")
    ca_copy = tmp_path / "ca.pem"
    shutil.copy(ca.ca_file, ca_copy)
    ca_copy.chmod(0o644)
    port = free_port()
    name = images.start(
        "--network", "host",
        "-v", "/tmp/fio-data",
        "-v", f"{ca_copy}:/etc/dockyard-ca.pem:ro",
        "-e", f"REMOTEFILES={url}",
        "-e", "JOBFILES=job.fio",
        "-e", "PLOTNAME=MyTest",
        "-e", "FIO_CA_FILE=/etc/dockyard-ca.pem",
        "-e", f"PORT={port}",
        "-e", "RESULTS_BUCKET=fio-results",
        "-e", "RESULTS_PREFIX=host-a",
        "-e", f"RESULTS_ENDPOINT_URL={moto_server.endpoint}",
        "-e", "AWS_ACCESS_KEY_ID=testing",
        "-e", "AWS_SECRET_ACCESS_KEY=testing",
        "-e", "AWS_DEFAULT_REGION=us-east-1",
        image("fiotools-aio"),
        name="i4-MyFioTest",
    )  # fmt: skip
    images.wait_healthy(name, timeout=60)

    def finished() -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = get_json(f"http://127.0.0.1:{port}/runs.json")
        return [
            r for r in runs if r["finished"] and any(f.endswith("iops.png") for f in r["files"])
        ]

    (run,) = wait_for(finished, 60, "the aio run to finish and draw")
    assert run["plotname"] == "MyTest" and run["exit_status"] == 0
    assert {row["job"] for row in run["summary"]} == {"tiny-read", "tiny-write"}
    for path in run["files"]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=10) as response:
            assert response.status == 200
    logs = images.run("logs", name).stderr
    assert "fio exit status 0" in logs
    expected = {f"host-a/{run['name']}/result.json", f"host-a/{run['name']}/jobs/job.fio"}

    def uploaded() -> list[str]:
        listing = s3.list_objects_v2(Bucket="fio-results").get("Contents", [])
        keys = [o["Key"] for o in listing]
        # the copy runs after drawing: wait until it is complete, not merely started
        return keys if expected <= set(keys) else []

    keys = wait_for(uploaded, 30, "the run directory in S3")
    assert expected <= set(keys)
    images.remove([name])


def test_example_jobs_ship_in_the_image(images: Podman, data_dir: Path) -> None:
    """JOBFILES may name an example job baked into the image (/opt/fio-jobs)."""
    images.run(
        "run", "--rm", "-v", f"{data_dir}:/tmp/fio-data", "-e", "JOBFILES=quick.fio",
        "-e", "PLOTNAME=shipped", image("fio-tool"),
    )  # fmt: skip
    (run,) = (data_dir / "runs").iterdir()
    assert (run / "jobs" / "quick.fio").is_file() and (run / "result.json").is_file()


SIZE_LIMITS_MB = {"fio-tool": 120, "fio-genplots": 300, "fio-plotserve": 300, "fiotools-aio": 300}


@pytest.mark.parametrize("target", TARGETS)
def test_image_sizes(images: Podman, target: str) -> None:
    """`podman image inspect` sizes: fio-tool under 120 MB, the plotting images under 300 MB."""
    size = int(images.run("image", "inspect", "--format", "{{.Size}}", image(target)).stdout)
    assert size < SIZE_LIMITS_MB[target] * 1_000_000, f"{target}: {size / 1e6:.0f} MB"


def _aio(
    images: Podman, moto_server: MotoServer, port: int, name: str, volume: dict[str, str]
) -> str:
    env = {
        "JOBFILES": "quick.fio",
        "PLOTNAME": name,
        "PORT": str(port),
        "RESULTS_BUCKET": "fio-results",
        "RESULTS_PREFIX": "ecs",
        "RESULTS_ENDPOINT_URL": moto_server.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "FIO_COMPUTE": "Fargate",
        **volume,
    }
    args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    return images.start(
        "--network", "host", "-v", "/tmp/fio-data", *args, image("fiotools-aio"), name=f"i13-{name}"
    )  # fmt: skip


def test_runs_in_s3_compare_across_aio_containers(
    images: Podman, moto_server: MotoServer, tmp_path: Path
) -> None:
    """One aio container (gp3) copies its run to S3; `bench pull` fetches it (once); a second
    aio container (io2) pulls it at start, and its page in Chromium shows both runs with
    their volume labels and the comparison chart of the two selected in the URL."""
    from tests.harness.page import PageParser, dump_dom

    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="fio-results")
    gp3 = {"FIO_VOLUME_TYPE": "gp3", "FIO_VOLUME_SIZE_GIB": "20", "FIO_VOLUME_IOPS": "3000",
           "FIO_VOLUME_THROUGHPUT": "125"}  # fmt: skip
    io2 = {"FIO_VOLUME_TYPE": "io2", "FIO_VOLUME_SIZE_GIB": "20", "FIO_VOLUME_IOPS": "6000"}

    def uploaded() -> list[str]:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="fio-results").get("Contents", [])]
        return [k for k in keys if k.endswith("/metadata.json")]

    first = _aio(images, moto_server, free_port(), "gp3", gp3)
    (gp3_key,) = wait_for(uploaded, 120, "the gp3 run in S3")
    images.remove([first])
    gp3_run = gp3_key.split("/")[1]

    pulled = tmp_path / "pulled"
    pull = [sys.executable, "-m", "dockyard", "bench", "pull", "s3://fio-results/ecs",
            str(pulled), "--endpoint-url", moto_server.endpoint]  # fmt: skip
    for expected in ("1 run(s) pulled", "0 run(s) pulled"):
        proc = subprocess.run(
            pull, env=moto_server.env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0 and expected in proc.stdout, proc.stderr
    meta = json.loads((pulled / "runs" / gp3_run / "metadata.json").read_text(encoding="utf-8"))
    assert meta["volume"]["type"] == "gp3" and meta["exit_status"] == 0
    assert (pulled / "runs" / gp3_run / "result.json").is_file()

    port = free_port()
    second = _aio(images, moto_server, port, "io2", io2)
    images.wait_healthy(second, timeout=60)

    def both() -> list[dict[str, Any]]:
        runs: list[dict[str, Any]] = get_json(f"http://127.0.0.1:{port}/runs.json")
        return runs if len([r for r in runs if r["finished"] and r["summary"]]) == 2 else []

    runs = wait_for(both, 120, "the pulled gp3 run and the io2 run")
    names = {r["volume"]["type"]: r["name"] for r in runs}
    assert names["gp3"] == gp3_run
    url = f"http://127.0.0.1:{port}/?runs={names['gp3']},{names['io2']}"
    dom = dump_dom(url, tmp_path / "profile")
    page = PageParser()
    page.feed(dom)
    assert sorted(page.runs) == sorted(names.values())
    assert "gp3 20 GiB 3000 IOPS 125 MiB/s, Fargate, us-east-1" in dom
    assert "io2 20 GiB 6000 IOPS, Fargate, us-east-1" in dom
    compare = [img for img in page.images if "compare.png?runs=" in str(img["src"])]
    assert len(compare) == 1 and compare[0].get("data-loaded") == "yes"
    assert not [img["src"] for img in page.images if img.get("data-loaded") != "yes"]
    images.remove([second])
