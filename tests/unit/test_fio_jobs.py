"""Pure parts of the fio toolkit: REMOTEFILES parsing, histogram buckets, eta lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.fio.jobs import FioError, parse_remote, split_names, unpinned_refusals
from dockyard.fio.results import bucket_value, histogram_percentiles
from dockyard.fio.run import check_plotname, eta_of
from dockyard.fio.serve import resolve_request_path

PIN = "ab" * 32


@pytest.mark.parametrize(
    ("entry", "url", "digest", "name"),
    [
        ("https://h/raw/job.fio", "https://h/raw/job.fio", None, "job.fio"),
        (f"https://h/j.fio#sha256={PIN}", "https://h/j.fio", PIN, "j.fio"),
        (f"https://h/j.fio#sha256={PIN.upper()}", "https://h/j.fio", PIN, "j.fio"),
    ],
)
def test_remote_entries_parse(entry: str, url: str, digest: str | None, name: str) -> None:
    """https URLs, with or without a sha256 pin (any case), give URL, digest and file name."""
    spec = parse_remote(entry)
    assert (spec.url, spec.sha256, spec.name) == (url, digest, name)


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ("http://h/job.fio", "FIO_ALLOW_HTTP"),
        ("ftp://h/job.fio", "https"),
        ("https://h/job.fio#md5=abc", "sha256"),
        ("https://h/job.fio#sha256=abc", "64 hex"),
        ("https://h/", "file name"),
        ("https:///job.fio", "no host"),
    ],
)
def test_bad_remote_entries_are_named(entry: str, needle: str) -> None:
    """Plain http, other schemes, malformed pins and URLs without a file name are refused."""
    with pytest.raises(FioError, match=needle):
        parse_remote(entry)


def test_http_allowed_when_asked() -> None:
    """allow_http lets plain http through (FIO_ALLOW_HTTP=1)."""
    assert parse_remote("http://h/j.fio", allow_http=True).url == "http://h/j.fio"


def test_names_split_like_the_seed() -> None:
    """JOBFILES / REMOTEFILES are space separated (quotes allowed)."""
    assert split_names(" a.fio  b.fio ") == ["a.fio", "b.fio"]
    assert split_names(None) == []


LONG = "description=" + "x" * (8191 - len("description="))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[a]\nexec_prerun=touch /tmp/x\n", "line 2: exec_prerun runs a command"),
        ("[global]\n  exec_postrun = id\n[a]\nrw=read\n", "line 2: exec_postrun runs"),
        ("[a]\nexec_prerun\x01=id\n", "exec_prerun runs"),
        ("[a]\n\texec_prerun\t=id ; trailing comment\n", "exec_prerun runs"),
        ("[a]\nexec_prerun;=id\n", "exec_prerun runs"),
        (f"[a]\n{LONG}exec_prerun=id\n", "line 2: exec_prerun runs"),
        ("[a]\nioengine=exec\nprogram=/bin/sh\n", "ioengine=exec is not a local"),
        ("[a]\nioengine=external:/tmp/e.so\n", "ioengine=external:/tmp/e.so"),
        ("[a]\nioengine=/tmp/e.so\n", "ioengine=/tmp/e.so"),
        ("[a]\nioengine=libc.so.6\n", "ioengine=libc.so.6"),
        ("[a]\nioengine=net\nhostname=example.com\n", "ioengine=net"),
        ("[a]\nioengine=${ENGINE}\n", "ioengine=${ENGINE}"),
        ("[a]\ninclude /tmp/fio-data/other.fio\n", "line 2: include pulls in"),
        ("[a]\nexec_${X}=id\n", "uses a variable"),
    ],
)
def test_unpinned_refusals_name_the_option(text: str, needle: str) -> None:
    """Options that run a command, load code or reach the network are found as fio reads
    them: any spacing, control characters fio strips, a `;` cut, a line longer than
    fio's line buffer."""
    assert any(needle in found for found in unpinned_refusals(text)), unpinned_refusals(text)


@pytest.mark.parametrize(
    "text",
    [
        "[a]\nioengine=psync\nrw=randread\n",
        "[a]\nioengine = libaio ; async\niodepth=8\n",
        "; exec_prerun=id\n# exec_postrun=id\n[a]\nrw=read\n",
        "[a]\ndescription=calls exec_prerun=id in a description\n",
        "[a]\nrw=read\nfilename=x\n",
    ],
)
def test_plain_jobs_are_not_refused(text: str) -> None:
    """Local engines, comments and option values that merely mention exec_* pass."""
    assert unpinned_refusals(text) == []


@pytest.mark.parametrize(("index", "value"), [(0, 0.0), (127, 127.0), (128, 129.0), (192, 258.0)])
def test_histogram_bucket_values(index: int, value: float) -> None:
    """fio's plat_idx_to_val: exact below 128, then bucket middles doubling per group."""
    assert bucket_value(index) == value


def test_histogram_percentiles() -> None:
    """Percentiles walk the cumulative counts."""
    counts = [0] * 200
    counts[10] = 50
    counts[100] = 49
    counts[150] = 1
    assert histogram_percentiles(counts, [50.0, 99.0, 99.9]) == [10.0, 100.0, bucket_value(150)]
    assert histogram_percentiles([0, 0], [50.0]) == [0.0]


@pytest.mark.parametrize(
    ("line", "eta"),
    [
        ("Jobs: 1 (f=1): [r(1)][50.0%][r=18.4MiB/s][r=4713 IOPS][eta 00m:01s]", "00m:01s"),
        ("randread: (groupid=0, jobs=1): err= 0", None),
    ],
)
def test_eta_from_status_lines(line: str, eta: str | None) -> None:
    """The progress line shows fio's own eta."""
    assert eta_of(line) == eta


@pytest.mark.parametrize("name", ["", "../x", "a/b", "-x", "x" * 65, "a b"])
def test_unusable_plotnames(name: str) -> None:
    """PLOTNAME must be a safe single directory name component."""
    with pytest.raises(FioError, match="PLOTNAME"):
        check_plotname(name)


def test_request_paths(tmp_path: Path) -> None:
    """A plain file resolves; the root, dotfiles and parents do not."""
    root = tmp_path
    (root / "a.txt").write_text("x", encoding="utf-8")
    assert resolve_request_path(root, "/a.txt?x=1") == (root / "a.txt").resolve()
    for path in ("/", "/..", "/%2e%2e/a.txt", "/.a.txt"):
        assert resolve_request_path(root, path) is None
