"""`dockyard inventory` from a pipe, with instance ids nobody checked (issue 23).

The instance id becomes ssh's `-oHostKeyAlias=ID` in the inventory: an id holding a space
and an ssh option would run a command on the Ansible controller. Such ids, and an id that
appears twice (two hosts would share one known_hosts entry), are refused with one line,
and no inventory file is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness.describe_instances import document, instance
from tests.harness.tools import assert_bad_input, run_dockyard

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("ids", "words"),
    [
        (["i-0a -oProxyCommand=touch${IFS}/tmp/pwned", "i-0b"], "is not an EC2 instance id"),
        (["i-0a\n", "i-0b"], "instance id"),
        (["-oProxyCommand=x", "i-0b"], "is not an EC2 instance id"),
        (["i-0a", "i-0a"], "appears twice"),
    ],
)
def test_hostile_or_duplicate_instance_ids_are_refused(
    tmp_path: Path, ids: list[str], words: str
) -> None:
    """An id that is not one (spaces, options, a newline) or a repeated id: exit 2, no file."""
    doc = document(
        [
            instance(ids[0], public="54.0.0.1", name="my-prefix-1"),
            instance(ids[1], public="54.0.0.2", name="my-prefix-2"),
        ]
    )
    out = tmp_path / "hosts.ini"
    proc = run_dockyard(["inventory", "-o", str(out)], json.dumps(doc), tmp_path, {})
    assert_bad_input(proc, words)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_lone_surrogate_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """JSON may spell a lone surrogate (`\\ud800`), which no UTF-8 file can hold: one line."""
    doc = json.dumps(document([instance("i-0a", public="54.0.0.1", name="a\ud800b")]))
    assert "\\ud800" in doc
    out = tmp_path / "hosts.ini"
    proc = run_dockyard(["inventory", "-o", str(out)], doc, tmp_path, {})
    assert_bad_input(proc, "control character")
    assert not out.exists()


def test_escape_sequences_from_instances_never_reach_the_terminal(tmp_path: Path) -> None:
    """A skipped instance's Name tag holding an escape sequence is printed escaped."""
    evil = "my-prefix-\x1b]0;owned\x07\x1b[2J\u202e"
    doc = document(
        [
            instance("i-0a", public="54.0.0.1", name="my-prefix-1"),
            instance("i-0b", public=None, private=None, name=evil),
        ]
    )
    proc = run_dockyard(["inventory"], json.dumps(doc), tmp_path, {})
    assert proc.returncode == 0, proc.stderr
    assert "i-0b" in proc.stderr
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in proc.stderr
    assert "\\x1b]0;owned\\x07" in proc.stderr
