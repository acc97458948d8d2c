"""`bench pull` (dockyard.fio.pull) against hostile S3 keys, with moto server over HTTP.

Whoever can write to the results bucket chooses the keys. A key's part below its run
must stay below the run's directory: nothing is written outside DATA_DIR, nothing is
left half-pulled, and a good run beside a bad one still arrives.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.fio.jobs import FioError
from dockyard.fio.pull import pull
from tests.harness.moto import MotoServer

pytestmark = pytest.mark.integration

BUCKET = "fio-results"


def _bucket(moto_server: MotoServer, objects: dict[str, bytes]) -> object:
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return s3


def _every_file(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(
    "rest",
    [
        "/{outside}/planted",  # RUN//abs/path: joining an absolute part restarts at /
        "../../{name}-escape",
        "logs/../../../{name}-escape",
        "./",
    ],
)
def test_a_key_outside_its_run_is_refused_and_nothing_is_written(
    moto_server: MotoServer, tmp_path: Path, rest: str
) -> None:
    """Absolute, `..` and empty key parts below a run: refused, no file outside, no leftover."""
    outside = tmp_path / "outside"
    outside.mkdir()
    data_dir = tmp_path / "data"
    rest = rest.format(outside=str(outside).lstrip("/"), name="x")
    s3 = _bucket(
        moto_server,
        {"run-1/metadata.json": b"{}", "run-1/fio.json": b"{}", f"run-1/{rest}": b"#!/bin/sh\n"},
    )
    with pytest.raises(FioError, match="not a file name inside the run"):
        pull(BUCKET, "", data_dir, client=s3)
    assert _every_file(outside) == []
    assert _every_file(tmp_path) == ["data", "data/runs", "outside"], "no staging dir is left"


def test_a_good_run_beside_a_run_with_a_bad_key_is_pulled(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """Runs are pulled in name order, each all or nothing: run-1 arrives, run-2 is refused."""
    s3 = _bucket(
        moto_server,
        {
            "run-1/metadata.json": b"{}",
            "run-1/logs/a_bw.1.log": b"0, 1, 0, 4096, 0\n",
            "run-2/metadata.json": b"{}",
            "run-2/../../x": b"x",
        },
    )
    with pytest.raises(FioError, match="run-2"):
        pull(BUCKET, "", tmp_path, client=s3)
    assert _every_file(tmp_path) == [
        "runs",
        "runs/run-1",
        "runs/run-1/logs",
        "runs/run-1/logs/a_bw.1.log",
        "runs/run-1/metadata.json",
    ]
