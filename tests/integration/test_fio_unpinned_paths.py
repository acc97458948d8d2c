"""An unpinned remote job may not write outside the run's scratch directory (issue 23).

A job with `directory=/`, an absolute `filename` and a `buffer_pattern` passes the
program-running check, yet real fio writes those bytes wherever the task's user may
write (say a Python module where something imports from). Each such line is shown to
work for real fio first, then refused by the check; relative names below the scratch
directory stay allowed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dockyard.fio.jobs import unpinned_refusals
from tests.harness.tools import require_tool

pytestmark = pytest.mark.integration

PLANT = "buffer_pattern=0x7072696e74282750574e454427290a\nrw=write\nsize=4k\nbs=4k\n"


@pytest.mark.parametrize(
    "placement",
    [
        "directory={outside}\nfilename=planted.py",
        "filename=../outside/planted.py",
        "directory=../outside\nfilename=planted.py",
        "directory=/\nfilename={outside_rel}/planted.py",
    ],
)
def test_a_write_outside_the_scratch_directory_is_refused(tmp_path: Path, placement: str) -> None:
    """fio really writes the planted file outside; the check names the option."""
    require_tool("fio")
    scratch, outside = tmp_path / "scratch", tmp_path / "outside"
    scratch.mkdir()
    outside.mkdir()
    job = f"[plant]\n{PLANT}{placement.format(outside=outside, outside_rel=str(outside)[1:])}\n"
    (scratch / "j.fio").write_text(job, encoding="utf-8")
    proc = subprocess.run(
        ["fio", f"--directory={scratch}", "j.fio"],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (outside / "planted.py").is_file(), f"fio did not write it: {proc.stderr}"
    assert any("outside the run's scratch directory" in f for f in unpinned_refusals(job)), job


@pytest.mark.parametrize(
    "placement",
    ["filename=/abs/planted.py", "filename=ok.dat:/abs/x", "filename_format=/abs/$jobnum"],
)
def test_absolute_names_are_refused(placement: str) -> None:
    """fio joins an absolute filename below `directory`, but a job's own `directory` line
    changes that: absolute names are refused whatever the directory."""
    assert any(
        "outside the run's scratch directory" in f
        for f in unpinned_refusals(f"[a]\nrw=read\n{placement}\n")
    )


@pytest.mark.parametrize(
    "placement",
    ["filename=data.bin", "directory=sub\nfilename=a:b", "write_bw_log=mine", "size=4k"],
)
def test_names_below_the_scratch_directory_are_allowed(placement: str) -> None:
    """Relative names without `..` stay below the directory fio runs in: not refused."""
    assert unpinned_refusals(f"[ok]\nrw=read\n{placement}\n") == []


@pytest.mark.parametrize("value", ["${HOME}/x", "$jobname/../../x", "~/x"])
def test_a_name_built_from_a_variable_is_refused(value: str) -> None:
    """fio expands environment variables and $jobname in values: refused, like absolutes."""
    assert unpinned_refusals(f"[v]\nfilename={value}\n")
