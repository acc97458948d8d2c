"""The `ssm` switch: AWS's managed Session Manager policy on the hosts' instance role, the
`ssh` output saying so, and a stack with no admin CIDR and no public address that the
policy pack accepts (nothing reaches port 22).

The policy is checked by name against AWS's managed policy list as moto ships it (imported
from AWS by moto's `make aws_managed_policies`), and its document must grant what Session
Manager's agent calls."""

from __future__ import annotations

import json
import sys
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.policy import PolicyCustomTimeouts, PolicyResourceOptions

from tests.harness.pulumi_program import Evaluation, evaluate
from tests.harness.tools import REPO

sys.path.insert(0, str(REPO / "policy"))
import dockyard_policies as pol

ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
PRIVATE = {
    "dockyard:adminCidrs": [],
    "dockyard:publicIp": "false",
    "dockyard:ansibleAddress": "private",
}


def _managed_policies() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    policies: dict[str, Any] = json.loads(aws_managed_policies_data)
    return policies


def _ssm_attachments(evaluation: Evaluation) -> list[str]:
    return [
        str(r.inputs["policyArn"])
        for r in evaluation.of_type(ATTACHMENT)
        if r.name.startswith("docker-")
    ]


def test_ssm_attaches_aws_managed_instance_core() -> None:
    """With ssm the instance role gets AmazonSSMManagedInstanceCore, a policy AWS has at
    that path, granting the agent's registration and session channels; without it, none."""
    off = evaluate({"dockyard:ssm": "false"})
    assert _ssm_attachments(off) == []
    assert off.outputs["ssh"]["ssm"] is False
    on = evaluate({"dockyard:ssm": "true"})
    [arn] = _ssm_attachments(on)
    name = arn.rsplit("/", 1)[1]
    policy = _managed_policies()[name]
    assert arn == f"arn:aws:iam::aws:policy{policy['Path']}{name}"
    allowed = [s["Action"] for s in policy["Document"]["Statement"] if s["Effect"] == "Allow"]
    actions = {a for given in allowed for a in ([given] if isinstance(given, str) else given)}
    assert {
        "ssm:UpdateInstanceInformation",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:OpenDataChannel",
    } <= actions
    assert [r.name for r in on.of_type(ATTACHMENT) if r.inputs["policyArn"] == arn] == [
        "docker-ssm"
    ]
    assert on.outputs["ssh"]["ssm"] is True


def _policy_graph(evaluation: Evaluation) -> list[PolicyResource]:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    by_urn = {
        r.urn: PolicyResource(r.typ, r.inputs, r.urn, r.name, opts, None, None, [], {})
        for r in evaluation.resources
    }
    for r in evaluation.resources:
        for key, urns in r.dependencies.items():
            targets = [by_urn[u] for u in urns if u in by_urn]
            by_urn[r.urn].property_dependencies[key] = targets
            by_urn[r.urn].dependencies.extend(targets)
    return list(by_urn.values())


def _violations(resources: list[PolicyResource]) -> list[str]:
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    for _, validate in pol.RESOURCE_VALIDATIONS.values():
        for r in resources:
            validate(
                ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, None),
                report,
            )
    for _, validate_stack in pol.STACK_VALIDATIONS.values():
        validate_stack(StackValidationArgs(resources), report)
    return found


def test_a_private_ssm_stack_opens_no_port_and_passes_the_pack() -> None:
    """ssm, no admin CIDR, no public address: no ingress rule from any CIDR (SSH and the
    Docker API are closed; members still reach each other), and every policy passes."""
    evaluation = evaluate({**PRIVATE, "dockyard:ssm": "true"})
    from_cidrs = [
        r.name
        for r in evaluation.of_type(INGRESS)
        if r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6")
    ]
    assert from_cidrs == []
    assert evaluation.of_type(INGRESS), "the cluster's member rules are still there"
    assert not evaluation.of_type("aws:ec2/eip:Eip")
    assert _violations(_policy_graph(evaluation)) == []
