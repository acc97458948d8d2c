"""Copy a run directory to S3 so nothing is lost when the task stops (boto3)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from dockyard.fio.jobs import FioError


def object_keys(run_dir: Path, prefix: str) -> list[tuple[Path, str]]:
    """(file, key) for every regular file in the run dir, below `prefix/<run name>/`."""
    base = "/".join(p for p in (prefix.strip("/"), run_dir.name) if p)
    return [
        (path, f"{base}/{path.relative_to(run_dir).as_posix()}")
        for path in sorted(run_dir.rglob("*"))
        if path.is_file() and not path.is_symlink()
    ]


def upload_run(run_dir: Path, bucket: str, prefix: str, *, client: Any | None = None) -> list[str]:
    """Upload every file of the run; returns the keys written."""
    if client is None:
        import boto3

        client = boto3.client("s3")
    keys = []
    for path, key in object_keys(run_dir, prefix):
        content_type = mimetypes.guess_type(path.name)[0] or "text/plain"
        try:
            client.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": content_type})
        except Exception as err:  # botocore raises many kinds; name the object
            raise FioError(f"could not copy {path} to s3://{bucket}/{key}: {err}") from err
        keys.append(key)
    return keys
