"""`dockyard rails export-db DEST`: what DEST may be. Hostile or mistaken destinations are
refused before any AWS call, with one line naming the problem and the fix; the CLI
exits 2 with that line and nothing on stdout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dockyard.errors import UsageError
from dockyard.rails.export import LocalFile, S3Object, destination
from tests.harness.stacks import rails_cli_outputs
from tests.harness.tools import assert_bad_input, run_dockyard

CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/dev-dev"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("s3://my-backups/rails/2026-12-03.sql.gz",
         S3Object("my-backups", "rails/2026-12-03.sql.gz")),
        ("s3://a.b-c/x y.sql.gz", S3Object("a.b-c", "x y.sql.gz")),
    ],
)  # fmt: skip
def test_s3_destinations(text: str, expected: S3Object) -> None:
    """A bucket by AWS's naming rules and a key ending in .sql.gz."""
    assert destination(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("s3://My-Bucket/x.sql.gz", "is not an S3 bucket name"),
        ("s3://ab/x.sql.gz", "is not an S3 bucket name"),
        ("s3://a..b/x.sql.gz", "no two dots in a row"),
        ("s3://192.168.1.1/x.sql.gz", "not an IP address"),
        ("s3://xn--bucket/x.sql.gz", "no prefix xn--"),
        ("s3://bucket/x.sql", "end the key in .sql.gz"),
        ("s3://bucket/", "name the object"),
        ("s3://bucket/../etc/x.sql.gz", "no empty, . or .. path segment"),
        ("s3://bucket/a//b.sql.gz", "no empty, . or .. path segment"),
        ("s3://bucket//b.sql.gz", "no empty, . or .. path segment"),
        ("s3://bucket/\x1b]0;owned\x07.sql.gz", "use letters, digits"),
        ("s3://bucket/a\nb.sql.gz", "use letters, digits"),
        ("s3://bucket/" + "k" * 1020 + ".sql.gz", "longer than S3's 1024 bytes"),
        ("https://bucket.s3.amazonaws.com/x.sql.gz", "export to a local FILE.sql"),
        ("dump.txt", "name the dump FILE.sql or FILE.sql.gz"),
    ],
)
def test_bad_destinations(text: str, words: str) -> None:
    """Bucket names AWS refuses, keys with traversal, empty segments, control or escape
    characters, the wrong suffix, a URL of another scheme: UsageError, escaped."""
    with pytest.raises(UsageError, match=words) as info:
        destination(text)
    assert "\x1b" not in str(info.value) and "\n" not in str(info.value)


def test_local_destinations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new FILE.sql or FILE.sql.gz in an existing directory, resolved; never an existing
    file or a symlink (even a dangling one), never in a missing directory."""
    monkeypatch.chdir(tmp_path)
    assert destination("out.sql.gz") == LocalFile(tmp_path / "out.sql.gz")
    assert destination("out.sql.gz").gzipped and not destination("out.sql").gzipped
    (tmp_path / "there.sql").write_text("-- old\n")
    (tmp_path / "link.sql.gz").symlink_to("/etc/passwd-nowhere")
    for name, words in (
        ("there.sql", "exists; export-db never overwrites"),
        ("link.sql.gz", "exists; export-db never overwrites"),
        ("missing/out.sql", "is not a directory: create it first"),
        ("there.sql/out.sql", "is not a directory"),
    ):
        with pytest.raises(UsageError, match=words):
            destination(name)
    assert (tmp_path / "there.sql").read_text() == "-- old\n"


@pytest.mark.parametrize(
    ("dest", "words"),
    [
        ("s3://Bad_Bucket/x.sql.gz", "'Bad_Bucket' is not an S3 bucket name"),
        ("s3://bucket/x.csv", "end the key in .sql.gz"),
        ("exists.sql", "exists.sql exists; export-db never overwrites"),
    ],
)
def test_cli_bad_destination_is_one_line_and_exit_2(dest: str, words: str, tmp_path: Path) -> None:
    """`dockyard rails export-db DEST` with a bad DEST: one line, exit 2, before any AWS
    call (no credentials are set), the existing file untouched."""
    (tmp_path / "exists.sql").write_text("keep\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "HOME"}
    env |= {"HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"}
    proc = run_dockyard(
        ["rails", "export-db", dest],
        json.dumps(rails_cli_outputs(CLUSTER_ARN)),
        tmp_path,
        env,
    )
    assert_bad_input(proc, words)
    assert (tmp_path / "exists.sql").read_text() == "keep\n"


def test_export_has_its_own_handler() -> None:
    """`rails export-db` sets its own function."""
    from dockyard.cli import build_parser
    from dockyard.commands import rails

    assert build_parser().parse_args(["rails", "export-db", "d.sql"]).func is rails.export_db
