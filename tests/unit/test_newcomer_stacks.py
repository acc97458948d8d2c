"""`make up` for a newcomer (issue 19): a stack without a file starts from
stacks/personal.example.yaml, whose adminCidrs `me` opens SSH and the Docker API to the
address the deployer has (served here by a check-ip stand-in on 127.0.0.1), so the Ansible
step reaches the hosts; personal stack files stay out of git; prod's placeholder network
ids are refused until replaced."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness import stacks
from tests.harness.checkip import ANSWER
from tests.harness.pulumi_program import config_error
from tests.harness.tools import REPO, require_tool

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _new_stack(tmp_path: Path, name: str) -> subprocess.CompletedProcess[str]:
    """The Makefile's rule for a new stack file, run for real in a directory holding the
    template (as a checkout does)."""
    (tmp_path / "stacks").mkdir(exist_ok=True)
    shutil.copy(stacks.STACKS_DIR / stacks.PERSONAL_TEMPLATE, tmp_path / "stacks")
    return subprocess.run(
        [require_tool("make"), "-f", str(REPO / "Makefile"), f"stacks/Pulumi.{name}.yaml"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_a_new_stack_reaches_its_hosts_from_here(tmp_path: Path) -> None:
    """The file `make up` makes for a new stack evaluates with SSH (22) and Docker TLS
    (2376) open to exactly this machine's address (check-ip's answer, /32), the hosts
    public and Ansible run against their public addresses."""
    done = _new_stack(tmp_path, "alice")
    assert done.returncode == 0, done.stderr
    made = tmp_path / "stacks" / "Pulumi.alice.yaml"
    assert made.read_text() == (stacks.STACKS_DIR / stacks.PERSONAL_TEMPLATE).read_text()
    result = stacks.evaluate_stack("alice", stacks.stack_config("alice", made))
    mine = f"{ANSWER.decode().strip()}/32"
    admin = {
        (r.inputs["fromPort"], r.inputs.get("cidrIpv4"))
        for r in result.of_type(INGRESS)
        if r.name.startswith("cluster-") and "referencedSecurityGroupId" not in r.inputs
    }
    assert admin == {(22, mine), (2376, mine)}
    assert len(result.of_type("aws:ec2/eip:Eip")) == 3
    (command,) = result.of_type("command:local:Command")
    environment = command.inputs["environment"]
    addresses = [environment[f"DOCKYARD_HOST_{i}"] for i in range(1, 4)]
    assert addresses == [h["publicIp"] for h in result.outputs["hosts"]]


@pytest.mark.parametrize("name", ["Alice", "a.b", "x/../../etc"])
def test_a_stack_name_aws_or_a_path_would_refuse_makes_no_file(tmp_path: Path, name: str) -> None:
    """A name with uppercase, dots or slashes stops the rule before any file is made."""
    done = _new_stack(tmp_path, name)
    assert done.returncode != 0
    assert "STACK must be lowercase letters" in done.stderr
    assert sorted(p.name for p in (tmp_path / "stacks").iterdir()) == [stacks.PERSONAL_TEMPLATE]


def test_personal_stack_files_stay_out_of_git() -> None:
    """git ignores stacks/Pulumi.<personal>.yaml but not the shared stacks, and only the
    shared ones are evaluated, snapshotted and previewed in CI (stack_names)."""
    git = require_tool("git")
    paths = ["stacks/Pulumi.mine.yaml", "stacks/Pulumi.dev.yaml", "stacks/Pulumi.prod.yaml"]
    done = subprocess.run(
        [git, "check-ignore", *paths], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.stdout.split() == ["stacks/Pulumi.mine.yaml"]
    assert stacks.stack_names() == ["dev", "prod"]


def test_prod_placeholders_are_refused_until_replaced() -> None:
    """prod as committed stops at its placeholder vpcId, naming it and saying to replace
    it; the snapshot evaluates prod with stand-ins in their place."""
    raw = stacks.stack_config("prod", standins=False)
    assert raw.values["dockyard:vpcId"] == "vpc-0fe00000000000001"
    message = config_error(
        lambda: stacks.evaluate_stack("prod", raw), "dockyard:vpcId", "placeholder"
    )
    assert "vpc-0fe00000000000001" in message and "replace it with your own" in message
    assert "PLACEHOLDERS: replace these" in (stacks.STACKS_DIR / "Pulumi.prod.yaml").read_text()
    values = stacks.stack_config("prod").values
    assert values["dockyard:vpcId"] == "vpc-0ab00000000000001"
    assert values["dockyard:subnetIds"][0] == "subnet-0ab000000000000a1"
