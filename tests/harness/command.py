"""The Command resource the program carries, executed as pulumi-command's local provider
would: `/bin/sh -c CREATE` in the project directory with the Command's environment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.harness.pulumi_program import Resource
from tests.harness.tools import REPO, VENV_BIN


def command_env(command: Resource, tmp: Path, **override: str) -> dict[str, str]:
    """This process's environment plus the Command's (then `override`), with the venv on
    PATH and Ansible's and the script's temporary files under tmp (tmp/command-tmp must
    exist)."""
    env = dict(os.environ)
    env.update(command.inputs["environment"])
    env.update(override)
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env["TMPDIR"] = str(tmp / "command-tmp")
    env["ANSIBLE_HOME"] = str(tmp / "ansible-home")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def run_command(command: Resource, tmp: Path, **override: str) -> subprocess.CompletedProcess[str]:
    """Run the Command's `create` to the end (4 minutes at most)."""
    return subprocess.run(
        ["/bin/sh", "-c", command.inputs["create"]],
        cwd=REPO,
        env=command_env(command, tmp, **override),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def start_command(command: Resource, tmp: Path, **override: str) -> subprocess.Popen[str]:
    """Start the Command's `create` and return at once (stdout and stderr piped)."""
    return subprocess.Popen(
        ["/bin/sh", "-c", command.inputs["create"]],
        cwd=REPO,
        env=command_env(command, tmp, **override),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
