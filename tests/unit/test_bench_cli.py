"""`dockyard bench run|compare|pull|serve` are real subcommands (issue 18): each action's
`--help` is its own and shows only its own options."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.harness.tools import run_dockyard

OPTIONS = {
    "run": {"-j", "-n", "-d", "--port", "--bind", "--no-serve", "--log-msec", "--runtime",
            "--size"},
    "compare": {"-d", "--png"},
    "pull": {"-d", "--endpoint-url"},
    "serve": {"--port", "--bind"},
}  # fmt: skip
"""Each action's options besides -h (what its help must list, and no other action's)."""
EVERY_OPTION = set().union(*OPTIONS.values())


def bench_help(tmp_path: Path, *argv: str) -> str:
    proc = run_dockyard(["bench", *argv, "--help"], "", tmp_path, dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("action", OPTIONS)
def test_each_action_has_its_own_help(action: str, tmp_path: Path) -> None:
    """`dockyard bench ACTION --help`: a usage line of that action, its options, and none
    of the other actions' (`--png` only in compare, `--endpoint-url` only in pull, `-j`
    only in run)."""
    text = bench_help(tmp_path, action)
    assert text.startswith(f"usage: dockyard bench {action} ")
    shown = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", text)) - {"-h", "--help"}
    assert shown & EVERY_OPTION == OPTIONS[action]


@pytest.mark.parametrize(
    ("action", "default"),
    [("run", "(default DIR/fio-data)"), ("compare", "(default ./fio-data)"),
     ("pull", "(default ./fio-data)")],
)  # fmt: skip
def test_data_dir_help_says_the_real_default(action: str, default: str, tmp_path: Path) -> None:
    """-d's help gives the default the action uses: DIR/fio-data when benchmarking DIR,
    ./fio-data when comparing or pulling (the old help said TARGET/fio-data for all)."""
    text = " ".join(bench_help(tmp_path, action).split())
    assert re.search(r"-d DATA_DIR, --data-dir DATA_DIR [^-]*" + re.escape(default), text)


def test_bench_help_lists_the_actions_and_the_default_rule(tmp_path: Path) -> None:
    """`dockyard bench --help` names the four actions and says how `bench DIR` is read."""
    text = " ".join(bench_help(tmp_path).split())
    assert re.search(r"run .*compare .*pull .*serve ", text)
    assert "`dockyard bench [ARGS]` is `dockyard bench run [ARGS]`" in text
    assert "dockyard bench run serve" in text
