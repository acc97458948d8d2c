"""Image tags unique per build: a digest of what `docker build` is given.

ECR repositories here have immutable tags, so a tag pushed twice fails the push. The
tag is therefore derived from the build's inputs (the files docker sends from the
context after .dockerignore, the Dockerfile, the target and the build arguments): the
same inputs give the same tag (and pulumi-docker, whose own context hash covers the same
files, does not push again), changed inputs give a new tag.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from docker.utils.build import exclude_paths

TAG_PREFIX = "build-"
TAG_HEX_DIGITS = 24


def _ignore_patterns(context: Path) -> list[str]:
    """The context's .dockerignore patterns (docker's own parsing: comments and blank
    lines dropped, each pattern stripped)."""
    ignore = context / ".dockerignore"
    if not ignore.is_file():
        return []
    lines = (line.strip() for line in ignore.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def context_digest(
    context: Path,
    dockerfile: Path,
    *,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
) -> str:
    """sha256 (hex) over the files docker sends (relative path, executable bit, content),
    the Dockerfile's content, the target and the build arguments."""
    digest = hashlib.sha256()
    included = sorted(exclude_paths(str(context), _ignore_patterns(context)))
    for relative in included:
        path = context / relative
        if path.is_symlink():
            kind, data = b"l", str(path.readlink()).encode()
        elif path.is_file():
            kind, data = (b"x" if os.access(path, os.X_OK) else b"f"), path.read_bytes()
        else:
            continue
        digest.update(relative.encode() + b"\0" + kind + b"\0" + data + b"\0")
    digest.update(b"dockerfile\0" + dockerfile.read_bytes() + b"\0")
    digest.update(f"target\0{target or ''}\0".encode())
    for key, value in sorted((build_args or {}).items()):
        digest.update(f"arg\0{key}={value}\0".encode())
    return digest.hexdigest()


def build_tag(
    context: Path,
    dockerfile: Path,
    *,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
) -> str:
    """`build-<24 hex digits of context_digest>`: unique per build input."""
    full = context_digest(context, dockerfile, target=target, build_args=build_args)
    return TAG_PREFIX + full[:TAG_HEX_DIGITS]
