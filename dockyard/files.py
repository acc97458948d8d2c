"""All-or-nothing file writes: every file goes to a temp file beside it, then is renamed."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FileSpec:
    """One file to write: where, what, and its permission bits."""

    path: Path
    content: str
    mode: int = 0o644


def write_files(specs: Sequence[FileSpec]) -> None:
    """Write every file or none.

    Each file is written to a temp file in its own directory (so the rename is atomic),
    given its mode, and flushed; only when all are written are they renamed into place.
    On any error the temp files are removed and no target is created or changed.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for spec in specs:
            directory = spec.path.parent if str(spec.path.parent) else Path()
            fd, tmp = tempfile.mkstemp(prefix=f".{spec.path.name}.", dir=directory)
            staged.append((tmp, spec.path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), spec.mode)
                handle.write(spec.content)
                handle.flush()
                os.fsync(handle.fileno())
        for tmp, target in staged:
            Path(tmp).replace(target)
        staged.clear()
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                Path(tmp).unlink()


def write_file(path: Path, content: str, mode: int = 0o644) -> None:
    """Write one file atomically (see write_files)."""
    write_files([FileSpec(path, content, mode)])
