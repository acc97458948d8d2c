"""What Ansible reads from `dockyard inventory` is what the instances said (issue 23).

Name tags are written by whoever may tag an instance. Each inventory format is read back
by Ansible itself (`ansible-inventory --list`, and a playbook that prints every value):
a value is read as the same string, never as a number, list or template, and the Jinja
in a tag is never rendered. INI cannot mark a value unsafe, so a tag holding Jinja is
refused there with one line; YAML and JSON mark it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.harness.describe_instances import document, instance
from tests.harness.tools import assert_bad_input, require_tool, run_dockyard

pytestmark = pytest.mark.integration

PLAIN_NAMES = [
    "0",
    "True",
    "None",
    "1e5",
    "0x1f",
    "1+2j",
    "...",
    "[1, 2]",
    "{'a': 1}",
    "a b",
    'it\'s "quoted"',
    "back\\slash",
    "#not-a-comment",
    "x=y",
    "ünïcode",
]
JINJA_NAMES = [
    "{{ lookup('pipe', 'touch {marker}') }}",
    "{% set x = lookup('pipe', 'touch {marker}') %}",
    "{# comment #}{{ 7 * 7 }}",
]

PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: Each value as Ansible reads it
      ansible.builtin.debug:
        msg: "{{ inventory_hostname }}={{ ec2_name | to_json }}"
"""


def _document(names: list[str]) -> str:
    instances = [
        instance(f"i-0{n:02d}", public=f"54.0.0.{n + 1}", name=name) for n, name in enumerate(names)
    ]
    return json.dumps(document(instances))


def _ansible_env(tmp_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOME=str(tmp_path / "home"),
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
        ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
        ANSIBLE_NOCOLOR="1",
    )


def _write(tmp_path: Path, fmt: str, names: list[str]) -> Path:
    out = tmp_path / f"inventory.{fmt}"
    proc = run_dockyard(
        ["inventory", "--name-prefix", "", "--format", fmt, "-o", str(out)],
        _document(names),
        tmp_path,
        {"PATH": os.environ["PATH"]},
    )
    assert proc.returncode == 0, proc.stderr
    if fmt == "json":  # the dynamic-inventory protocol: a script that prints --list
        script = tmp_path / "inventory.sh"
        script.write_text(f"#!/bin/sh\nexec cat {out}\n", encoding="utf-8")
        script.chmod(0o755)
        return script
    return out


def _names_read(tmp_path: Path, source: Path) -> dict[str, object]:
    """Each host's ec2_name as a playbook prints it, run for real over a local connection."""
    playbook = tmp_path / "print.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    proc = subprocess.run(
        [
            require_tool("ansible-playbook"),
            "-i",
            str(source),
            "-c",
            "local",
            str(playbook),
        ],
        env=_ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    read: dict[str, object] = {}
    for host, body in re.findall(r"^ok: \[(.+?)\] => (\{.*?^\})$", proc.stdout, re.M | re.S):
        shown = json.loads(body)["msg"]
        assert shown.startswith(f"{host}=")
        read[host] = json.loads(shown[len(host) + 1 :])
    return read


@pytest.mark.parametrize("fmt", ["ini", "yaml", "json"])
def test_every_name_is_read_back_as_the_same_string(tmp_path: Path, fmt: str) -> None:
    """Number-like, list-like, quoted, spaced and unicode tags: the same string in Ansible."""
    source = _write(tmp_path, fmt, PLAIN_NAMES)
    read = _names_read(tmp_path, source)
    assert read == {f"54.0.0.{n + 1}": name for n, name in enumerate(PLAIN_NAMES)}
    listed = subprocess.run(
        [require_tool("ansible-inventory"), "-i", str(source), "--list"],
        env=_ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    hostvars = json.loads(listed.stdout)["_meta"]["hostvars"]
    assert {h: v["ec2_name"] for h, v in hostvars.items()} == read


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_jinja_in_a_tag_is_never_rendered(tmp_path: Path, fmt: str) -> None:
    """YAML `!unsafe` and JSON `__ansible_unsafe`: the playbook prints the tag, runs nothing."""
    marker = tmp_path / "pwned"
    names = [name.replace("{marker}", str(marker)) for name in JINJA_NAMES]
    source = _write(tmp_path, fmt, names)
    read = _names_read(tmp_path, source)
    assert read == {f"54.0.0.{n + 1}": name for n, name in enumerate(names)}
    assert not marker.exists()


def test_jinja_in_a_tag_is_refused_for_ini(tmp_path: Path) -> None:
    """INI values are templates to Ansible and cannot be marked: one line, exit 2, no file."""
    out = tmp_path / "hosts.ini"
    proc = run_dockyard(
        ["inventory", "--name-prefix", "", "-o", str(out)],
        _document(["ok", "{{ lookup('pipe', 'id') }}"]),
        tmp_path,
        {"PATH": os.environ["PATH"]},
    )
    assert_bad_input(proc, "Jinja delimiter")
    assert not out.exists()


@pytest.mark.parametrize("address", ["#x", "host[1:3]", "1.2.3.4:2222", "a,b", "-x", "a..b"])
def test_an_address_ansible_would_misread_is_refused(tmp_path: Path, address: str) -> None:
    """A comment, a range, a port, a list: not one host's address. One line, exit 2."""
    doc = document(
        [instance("i-01", public="54.0.0.1"), instance("i-02", public=address, name="my-prefix-2")]
    )
    proc = run_dockyard(["inventory"], json.dumps(doc), tmp_path, {"PATH": os.environ["PATH"]})
    assert_bad_input(proc, "neither an IP address nor a DNS name")
