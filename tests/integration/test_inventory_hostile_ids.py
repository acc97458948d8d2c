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
