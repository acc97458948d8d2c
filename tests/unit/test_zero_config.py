"""A new stack needs only a region: the default VPC, a generated SSH key, `me` for admin
access, and previews that need no file outside the repo (issue 10)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from dockyard.checkip import CHECKIP_URL_ENV
from tests.harness.checkip import checkip_server
from tests.harness.pulumi_program import (
    DEFAULT_VPC,
    DEFAULT_VPC_SUBNETS,
    Evaluation,
    RecordingMocks,
    config_error,
    evaluate,
)
from tests.harness.stacks import evaluate_stack, stack_names

ONLY_REGION = {"aws:region": "eu-central-1"}
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _only_region(*, preview: bool = False, mocks: RecordingMocks | None = None) -> Evaluation:
    """The program on a stack file that sets nothing but aws:region."""
    return evaluate({}, base=ONLY_REGION, preview=preview, mocks=mocks)


@pytest.mark.parametrize("preview", [False, True])
def test_only_a_region_evaluates(preview: bool) -> None:
    """Hosts spread over the default VPC's default subnets, a generated ED25519 key pair,
    and the Command holding the private key in its secret environment only."""
    result = _only_region(preview=preview)
    [lookup] = [args for token, args in result.invokes if token == "aws:ec2/getVpc:getVpc"]
    assert lookup["default"] is True
    [subnets] = [args for token, args in result.invokes if token == "aws:ec2/getSubnets:getSubnets"]
    assert {f["name"]: f["values"] for f in subnets["filters"]} == {
        "vpc-id": [DEFAULT_VPC],
        "default-for-az": ["true"],
    }
    assert result.named("cluster-sg").inputs["vpcId"] == DEFAULT_VPC
    enis = sorted(result.of_type("aws:ec2/networkInterface:NetworkInterface"), key=lambda r: r.name)
    assert [e.inputs["subnetId"] for e in enis] == list(DEFAULT_VPC_SUBNETS)

    key = result.named("docker-ssh-key")
    assert key.inputs["algorithm"] == "ED25519"
    [pair] = result.of_type("aws:ec2/keyPair:KeyPair")
    assert pair.inputs["publicKey"].startswith("ssh-ed25519 ")
    assert pair.dependencies["publicKey"] == [key.urn]

    private = result.outputs["sshPrivateKey"]
    assert private.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert "sshPrivateKey" in result.secret_outputs
    [command] = result.of_type("command:local:Command")
    assert command.inputs["environment"]["DOCKYARD_PRIVATE_KEY_TEXT"] == private
    assert "DOCKYARD_PRIVATE_KEY" not in command.inputs["environment"]
    assert "environment" in command.secret_inputs
    assert private not in command.inputs["create"]
    for resource in result.resources:
        if resource is not command:
            assert private not in str(resource.inputs), resource.name


def test_no_default_vpc_names_the_three_ways() -> None:
    """A region without a default VPC (the provider's invoke fails) stops the program with
    one message naming vpcId + subnetIds, networkStack, and creating a default VPC."""
    message = config_error(
        lambda: _only_region(mocks=RecordingMocks(default_subnets=None)),
        "dockyard:vpcId",
        "no default VPC",
    )
    for way in ("vpcId vpc-", "subnetIds[0]", "networkStack", "aws ec2 create-default-vpc"):
        assert way in message, way


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"dockyard:rails": "true"}, "dockyard:railsSubnetIds"),
        ({"dockyard:fioBench": "true"}, "dockyard:subnetIds"),
    ],
)
def test_load_balancers_need_two_default_subnets(config: dict[str, Any], key: str) -> None:
    """Rails and fio's load balancers take the default subnets, and say so when the default
    VPC has only one zone."""
    one_zone = RecordingMocks(default_subnets=["subnet-0aaa1111"])
    config_error(lambda: evaluate(config, base=ONLY_REGION, mocks=one_zone), key, "two zones")


def test_rails_and_fio_use_the_default_subnets() -> None:
    """With the default VPC, the Rails and fio load balancers span its default subnets."""
    result = evaluate({"dockyard:rails": "true", "dockyard:fioBench": "true"}, base=ONLY_REGION)
    balancers = result.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert {b.name for b in balancers} == {"rails-alb", "fio-lb"}
    for balancer in balancers:
        assert balancer.inputs["subnets"] == list(DEFAULT_VPC_SUBNETS), balancer.name


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_previews_with_an_empty_home(
    stack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A preview needs nothing outside the repo and the stack file: no key file, no
    known_hosts, nothing in HOME (as on a fresh CI runner)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    result = evaluate_stack(stack, preview=True)
    assert result.of_type("aws:ec2/instance:Instance")
    assert list(home.iterdir()) == []


def _admin_rules(result: Evaluation) -> set[tuple[int, str]]:
    return {
        (r.inputs["fromPort"], r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6"))
        for r in result.of_type(INGRESS)
        if "referencedSecurityGroupId" not in r.inputs
    }


@pytest.mark.parametrize("preview", [False, True])
def test_me_is_this_machines_address(preview: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """adminCidrs [me] opens 22 and 2376 to the address check-ip answers (/32), nothing else."""
    with checkip_server(b"203.0.113.77\n") as url:
        monkeypatch.setenv(CHECKIP_URL_ENV, url)
        result = evaluate({"dockyard:adminCidrs": ["me"]}, base=ONLY_REGION, preview=preview)
    assert _admin_rules(result) == {(22, "203.0.113.77/32"), (2376, "203.0.113.77/32")}


def test_nothing_is_open_by_default() -> None:
    """Without adminCidrs no admin port is reachable from outside the cluster."""
    assert _admin_rules(_only_region()) == set()


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (None, "could not reach"),
        (b"<html>captive portal</html>", "not an IPv4 address"),
        (b"2001:db8::1\n", "not an IPv4 address"),
    ],
)
def test_me_lookup_failure_stops_the_program(
    answer: bytes | None, words: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unreachable endpoint or an answer that is not an IPv4 address stops the program
    naming adminCidrs and the fix; no rule is made."""
    with contextlib.ExitStack() as stack:
        if answer is None:
            with checkip_server(b"") as url:
                pass  # the server is gone: its port refuses connections
        else:
            url = stack.enter_context(checkip_server(answer))
        monkeypatch.setenv(CHECKIP_URL_ENV, url)
        message = config_error(
            lambda: evaluate({"dockyard:adminCidrs": ["me", "10.8.0.0/16"]}, base=ONLY_REGION),
            "dockyard:adminCidrs",
            words,
        )
    assert "adminCidrs[0]" in message
