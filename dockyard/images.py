"""Image tags unique per build: a digest of exactly what pulumi-docker diffs on.

ECR repositories here have immutable tags, so a tag pushed twice fails the push
(ImageTagAlreadyExistsException). pulumi-docker's `docker.Image` rebuilds and pushes on
any change of its checked inputs, so the tag is derived from those same inputs: whenever
the provider would push, the tag is new; when nothing changed, it does not push at all.

What the provider diffs on (pulumi/pulumi-docker provider/provider.go @237b7899, Check and
Diff; v5.1.0 @e944612c is the same): every input but `registry.username/password`, after
Check has filled in `build.context` (default "."), `build.dockerfile` (default
context/Dockerfile), `build.platform` (default the host's), `buildOnPreview` (default
false) and `build.contextDigest`, its hash of the build context (`hashContext`):

    for the Dockerfile (named "Dockerfile", mode 0), then each file fsutil.Walk yields
    from the context (directories skipped, .dockerignore applied, lexical walk order):
        slash-path + Go FileMode.String() (FULL mode: "-rw-rw-r--" differs from
        "-rw-r--r--") + sha256(content, or the symlink's resolved path) + NUL
    contextDigest = hex(sha256(all of that))

`provider_context_digest` is that function in Python; `build_tag` is a digest of the
build block as Check leaves it (relative paths, target, args, platform, contextDigest).
The paths are relative to the project directory, where Pulumi starts the program and the
provider plugin (pulumi/pulumi sdk/go/common/resource/plugin/plugin.go @00712118,
execPlugin: `cmd.Dir = pwd`), and the provider resolves relative paths against its own
working directory (os.Stat, fsutil.Walk, filepath.Abs): the same inputs from any checkout.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from docker.utils.build import exclude_paths

TAG_PREFIX = "build-"
TAG_HEX_DIGITS = 24
DEFAULT_DOCKERFILE = "Dockerfile"
PLATFORM = "linux/amd64"


def go_file_mode(mode: int) -> str:
    """Go's fs.FileMode.String() for a mode as os.lstat gives it: the type and special
    bits as letters in Go's order ("dalTLDpSugct?"; none: "-"), then rwxrwxrwx:
    "-rw-r--r--", "-rwxr-xr-x", "Lrwxrwxrwx", "dtrwxrwxrwx"."""
    bits = (
        ("d", stat.S_ISDIR(mode)),
        ("L", stat.S_ISLNK(mode)),
        ("D", stat.S_ISBLK(mode) or stat.S_ISCHR(mode)),  # ModeDevice
        ("p", stat.S_ISFIFO(mode)),
        ("S", stat.S_ISSOCK(mode)),
        ("u", bool(mode & stat.S_ISUID)),
        ("g", bool(mode & stat.S_ISGID)),
        ("c", stat.S_ISCHR(mode)),  # ModeCharDevice
        ("t", bool(mode & stat.S_ISVTX)),
    )
    letters = "".join(letter for letter, on in bits if on)
    perms = "".join(c if mode & (1 << (8 - i)) else "-" for i, c in enumerate("rwxrwxrwx"))
    return (letters or "-") + perms


def read_ignore_file(text: str) -> list[str]:
    """moby's ignorefile.ReadAll: a line starting with # is a comment (checked before
    trimming), blank lines dropped, each pattern trimmed, cleaned, a leading / dropped,
    a leading ! kept."""
    patterns = []
    for number, line in enumerate(text.splitlines()):
        if number == 0:
            line = line.removeprefix("\ufeff")
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        invert = pattern.startswith("!")
        if invert:
            pattern = pattern[1:].strip()
        if pattern:
            pattern = os.path.normpath(pattern).replace(os.sep, "/")
            if pattern.startswith("//"):
                pattern = "/" + pattern.lstrip("/")
            if len(pattern) > 1 and pattern.startswith("/"):
                pattern = pattern[1:]
        patterns.append("!" + pattern if invert else pattern)
    return patterns


def ignore_patterns(context: Path, dockerfile: Path) -> list[str]:
    """The patterns the provider applies (getIgnorePatterns): <dockerfile>.dockerignore if
    it exists, else <context>/.dockerignore, else none."""
    for candidate in (Path(f"{dockerfile}.dockerignore"), context / ".dockerignore"):
        if candidate.is_file():
            return read_ignore_file(candidate.read_text())
    return []


def _walk_key(relative: str) -> tuple[str, ...]:
    """fsutil.Walk's order: depth first, each directory's entries sorted by name."""
    return tuple(relative.split("/"))


def _hash_entry(path: Path, relative: str, mode: int | None, base: Path | None) -> bytes:
    """hashPath: name, mode and the sha256 of the content (a symlink: its resolved path,
    relative to `base` when the provider was given a relative context)."""
    if mode is not None and stat.S_ISLNK(mode):
        resolved = os.path.realpath(path)
        if base is not None:
            resolved = os.path.relpath(resolved, base)
        content = hashlib.sha256(resolved.replace(os.sep, "/").encode()).digest()
    elif mode is None or stat.S_ISREG(mode):
        content = hashlib.sha256(path.read_bytes()).digest()
    else:
        content = hashlib.sha256(b"").digest()
    mode_text = go_file_mode(0) if mode is None else go_file_mode(mode)
    name = str(PurePosixPath(os.path.normpath(relative).replace(os.sep, "/")))
    return name.encode() + mode_text.encode() + content + b"\0"


def provider_context_digest(context: Path, dockerfile: Path, base: Path | None = None) -> str:
    """pulumi-docker's `build.contextDigest` (hashContext) for a context and Dockerfile.
    `base`: the working directory the provider resolved relative paths against (then a
    symlink's target is hashed relative to it, as filepath.EvalSymlinks returns it)."""
    accumulated = _hash_entry(dockerfile, DEFAULT_DOCKERFILE, None, base)
    # exclude_paths un-ignores the Dockerfile named here; the provider un-ignores nothing,
    # so name one that cannot exist (NUL is not allowed in a file name)
    patterns = ignore_patterns(context, dockerfile)
    included = exclude_paths(str(context), patterns, dockerfile="\0")
    for relative in sorted(included, key=_walk_key):
        path = context / relative
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode):
            continue
        accumulated += _hash_entry(path, relative, info.st_mode, base)
    return hashlib.sha256(accumulated).hexdigest()


def project_relative(path: Path | str, project_dir: Path) -> str:
    """`path` relative to the project directory, with slashes ("." for the directory
    itself): what the provider resolves against its working directory."""
    absolute = Path(path) if Path(path).is_absolute() else project_dir / path
    return Path(os.path.relpath(absolute, project_dir)).as_posix()


def build_inputs(
    context: Path | str,
    dockerfile: Path | str,
    *,
    project_dir: Path,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    platform: str = PLATFORM,
) -> dict[str, Any]:
    """The `build` block to give docker.Image (engine camelCase keys): context and
    Dockerfile relative to the project directory, target, args and platform."""
    block: dict[str, Any] = {
        "context": project_relative(context, project_dir),
        "dockerfile": project_relative(dockerfile, project_dir),
        "platform": platform,
    }
    if target:
        block["target"] = target
    if build_args:
        block["args"] = dict(sorted(build_args.items()))
    return block


def build_tag(
    context: Path | str,
    dockerfile: Path | str,
    *,
    project_dir: Path | None = None,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    platform: str = PLATFORM,
) -> str:
    """`build-<24 hex digits>`: a sha256 of the build block as the provider's Check leaves
    it (build_inputs() plus its contextDigest), so every change the provider diffs on (a
    file, a file's mode, the Dockerfile, a path, the target, an argument, the platform)
    gives a new tag, and nothing else does. `project_dir` defaults to the working
    directory (where Pulumi runs the program)."""
    root = project_dir or Path.cwd()
    block = build_inputs(
        context, dockerfile, project_dir=root, target=target, build_args=build_args,
        platform=platform,
    )  # fmt: skip
    block["contextDigest"] = provider_context_digest(
        root / block["context"], root / block["dockerfile"], root
    )
    text = json.dumps(block, sort_keys=True, separators=(",", ":"))
    return TAG_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:TAG_HEX_DIGITS]
