"""Job files for a run: names in JOBFILES, files in the data dir, or REMOTEFILES URLs.

Everything here happens before a run directory exists: remote files are fetched (https
only unless allowed), checked against an optional `URL#sha256=HEX` pin, and every job
file is checked with `fio --parse-only`. Any failure raises `FioError` and nothing is
written.

A remote file that is not pinned may not make fio run a program or load code (see
`unpinned_refusals`): the container running it holds the task role. The check reads
the file as fio does and happens before `fio --parse-only`, which already loads I/O
engines.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import ssl
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from dockyard.errors import DockyardError

MAX_JOBFILE_BYTES = 1024 * 1024
DOWNLOAD_TIMEOUT = 30.0
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# fio reads a job file line by line with fgets into a buffer of this size (parse.h
# OPT_LEN_MAX): a longer line reaches fio's parser as several lines.
_FIO_LINE_BYTES = 8192 - 1
# Options whose value fio hands to system(3) (backend.c exec_string).
# What fio strips around an option name: isspace() and iscntrl() characters (and, to
# err on the side of refusing, any other whitespace).
_BLANK = re.compile(r"^[\s\x00-\x20\x7f]+|[\s\x00-\x20\x7f]+$")
_EXEC_OPTIONS = frozenset({"exec_prerun", "exec_postrun"})
# Options whose value names a file or directory fio opens, creates or writes (fio's
# options.c: FIO_OPT_STR_STORE options of the file and log categories). An unpinned job
# may name them only below the run's scratch directory: relative, without `..`, and
# without `$`/`~` (fio expands environment variables and $jobname in values).
_PATH_OPTIONS = frozenset(
    {
        "filename", "directory", "filename_format", "opendir", "read_iolog", "write_iolog",
        "write_bw_log", "write_lat_log", "write_iops_log", "write_hist_log",
        "merge_blktrace_file", "verify_state_save",
    }
)  # fmt: skip
# I/O engines that only do local I/O. Any other ioengine value may run a program
# (`exec`), load a shared object (`external:PATH`, a path, or any name fio does not know,
# which it passes to dlopen(3)), or send data over the network (net, rdma, rbd, nbd...).
LOCAL_ENGINES = frozenset(
    {
        "sync", "psync", "vsync", "pvsync", "pvsync2", "libaio", "io_uring", "posixaio",
        "mmap", "splice", "null", "falloc", "ftruncate", "filecreate", "filestat",
        "filedelete", "cpuio",
    }
)  # fmt: skip


class FioError(DockyardError):
    """Bad input or a failed step; the message names the problem and the fix."""


@dataclass(frozen=True)
class JobFile:
    """One job file as it will be run: its name in the run directory, text and source."""

    name: str
    content: str
    source: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RemoteSpec:
    """A REMOTEFILES entry: the URL to fetch and the sha256 it must have, if pinned."""

    url: str
    sha256: str | None
    name: str


def split_names(value: str | None) -> list[str]:
    """JOBFILES / REMOTEFILES are space-separated, as in the seed."""
    return shlex.split(value) if value else []


def parse_remote(entry: str, *, allow_http: bool = False) -> RemoteSpec:
    """Parse `URL` or `URL#sha256=HEX`; only https unless `allow_http`."""
    url, _, fragment = entry.partition("#")
    parsed = urllib.parse.urlsplit(url)
    allowed = {"https", "http"} if allow_http else {"https"}
    if parsed.scheme not in allowed:
        hint = "" if allow_http else " (plain http is refused; set FIO_ALLOW_HTTP=1 to allow it)"
        raise FioError(f"REMOTEFILES entry {url!r}: scheme must be https{hint}")
    if not parsed.netloc:
        raise FioError(f"REMOTEFILES entry {url!r}: no host in the URL")
    digest: str | None = None
    if fragment:
        key, _, value = fragment.partition("=")
        if key != "sha256" or not _SHA256.match(value):
            raise FioError(
                f"REMOTEFILES entry {entry!r}: the pin must be '#sha256=<64 hex digits>'"
            )
        digest = value.lower()
    name = PurePosixPath(urllib.parse.unquote(parsed.path)).name
    if not _SAFE_NAME.match(name):
        raise FioError(
            f"REMOTEFILES entry {url!r}: the URL must end in a file name such as job.fio"
        )
    return RemoteSpec(url=url, sha256=digest, name=name)


def fetch(spec: RemoteSpec, *, cafile: str | None = None) -> JobFile:
    """Download one remote job file and check its pin (no redirects to other schemes)."""
    context = ssl.create_default_context(cafile=cafile)
    handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=context)]
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(spec.url, timeout=DOWNLOAD_TIMEOUT) as response:
            final = urllib.parse.urlsplit(response.geturl()).scheme
            if urllib.parse.urlsplit(spec.url).scheme == "https" and final != "https":
                raise FioError(f"{spec.url}: redirected to a non-https URL; refusing it")
            body = response.read(MAX_JOBFILE_BYTES + 1)
    except FioError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise FioError(
            f"could not download {spec.url}: {reason} (check the URL and that the host "
            "is reachable; no job was run)"
        ) from err
    if len(body) > MAX_JOBFILE_BYTES:
        raise FioError(f"{spec.url}: larger than {MAX_JOBFILE_BYTES} bytes; not a job file")
    actual = hashlib.sha256(body).hexdigest()
    if spec.sha256 is not None and actual != spec.sha256:
        raise FioError(
            f"{spec.url}: sha256 is {actual}, but the pin says {spec.sha256}; "
            "the file changed or the pin is wrong (no job was run)"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise FioError(f"{spec.url}: not a UTF-8 text job file") from err
    if spec.sha256 is None:
        refusals = unpinned_refusals(text)
        if refusals:
            raise FioError(
                f"{spec.url}: refused, {'; '.join(refusals)}. A remote job file that is not "
                "pinned may not run programs, load code or use network I/O engines (the container "
                "holds the task role). If you trust this file, pin it as "
                f"{spec.url}#sha256={actual} or put it in the data dir and name it in "
                "JOBFILES (no job was run)"
            )
    return JobFile(name=spec.name, content=text, source=spec.url)


def _fio_lines(text: str) -> Iterator[tuple[int, str]]:
    """The lines fio's job file parser sees, with their line numbers.

    fio reads at most `_FIO_LINE_BYTES` per fgets call (the rest of a longer line is
    read as the next line), stops a line at a NUL byte (C strings), and cuts it at the
    first `;` or `#` (parse.c strip_blank_end).
    """
    for number, line in enumerate(text.encode("utf-8").split(b"\n"), start=1):
        for start in range(0, max(len(line), 1), _FIO_LINE_BYTES):
            chunk = line[start : start + _FIO_LINE_BYTES].split(b"\0", 1)[0]
            chunk = re.split(rb"[;#]", chunk, maxsplit=1)[0]
            yield number, _BLANK.sub("", chunk.decode("utf-8", errors="replace"))


def unpinned_refusals(text: str) -> list[str]:
    """What in a job file fio would use to run a program, load code or reach the network.

    Each entry names the option and its line: `exec_prerun` / `exec_postrun` (run by
    the shell), an `ioengine` outside `LOCAL_ENGINES`, an `include` (it pulls in a file
    this check does not read), an option name built from a `$` variable (fio
    expands those before it looks the name up), and a file, directory or log option
    naming a place outside the scratch directory (`directory=/` with a `buffer_pattern`
    plants any bytes anywhere the task's user may write).
    """
    found = []
    for number, line in _fio_lines(text):
        if not line or line.startswith("["):
            continue
        if line.startswith("include"):
            found.append(f"line {number}: include pulls in another file")
            continue
        name, sep, value = line.partition("=")
        name, value = _BLANK.sub("", name), _BLANK.sub("", value)
        if name in _EXEC_OPTIONS:
            found.append(f"line {number}: {name} runs a command")
        elif "$" in name:
            found.append(f"line {number}: option name {name!r} uses a variable")
        elif name == "ioengine" and (not sep or value not in LOCAL_ENGINES):
            found.append(f"line {number}: ioengine={value} is not a local I/O engine")
        elif name in _PATH_OPTIONS and not _inside_scratch(value):
            found.append(
                f"line {number}: {name} names a place outside the run's scratch directory "
                "(absolute, '..', '$' or '~')"
            )
    return found


def _inside_scratch(value: str) -> bool:
    """True when every path in an option's value (fio separates several with `:`) is
    relative, free of `..`, and not built from a variable."""
    if "$" in value or "~" in value or "\\" in value:
        return False
    return all(
        part and not part.startswith("/") and ".." not in PurePosixPath(part).parts
        for part in value.split(":")
    )


def resolve(
    jobfiles: Sequence[str],
    remotefiles: Sequence[str],
    data_dir: Path,
    *,
    allow_http: bool = False,
    cafile: str | None = None,
    search_dirs: Sequence[Path] = (),
) -> list[JobFile]:
    """The job files a run uses, all fetched and read, before anything is written.

    REMOTEFILES are downloaded first. JOBFILES then names which to run: a downloaded
    file's name, a file in the data dir, or a path. With REMOTEFILES and no JOBFILES,
    every downloaded file runs. Names not in the data dir are looked up in
    `search_dirs` (the images ship the example jobs in /opt/fio-jobs).
    """
    specs = [parse_remote(entry, allow_http=allow_http) for entry in remotefiles]
    remote = {spec.name: fetch(spec, cafile=cafile) for spec in specs}
    if not jobfiles:
        if not remote:
            raise FioError(
                "no job files: set JOBFILES to job file names in the data dir "
                f"({data_dir}) or REMOTEFILES to https URLs"
            )
        return list(remote.values())
    chosen: list[JobFile] = []
    for name in jobfiles:
        if name in remote:
            chosen.append(remote[name])
            continue
        candidates = (
            [Path(name)]
            if Path(name).is_absolute()
            else [directory / name for directory in (data_dir, *search_dirs)]
        )
        path = next((c for c in candidates if c.is_file()), candidates[0])
        if path.is_dir():
            raise FioError(f"job file {name!r} is a directory ({path}); name a job file")
        if not path.is_file():
            raise FioError(
                f"job file {name!r} not found: looked for {', '.join(map(str, candidates))}"
                + (f" and among REMOTEFILES ({', '.join(remote)})" if remote else "")
            )
        try:
            if path.stat().st_size > MAX_JOBFILE_BYTES:
                raise FioError(f"{path}: larger than {MAX_JOBFILE_BYTES} bytes; not a job file")
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise FioError(f"{path}: not a UTF-8 text job file") from err
        except OSError as err:
            raise FioError(f"cannot read job file {path}: {err.strerror}") from err
        chosen.append(JobFile(name=path.name, content=text, source=str(path)))
    names = [job.name for job in chosen]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise FioError(f"two job files share the name {duplicates[0]!r}; rename one")
    return chosen


def parse_only(jobs: Sequence[JobFile], fio: str = "fio") -> None:
    """`fio --parse-only` over the job files, in a scratch dir; raises on any error."""
    with tempfile.TemporaryDirectory(prefix="dockyard-fio-parse-") as tmp:
        paths = []
        for job in jobs:
            path = Path(tmp) / job.name
            path.write_text(job.content, encoding="utf-8")
            paths.append(str(path))
        try:
            proc = subprocess.run(
                [fio, "--parse-only", *paths],
                capture_output=True,
                text=True,
                cwd=tmp,
                timeout=60,
                check=False,
            )
        except FileNotFoundError as err:
            raise FioError(f"fio is not installed ({fio}); install Debian's fio package") from err
    if proc.returncode != 0:
        detail = _without_content((proc.stderr or proc.stdout).strip().replace(tmp + "/", ""))
        raise FioError(
            f"fio --parse-only rejected {', '.join(j.name for j in jobs)}: {detail} "
            "(values from the file are left out: run `fio --parse-only FILE` to see them)"
        )


def _without_content(message: str) -> str:
    """fio's first error line with what it quotes from the file taken out (`<line>`,
    `option=value`): a file that is not a job file (say /etc/shadow) is never echoed."""
    first = message.splitlines()[0] if message else "no message"
    first = re.sub(r"<([A-Za-z_]\w*)(?:=[^>]*)?>|<[^>]*>?", lambda m: f"<{m[1] or '...'}>", first)
    return re.sub(r"(\w+)=\S*", r"\1=...", first)
