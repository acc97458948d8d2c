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
    given its mode, and flushed. Every target is checked before the first rename (a
    directory in a file's place fails the whole write); the renames then keep a link to
    each old file, and one that still fails puts every old file back. On any error the
    temp files are removed and every target is as it was.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for spec in specs:
            if spec.path.is_dir():
                raise IsADirectoryError(21, "a directory is in the file's place", str(spec.path))
            directory = spec.path.parent if str(spec.path.parent) else Path()
            fd, tmp = tempfile.mkstemp(prefix=f".{spec.path.name}.", dir=directory)
            staged.append((tmp, spec.path))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), spec.mode)
                handle.write(spec.content)
                handle.flush()
                os.fsync(handle.fileno())
        _rename_all(staged)
        staged.clear()
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                Path(tmp).unlink()


def _rename_all(staged: Sequence[tuple[str, Path]]) -> None:
    """Rename each temp file onto its target; on a failure, restore what was there."""
    done: list[tuple[Path, Path | None]] = []  # target, the link to its old file (or None)
    try:
        for tmp, target in staged:
            backup: Path | None = None
            if target.exists() or target.is_symlink():
                backup = Path(f"{tmp}.old")
                os.link(target, backup, follow_symlinks=False)
            done.append((target, backup))
            Path(tmp).replace(target)
    except BaseException:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    backup.replace(target)
                else:
                    target.unlink()
        raise
    finally:
        for _, backup in done:
            if backup is not None:
                with contextlib.suppress(FileNotFoundError):
                    backup.unlink()


def write_file(path: Path, content: str, mode: int = 0o644) -> None:
    """Write one file atomically (see write_files)."""
    write_files([FileSpec(path, content, mode)])
