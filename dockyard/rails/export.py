"""`dockyard rails export-db`: a consistent dump of the app's database to a local file or
to S3, the mirror of `import-db`.

The dump loader's one-off task (the import task definition, the database image) runs
`db-import --export`, which hands over to containers/mysql's db-export:
`mariadb-dump --single-transaction` (one InnoDB snapshot, the app keeps writing),
gzip-compressed, PUT to a presigned URL the CLI makes, so the task needs no role:

- to `s3://BUCKET/KEY.sql.gz`: the URL is for that object (the caller's credentials
  must be allowed to put it);
- to a local `FILE.sql.gz` or `FILE.sql`: the URL is for a fresh key under `exports/`
  in the stack's private import bucket; the CLI downloads it to a temp file beside FILE,
  checks it is a dump, renames it into place (never over an existing file) and deletes
  the object's version.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.errors import UsageError
from dockyard.rails.tasks import (
    IMPORT_KEYS,
    Echo,
    Target,
    aws_errors,
    check_dump,
    private_address,
    run_loader,
    running_task,
)
from dockyard.terminal import printable

EXPORT_ARG = "--export"
"""What the loader's entry point (db-import) takes to run db-export instead."""
EXPORT_PREFIX = "exports/"
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_KEY_CHARS = re.compile(r"[A-Za-z0-9!\-_.*'()/+=@,:;&$ ]+")
KEY_MAX_BYTES = 1024


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str


@dataclass(frozen=True)
class LocalFile:
    path: Path

    @property
    def gzipped(self) -> bool:
        return self.path.name.endswith(".gz")


Destination = S3Object | LocalFile


def _bucket_problem(bucket: str) -> str | None:
    """What makes `bucket` not an S3 bucket name (AWS's general purpose bucket rules)."""
    if not _BUCKET.fullmatch(bucket):
        return "3-63 lowercase letters, digits, dots and hyphens, starting and ending alike"
    if ".." in bucket or ".-" in bucket or "-." in bucket or _IPV4.fullmatch(bucket):
        return "no two dots in a row, no dot next to a hyphen, not an IP address"
    if bucket.startswith(("xn--", "sthree-")) or bucket.endswith(("-s3alias", "--ol-s3")):
        return "no prefix xn-- or sthree-, no suffix -s3alias or --ol-s3"
    return None


def _key_problem(key: str) -> str | None:
    """What makes `key` unsafe as the dump's object key (stricter than S3 itself)."""
    if not key:
        return "name the object: s3://BUCKET/KEY.sql.gz"
    if len(key.encode("utf-8")) > KEY_MAX_BYTES:
        return f"it is longer than S3's {KEY_MAX_BYTES} bytes"
    if not _KEY_CHARS.fullmatch(key):
        return "use letters, digits, / and !-_.*'()+=@,:;&$ or space only"
    parts = key.split("/")
    if key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        return "no empty, . or .. path segment"
    if not key.endswith(".sql.gz"):
        return "the dump is gzip-compressed SQL: end the key in .sql.gz"
    return None


def destination(text: str) -> Destination:
    """`s3://BUCKET/KEY.sql.gz` or a local FILE.sql[.gz] that does not exist yet, in an
    existing directory; UsageError naming the problem and the fix otherwise."""
    if text.startswith("s3://"):
        bucket, _, key = text[len("s3://") :].partition("/")
        problem = _bucket_problem(bucket)
        if problem:
            raise UsageError(f"{bucket!r} is not an S3 bucket name ({problem})")
        problem = _key_problem(key)
        if problem:
            raise UsageError(f"{key!r} is not a key export-db writes ({problem})")
        return S3Object(bucket, key)
    if "://" in text:
        raise UsageError(f"{text!r}: export to a local FILE.sql[.gz] or s3://BUCKET/KEY.sql.gz")
    path = Path(text)
    if not path.name.endswith((".sql", ".sql.gz")):
        raise UsageError(f"{printable(text)}: name the dump FILE.sql or FILE.sql.gz")
    if path.exists() or path.is_symlink():
        raise UsageError(f"{printable(text)} exists; export-db never overwrites: choose a new name")
    parent = path.parent.resolve()
    if not parent.is_dir():
        raise UsageError(f"{printable(str(path.parent))} is not a directory: create it first")
    return LocalFile(parent / path.name)


def export_override(put_url: str, database_address: str) -> tuple[list[str], dict[str, str]]:
    """The loader's command and environment for an export (db-import --export)."""
    return [EXPORT_ARG], {"DUMP_PUT_URL": put_url, "DB_HOST": database_address}


def save(s3: Any, bucket: str, key: str, dest: LocalFile) -> int:
    """Download the dump into a 0600 temp file beside dest (decompressed for a .sql),
    check it, then link it into place (failing if dest appeared meanwhile); its size."""
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.path.name}.", dir=dest.path.parent)
    try:
        with os.fdopen(fd, "wb") as out:  # mkstemp's 0600: the dump holds the app's data
            if dest.gzipped:
                s3.download_fileobj(bucket, key, out)
            else:
                with tempfile.TemporaryFile() as raw:
                    s3.download_fileobj(bucket, key, raw)
                    raw.seek(0)
                    with gzip.open(raw) as plain:
                        shutil.copyfileobj(plain, out)
        check_dump(Path(tmp))
        try:
            os.link(tmp, dest.path)  # never replaces: FileExistsError if dest exists now
        except FileExistsError:
            raise UsageError(
                f"{printable(str(dest.path))} appeared while exporting; nothing written"
            ) from None
        return dest.path.stat().st_size
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        raise UsageError(f"cannot write the dump to {printable(str(dest.path))}: {err}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()


def export_dump(
    s3: Any, ecs: Any, logs: Any, where: Target, dest: Destination, *, echo: Echo, poll: float = 6.0
) -> int:
    """Dump the database with the loader task to `dest`; the task's exit code."""
    where.require(*IMPORT_KEYS)
    with aws_errors(where):
        if isinstance(dest, S3Object):
            bucket, key = dest.bucket, dest.key
        else:
            bucket = str(where.tasks.need("importBucket"))
            key = f"{EXPORT_PREFIX}{uuid.uuid4().hex}.sql.gz"
        database_address = private_address(running_task(ecs, where, "dbService"))
        echo(f"dumping appdb at {database_address} to s3://{bucket}/{key} (a one-off task)")
        code = run_loader(
            (s3, ecs, logs),
            where,
            ("put_object", bucket, key),
            lambda url: export_override(url, database_address),
            echo,
            poll=poll,
        )
        if isinstance(dest, S3Object):
            if code == 0:
                echo(f"wrote s3://{bucket}/{key}")
            return code
        try:
            if code == 0:
                _require_object(s3, bucket, key)
                size = save(s3, bucket, key, dest)
                echo(f"wrote {printable(str(dest.path))} ({size} bytes)")
            return code
        finally:
            _delete_export(s3, bucket, key, echo)


def _require_object(s3: Any, bucket: str, key: str) -> None:
    """UsageError when the task exited 0 but its dump is not at s3://bucket/key."""
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as err:
        if err.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey"):
            raise
        raise UsageError(
            f"the dump task exited 0 but left no dump at s3://{bucket}/{key}: see its log "
            "above (an old database image without db-export? run pulumi up)"
        ) from None


def _delete_export(s3: Any, bucket: str, key: str, echo: Echo) -> None:
    """Every version of the transient export object (the import bucket is versioned)."""
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    for version in versions:
        if version.get("Key") == key:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])
    if versions:
        echo(f"removed s3://{bucket}/{key}")
