"""Stack references in (dockyard:networkStack) and out (examples/consumer reads our outputs)."""

from __future__ import annotations

from typing import Any

import pytest

from components.config import ConfigError
from tests.harness.pulumi_program import Evaluation, config_error, evaluate
from tests.harness.stackref import STACK_REFERENCE, ReferenceMocks, run_consumer

NETWORK = "acme/network/prod"
VPC = "vpc-0feedfeedfeed0001"
SUBNETS = ["subnet-0feed0000000000a1", "subnet-0feed0000000000b1"]


def with_network_stack(outputs: dict[str, Any], **config: Any) -> Evaluation:
    overrides = {
        "dockyard:vpcId": None,
        "dockyard:subnetIds": None,
        "dockyard:networkStack": NETWORK,
        **config,
    }
    return evaluate(overrides, mocks=ReferenceMocks({NETWORK: outputs}))


def test_network_stack_supplies_vpc_and_subnets() -> None:
    """With networkStack, the cluster group, the hosts (round robin) and the outputs use the
    referenced stack's vpcId and subnetIds."""
    result = with_network_stack({"vpcId": VPC, "subnetIds": SUBNETS})
    (ref,) = result.of_type(STACK_REFERENCE)
    assert ref.inputs["name"] == NETWORK
    (sg,) = [r for r in result.of_type("aws:ec2/securityGroup:SecurityGroup")]
    assert sg.inputs["vpcId"] == VPC
    enis = sorted(result.of_type("aws:ec2/networkInterface:NetworkInterface"), key=lambda r: r.name)
    assert [e.inputs["subnetId"] for e in enis] == [SUBNETS[0], SUBNETS[1], SUBNETS[0]]
    assert result.outputs["vpcId"] == VPC
    assert result.outputs["subnetIds"] == SUBNETS
    assert not any(token == "aws:ec2/getSubnets:getSubnets" for token, _ in result.invokes)


def test_network_stack_feeds_the_fio_flow() -> None:
    """The fio flow's load balancer and task use the referenced VPC and subnets too."""
    result = with_network_stack(
        {"vpcId": VPC, "subnetIds": SUBNETS},
        **{"dockyard:fioBench": "true", "dockyard:dockerHosts": "false"},
    )
    (balancer,) = result.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert balancer.inputs["subnets"] == SUBNETS
    groups = result.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert {g.inputs["vpcId"] for g in groups} == {VPC}


@pytest.mark.parametrize(
    ("outputs", "words"),
    [
        ({"subnetIds": SUBNETS}, "must export vpcId"),
        ({"vpcId": VPC}, "must export subnetIds"),
        ({"vpcId": VPC, "subnetIds": []}, "must export subnetIds"),
        ({"vpcId": "sg-0123", "subnetIds": SUBNETS}, "must export vpcId"),
    ],
)
def test_network_stack_lacking_an_output_names_it(outputs: dict[str, Any], words: str) -> None:
    """A referenced stack without (or with a malformed) vpcId / subnetIds stops the program
    with a ConfigError on networkStack naming the output and the stack."""
    with pytest.raises(ConfigError) as caught:
        with_network_stack(outputs)
    message = str(caught.value)
    assert message.startswith("dockyard:networkStack: ")
    assert words in message and NETWORK in message


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        ({"dockyard:vpcId": "vpc-0123456789abcdef0"}, "dockyard:vpcId", "together with"),
        ({"dockyard:subnetIds": ["subnet-0aaa1111"]}, "dockyard:subnetIds", "together with"),
        ({"dockyard:networkStack": "network"}, "dockyard:networkStack", "fully qualified"),
    ],
)
def test_network_stack_config_errors(config: dict[str, Any], key: str, words: str) -> None:
    """networkStack excludes vpcId/subnetIds and must be ORGANIZATION/PROJECT/STACK."""
    config_error(
        lambda: with_network_stack({"vpcId": VPC, "subnetIds": SUBNETS}, **config), key, words
    )


@pytest.fixture(scope="module")
def ours() -> Evaluation:
    return evaluate()


def test_consumer_reads_our_outputs(ours: Evaluation) -> None:
    """The example consumer, fed our program's own outputs, admits its service to our
    cluster security group in our VPC and lists our hosts."""
    result = run_consumer(ours.outputs, ours.secret_outputs)
    (service_sg,) = result.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert service_sg.inputs["vpcId"] == ours.outputs["vpcId"]
    (rule,) = result.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["securityGroupId"] == ours.outputs["securityGroupId"]
    assert rule.inputs["fromPort"] == rule.inputs["toPort"] == 8080
    assert rule.inputs["referencedSecurityGroupId"].startswith("sg-")
    assert result.outputs["subnetId"] == ours.outputs["subnetIds"][0]
    assert result.outputs["endpoints"] == [f"{h['privateIp']}:8080" for h in ours.outputs["hosts"]]


@pytest.mark.parametrize("renamed", ["vpcId", "subnetIds", "securityGroupId", "hosts"])
# pulumi's StackReference.require_output hands Output() bare `future()`/`is_known()`
# coroutines; when the lookup fails first, they are never awaited. SDK-internal, expected.
@pytest.mark.filterwarnings("ignore:coroutine 'Output.(future|is_known)' was never awaited")
def test_consumer_breaks_when_an_output_is_renamed(ours: Evaluation, renamed: str) -> None:
    """Renaming any output the consumer reads makes it fail: the names are a contract."""
    outputs = {(f"{renamed}Renamed" if k == renamed else k): v for k, v in ours.outputs.items()}
    with pytest.raises(Exception, match=renamed):
        run_consumer(outputs, ours.secret_outputs)
