"""fioInstanceStoreType: EC2 hosts with instance store in the fio stack's own cluster,
under Pulumi mocks on the committed dev stack. What is added, what a later change does
(tests/harness/day2.py: which inputs force a replacement is tests/harness/replacements.py,
read from the Terraform AWS provider), what EC2 would refuse, and the fioTasks output
`bench ecs --volume instance-store` runs with."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from dockyard.fio.ecs import EbsVolume
from dockyard.fio.ecs_bench import plan
from dockyard.fio.ecs_target import resolve
from dockyard.fio.instance_store import MOUNT_PATH, PLACEMENT, InstanceStore, user_data
from dockyard.fio.outputs import FioTasks
from tests.harness.botocore_model import ecs_input_errors
from tests.harness.day2 import evaluate_changed, next_up
from tests.harness.pulumi_program import Evaluation, RecordingMocks, Resource, config_error
from tests.harness.update_plan import ADD, DELETE, UPDATE

STORE = {"dockyard:fioInstanceStoreType": "m5d.large"}
ASG = "aws:autoscaling/group:Group"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
PROVIDER = "aws:ecs/capacityProvider:CapacityProvider"
PROVIDERS = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
ADDED = {
    (ASG, "fio-store-instances"),
    (TEMPLATE, "fio-store-instances"),
    ("aws:ec2/securityGroup:SecurityGroup", "fio-store-instances"),
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "fio-store-instances-egress-ipv4"),
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "fio-store-instances-egress-ipv6"),
    ("aws:iam/role:Role", "fio-store-instance-role"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "fio-store-instance-ecs"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "fio-store-instance-ssm"),
    ("aws:iam/instanceProfile:InstanceProfile", "fio-store-instance-profile"),
    (PROVIDER, "fio-store-ec2"),
    (PROVIDERS, "fio-capacity"),
    (TASK, "fio-store-task-definition"),
}


@pytest.fixture(scope="module")
def stack() -> Evaluation:
    return evaluate_changed("dev", STORE)


def _one(graph: Evaluation, typ: str, name: str) -> Resource:
    (found,) = [r for r in graph.of_type(typ) if r.name == name]
    return found


def test_turning_it_on_only_adds_the_hosts_and_their_task_definition() -> None:
    """Day 2 from the committed dev stack: the instance-store resources are added and
    nothing the stack has is changed or replaced (the service keeps running on Fargate)."""
    changes = next_up(after=STORE)
    assert {(c.typ, c.name) for c in changes if c.op == ADD} == ADDED
    assert [c for c in changes if c.op != ADD] == []


def test_turning_it_off_deletes_exactly_those(stack: Evaluation) -> None:
    """Taking the key out again deletes the hosts and their task definition only: the
    results bucket and every other resource stay."""
    changes = next_up(before=STORE)
    assert {(c.typ, c.name) for c in changes} == ADDED
    assert {c.op for c in changes} == {DELETE}


def test_no_host_runs_until_a_task_needs_one(stack: Evaluation) -> None:
    group = _one(stack, ASG, "fio-store-instances")
    assert (group.inputs["minSize"], group.inputs["desiredCapacity"], group.inputs["maxSize"]) == (
        0,
        0,
        1,
    )
    provider = _one(stack, PROVIDER, "fio-store-ec2")
    scaling = provider.inputs["autoScalingGroupProvider"]["managedScaling"]
    assert scaling["status"] == "ENABLED" and scaling["targetCapacity"] == 100
    assert provider.inputs["name"] == "dev-dev-fio-store"
    attached = _one(stack, PROVIDERS, "fio-capacity")
    assert attached.inputs["capacityProviders"] == ["FARGATE", "dev-dev-fio-store"]


def test_the_hosts_mount_their_store_before_they_take_a_task(stack: Evaluation) -> None:
    """The launch template: the type, IMDSv2, an encrypted root, and the user data that
    formats and mounts the store and only then gives the host the attribute the task
    definition's placement constraint asks for."""
    template = _one(stack, TEMPLATE, "fio-store-instances")
    assert template.inputs["instanceType"] == "m5d.large"
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
    assert template.inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"
    script = base64.b64decode(template.inputs["userData"]).decode()
    [cluster] = [r for r in stack.of_type("aws:ecs/cluster:Cluster") if r.name == "fio-cluster"]
    assert script == user_data(cluster.inputs["name"])
    assert cluster.inputs["name"] == "dev-dev-fio"


def test_the_store_task_definition_measures_the_mount(stack: Evaluation) -> None:
    """EC2 (bridge), the volume under test the hosts' mount, placed only where it is
    mounted; botocore's RegisterTaskDefinition model takes it."""
    task = _one(stack, TASK, "fio-store-task-definition")
    inputs = task.inputs
    assert inputs["family"] == "dev-dev-fio-instance-store"
    assert inputs["requiresCompatibilities"] == ["EC2"]
    assert inputs["networkMode"] == "bridge"
    assert {"name": "fio-target", "hostPath": MOUNT_PATH} in inputs["volumes"]
    assert inputs["placementConstraints"] == [PLACEMENT]
    request: dict[str, Any] = {
        "family": inputs["family"],
        "networkMode": inputs["networkMode"],
        "requiresCompatibilities": inputs["requiresCompatibilities"],
        "containerDefinitions": json.loads(inputs["containerDefinitions"]),
        "volumes": [
            {"name": "fio-target", "host": {"sourcePath": MOUNT_PATH}},
            {"name": "fio-data"},
        ],
        "placementConstraints": inputs["placementConstraints"],
    }
    assert ecs_input_errors(request) == ""
    bench = next(c for c in request["containerDefinitions"] if c["name"] == "fiotools-aio")
    assert "hostPort" not in bench["portMappings"][0], "two one-off tasks on a host would clash"


def test_fio_tasks_names_what_bench_ecs_needs(stack: Evaluation) -> None:
    tasks = FioTasks.from_output(stack.outputs["fioTasks"])
    assert tasks.instance_type == "m5d.large"
    assert tasks.capacity_provider == "dev-dev-fio-store"
    store = _one(stack, TASK, "fio-store-task-definition")
    assert tasks.instance_store_task_definition == store.outputs["arn"]
    assert tasks.results == "s3://" + stack.outputs["fioResultsBucket"]
    assert tasks.to_output() == stack.outputs["fioTasks"]


@pytest.mark.parametrize(
    ("after", "changed"),
    [
        ({"dockyard:fioInstanceStoreType": "m5d.xlarge"}, {(TEMPLATE, "instanceType")}),
        ({"dockyard:fioInstanceStoreMaxHosts": 3}, {(ASG, "maxSize")}),
    ],
)
def test_a_new_type_or_more_hosts_is_an_update(after: dict[str, Any], changed: set[Any]) -> None:
    """A new instance type is a new launch template version ($Latest: the group's next
    hosts get it) and more hosts a new maximum; neither replaces anything (instance_type
    and max_size are not ForceNew: terraform-provider-aws internal/service/ec2/
    ec2_launch_template.go @025e4f81, internal/service/autoscaling/group.go @00a919d1,
    as tests/harness/replacements.py has them)."""
    changes = next_up(before=STORE, after={**STORE, **after})
    assert {(c.typ, path) for c in changes for path in c.inputs} == changed
    assert {c.op for c in changes} == {UPDATE}


def test_a_type_without_instance_store_is_refused() -> None:
    config_error(
        lambda: evaluate_changed("dev", {"dockyard:fioInstanceStoreType": "t3.micro"}),
        "dockyard:fioInstanceStoreType",
        "t3.micro has no instance store (DescribeInstanceTypes",
    )


def test_an_arm_type_is_refused() -> None:
    config_error(
        lambda: evaluate_changed("dev", {"dockyard:fioInstanceStoreType": "c6gd.large"}),
        "dockyard:fioInstanceStoreType",
        "c6gd.large is not x86_64",
    )


@pytest.mark.parametrize("value", ["M5D LARGE", "m5d", "m5d.large;id", "m5d.\nlarge", "x" * 40])
def test_a_value_that_is_not_an_instance_type_is_refused(value: str) -> None:
    config_error(
        lambda: evaluate_changed("dev", {"dockyard:fioInstanceStoreType": value}),
        "dockyard:fioInstanceStoreType",
        "is not an instance type",
    )


def test_a_type_too_small_for_the_task_is_refused() -> None:
    """m5d.large has 2 vCPUs and 8 GiB (DescribeInstanceTypes): a 16 GiB task would wait
    for room it never gets, so the preview stops."""
    config_error(
        lambda: evaluate_changed("dev", {**STORE, "dockyard:fioMemory": 16384}),
        "dockyard:fioInstanceStoreType",
        "m5d.large (2 vCPUs, 8192 MiB) cannot hold the fio task (fioCpu 512, fioMemory 16384)",
    )


def test_another_cluster_is_refused() -> None:
    config_error(
        lambda: evaluate_changed(
            "dev",
            {**STORE, "dockyard:fioClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c"},
        ),
        "dockyard:fioInstanceStoreType",
        "fioClusterArn names another one",
    )


def test_the_hosts_go_only_where_the_type_is_offered() -> None:
    """EC2's offerings: the group spans only the subnets whose zone offers the type; a
    type none of them offers stops the preview."""
    mocks = RecordingMocks(
        vpc_subnets=["subnet-0aaa1111", "subnet-0bbb2222", "subnet-0ccc3333"],
        offerings={"m5d.large": ["us-east-1b"]},
    )
    graph = evaluate_changed("dev", STORE, mocks=mocks)
    group = _one(graph, ASG, "fio-store-instances")
    assert group.inputs["vpcZoneIdentifiers"] == ["subnet-0bbb2222"]
    nowhere = RecordingMocks(
        vpc_subnets=["subnet-0aaa1111", "subnet-0bbb2222", "subnet-0ccc3333"],
        offerings={"m5d.large": ["us-east-1f"]},
    )
    config_error(
        lambda: evaluate_changed("dev", STORE, mocks=nowhere),
        "dockyard:fioInstanceStoreType",
        "m5d.large is offered in none of the subnets' zones",
    )


def test_bench_ecs_runs_with_what_the_stack_exports(stack: Evaluation) -> None:
    """The fioTasks output the component exports, read back as `bench ecs` reads a piped
    `pulumi stack output --json` (no flag given), passes every check its flags get, and
    the RunTask inputs built from it (an EBS volume and the instance store) are ones
    botocore's ECS model takes."""
    document = json.loads(json.dumps(stack.outputs))
    target = resolve({}, ebs=True, instance_store=True, outputs=lambda: document)
    assert target.source("instance_type") == "fioTasks.instanceType"
    store = InstanceStore("m5d.large", "1 x 75 GB ssd, NVMe required", MOUNT_PATH)
    launches = plan(
        [EbsVolume("gp3", 20, 6000, 250), store],
        "ecs",
        target.ebs(None, None),
        target.ec2(None, None),
    )
    for launch in launches:
        assert ecs_input_errors(launch.params, "RunTask") == "", launch.plotname
    ebs, on_store = (launch.params for launch in launches)
    assert ebs["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"
    assert on_store["capacityProviderStrategy"] == [
        {"capacityProvider": "dev-dev-fio-store", "weight": 1}
    ]
    assert on_store["taskDefinition"].endswith(":task-definition/dev-dev-fio-instance-store:1")
