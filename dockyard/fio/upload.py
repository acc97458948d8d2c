"""Copy a run directory to S3 so nothing is lost when the task stops (boto3).

Each object carries its sha256 as user metadata (`x-amz-meta-sha256`), which
`dockyard bench pull` checks; metadata.json goes last, so a run whose metadata.json is
in the bucket is complete.
"""

from __future__ import annotations

import hashlib
import mimetypes
from pathlib import Path
from typing import Any

from dockyard.fio.jobs import FioError
from dockyard.fio.run import METADATA

SHA256_KEY = "sha256"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def object_keys(run_dir: Path, prefix: str) -> list[tuple[Path, str]]:
    """(file, key) for every regular file in the run dir, below `prefix/<run name>/`,
    metadata.json last."""
    base = "/".join(p for p in (prefix.strip("/"), run_dir.name) if p)
    files = sorted(
        (path for path in run_dir.rglob("*") if path.is_file() and not path.is_symlink()),
        key=lambda path: (path == run_dir / METADATA, path),
    )
    return [(path, f"{base}/{path.relative_to(run_dir).as_posix()}") for path in files]


def upload_run(run_dir: Path, bucket: str, prefix: str, *, client: Any | None = None) -> list[str]:
    """Upload every file of the run; returns the keys written."""
    if client is None:
        import boto3

        client = boto3.client("s3")
    keys = []
    for path, key in object_keys(run_dir, prefix):
        content_type = mimetypes.guess_type(path.name)[0] or "text/plain"
        extra = {"ContentType": content_type, "Metadata": {SHA256_KEY: file_sha256(path)}}
        try:
            client.upload_file(str(path), bucket, key, ExtraArgs=extra)
        except Exception as err:  # botocore raises many kinds; name the object
            raise FioError(f"could not copy {path} to s3://{bucket}/{key}: {err}") from err
        keys.append(key)
    return keys
