"""Bring runs kept in S3 into a data dir: `dockyard bench pull` and the aio image at start.

A run in the bucket is a key prefix `[PREFIX/][HOST/]<run name>/` holding metadata.json
(uploaded last, so its presence means the run is complete). Only runs missing from
DATA_DIR/runs/ are fetched; each object is checked against the sha256 it was uploaded
with, into a hidden temp directory that is renamed into place only when every file is
there and right.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from dockyard.fio.jobs import FioError
from dockyard.fio.run import METADATA, RUNS
from dockyard.fio.upload import SHA256_KEY

_RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass
class PullResult:
    """What a pull did: runs fetched, runs already here, objects without a checksum."""

    pulled: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)


def parse_s3_url(url: str, what: str | None = None) -> tuple[str, str]:
    """`s3://BUCKET[/PREFIX]` -> (bucket, prefix without slashes at the ends); FioError
    (naming `what`, the flag or stack output it came from, when given) for anything else,
    whitespace and control characters too (urlsplit would drop a newline silently)."""
    text = url if isinstance(url, str) else ""
    parsed = urllib.parse.urlsplit(text)
    if (
        parsed.scheme != "s3"
        or not parsed.netloc
        or any(ch.isspace() or not ch.isprintable() for ch in text)
    ):
        shown = f"{what} {str(url)[:80]!r}" if what else repr(url)
        raise FioError(f"{shown} is not an s3://BUCKET[/PREFIX] URL")
    return parsed.netloc, parsed.path.strip("/")


def _runs_in_bucket(client: Any, bucket: str, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Run key prefix -> its objects, for runs whose metadata.json is in the bucket."""
    objects: list[dict[str, Any]] = []
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=f"{prefix}/" if prefix else ""):
        objects.extend(page.get("Contents", []))
    runs = {
        obj["Key"].removesuffix(METADATA)
        for obj in objects
        if obj["Key"] == METADATA or obj["Key"].endswith(f"/{METADATA}")
    }
    grouped: dict[str, list[dict[str, Any]]] = {run: [] for run in runs if run}
    for obj in objects:
        for run in grouped:
            if obj["Key"].startswith(run):
                grouped[run].append(obj)
    return grouped


def _fetch(client: Any, bucket: str, key: str, path: Path) -> bool:
    """Download one object to path; True when its sha256 was checked, raise when wrong."""
    answer = client.get_object(Bucket=bucket, Key=key)
    expected = (answer.get("Metadata") or {}).get(SHA256_KEY)
    digest = hashlib.sha256()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for chunk in answer["Body"].iter_chunks(1 << 20):
            digest.update(chunk)
            handle.write(chunk)
    if expected is not None and digest.hexdigest() != expected:
        raise FioError(
            f"s3://{bucket}/{key}: sha256 is {digest.hexdigest()}, but it was uploaded as "
            f"{expected}; the run was not pulled (pull again, or check the bucket)"
        )
    return expected is not None


def _confined(staging: Path, key_rest: str) -> Path | None:
    """The file for a key's part below its run, or None when it would land outside staging.

    An S3 key is any string: `RUN//abs/path` has an absolute remainder (joining it would
    restart at the root), and `..` parts climb out. Both are refused, and the joined path
    is checked once more after resolving (no symlink can lead out either).
    """
    relative = PurePosixPath(key_rest)
    if (
        relative.is_absolute()
        or not relative.parts
        or any(part in {"", ".", ".."} or "\0" in part for part in relative.parts)
    ):
        return None
    target = staging.joinpath(*relative.parts)
    if not target.resolve().is_relative_to(staging.resolve()):
        return None
    return target


def pull(bucket: str, prefix: str, data_dir: Path, *, client: Any | None = None) -> PullResult:
    """Fetch every complete run under s3://bucket/prefix that DATA_DIR/runs/ lacks."""
    if client is None:
        import boto3

        client = boto3.client("s3")
    result = PullResult()
    runs_dir = data_dir / RUNS
    runs_dir.mkdir(parents=True, exist_ok=True)
    try:
        grouped = _runs_in_bucket(client, bucket, prefix)
    except Exception as err:  # botocore raises many kinds; name the bucket
        raise FioError(f"could not list s3://{bucket}/{prefix}: {err}") from err
    for run_key in sorted(grouped):
        name = PurePosixPath(run_key).name
        if not _RUN_NAME.fullmatch(name):
            continue
        if (runs_dir / name).exists():
            result.present.append(name)
            continue
        staging = Path(tempfile.mkdtemp(prefix=f".pull-{name}-", dir=runs_dir))
        try:
            for obj in grouped[run_key]:
                target = _confined(staging, obj["Key"][len(run_key) :])
                if target is None:
                    raise FioError(
                        f"s3://{bucket}/{obj['Key']!r}: not a file name inside the run "
                        "(absolute, empty, '.' or '..' parts); nothing was pulled for it: "
                        "remove or rename that object"
                    )
                try:
                    checked = _fetch(client, bucket, obj["Key"], target)
                except FioError:
                    raise
                except Exception as err:  # botocore raises many kinds; name the object
                    raise FioError(f"could not fetch s3://{bucket}/{obj['Key']}: {err}") from err
                if not checked:
                    result.unverified.append(obj["Key"])
            staging.chmod(0o755)
            staging.rename(runs_dir / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        result.pulled.append(name)
    return result
