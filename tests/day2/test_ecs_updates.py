"""Day 2 of the ECS flows: what the next `pulumi up` does after railsCapacity or
adminCidrs change (dev stack: Rails on Fargate, fio on, one IPv4 admin CIDR)."""

from __future__ import annotations

import pytest

from tests.harness.day2 import INSTANCE, evaluate_changed, next_up, replaced
from tests.harness.update_plan import ADD, DELETE, UPDATE

SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EC2_CAPACITY = {
    ("aws:autoscaling/group:Group", "rails-ecs-instances"),
    ("aws:ec2/launchTemplate:LaunchTemplate", "rails-ecs-instances"),
    ("aws:ec2/securityGroup:SecurityGroup", "rails-ecs-instances"),
    ("aws:ecs/capacityProvider:CapacityProvider", "rails-ecs-ec2"),
    ("aws:iam/instanceProfile:InstanceProfile", "rails-ecs-instance-profile"),
    ("aws:iam/role:Role", "rails-ecs-instance-role"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "rails-ecs-instance-ecs"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "rails-ecs-instance-ssm"),
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "rails-ecs-instances-egress-ipv4"),
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "rails-ecs-instances-egress-ipv6"),
}


@pytest.mark.parametrize(("before", "after"), [("fargate", "ec2"), ("ec2", "fargate")])
def test_switching_rails_capacity(before: str, after: str) -> None:
    """railsCapacity switched: the EC2 capacity is added (or deleted); both services are
    updated in place to the new strategy with forceNewDeployment (without it the provider
    refuses to plan a strategy change); the two task definitions are replaced, because
    their compatibility, task size and runtime platform change and every task definition
    input forces a new revision (the dump loader's too, which follows the web one).
    Nothing else is replaced, no EC2 host touched."""
    changes = next_up({"dockyard:railsCapacity": before}, {"dockyard:railsCapacity": after})
    op = ADD if after == "ec2" else DELETE
    assert {(c.typ, c.name) for c in changes if c.op == op} == EC2_CAPACITY
    assert {(c.typ, c.name) for c in replaced(changes)} == {
        (TASK, "rails-db"),
        (TASK, "rails-web"),
        (TASK, "rails-db-import"),
    }
    updated = {(c.typ, c.name): c.inputs for c in changes if c.op == UPDATE}
    assert set(updated) == {
        (SERVICE, "rails-db"),
        (SERVICE, "rails-web"),
        ("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "rails-ecs-capacity"),
    }
    assert updated[(SERVICE, "rails-web")] == ("capacityProviderStrategies[0].capacityProvider",)
    assert not replaced(changes, INSTANCE)
    graph = evaluate_changed("dev", {"dockyard:railsCapacity": after})
    for service in graph.of_type(SERVICE):
        if service.inputs.get("capacityProviderStrategies"):
            assert service.inputs["forceNewDeployment"] is True, service.name


def test_reordering_admin_cidrs_changes_nothing() -> None:
    """The same admin CIDRs in another order: no step at all (rules are named by CIDR)."""
    cidrs = ["198.51.100.7/32", "203.0.113.0/24", "2001:db8::/32"]
    assert next_up({"dockyard:adminCidrs": cidrs}, {"dockyard:adminCidrs": cidrs[::-1]}) == []


def test_an_ipv6_admin_cidr_adds_ipv6_rules_only() -> None:
    """An IPv6 admin CIDR added: one rule per admin port (SSH, Docker TLS, fio plots) with
    cidrIpv6 only; the IPv4 rules stay as they are."""
    v6 = "2001:db8::/32"
    changes = next_up(after={"dockyard:adminCidrs": ["198.51.100.7/32", v6]})
    assert {(c.op, c.typ, c.name) for c in changes} == {
        (ADD, INGRESS, "cluster-ssh-2001-db8---32"),
        (ADD, INGRESS, "cluster-docker-tls-2001-db8---32"),
        (ADD, INGRESS, "fio-lb-plots-2001-db8---32"),
    }
    graph = evaluate_changed("dev", {"dockyard:adminCidrs": ["198.51.100.7/32", v6]})
    for change in changes:
        rule = graph.named(change.name)
        assert rule.inputs.get("cidrIpv6") == v6 and "cidrIpv4" not in rule.inputs
