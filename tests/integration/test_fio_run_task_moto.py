"""`bench ecs`'s RunTask input against moto server: one task per volume starts on the
cluster from the fio task definition, tagged with its volume, with the overrides given."""

from __future__ import annotations

import pytest

from dockyard.fio.ecs import (
    BENCH_CONTAINER,
    EbsVolume,
    container_definitions,
    parse_volume_spec,
    run_task_params,
    task_definition,
)
from tests.harness.moto import MotoServer

pytestmark = pytest.mark.integration


def test_one_task_per_volume_runs_on_moto(moto_server: MotoServer) -> None:
    """Three volumes, three tasks from the same definition, each with its own overrides."""
    ecs = moto_server.client("ecs")
    ec2 = moto_server.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    # moto's awsvpc tasks need DNS hostnames on (it names each task's ENI)
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="fio-rt", Description="x", VpcId=vpc)["GroupId"]
    cluster = ecs.create_cluster(clusterName="fio-rt")["cluster"]["clusterArn"]
    containers = container_definitions(
        "fio:1",
        jobfiles=["job.fio"],
        remotefiles=[],
        plotname="p",
        bucket="b",
        region="us-east-1",
        log_group="/fio",
        host_port=None,
    )
    definition = task_definition(
        "fio-rt",
        containers,
        target=EbsVolume(),
        launch_type="FARGATE",
        execution_role_arn="arn:aws:iam::123456789012:role/x",
        task_role_arn="arn:aws:iam::123456789012:role/y",
        cpu=512,
        memory=1024,
    )
    arn = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
    started = []
    for spec in ("gp3", "gp3:6000:250", "io2:16000"):
        params = run_task_params(
            cluster=cluster,
            task_definition=arn,
            volume=parse_volume_spec(spec),
            role_arn="arn:aws:iam::123456789012:role/ebs",
            subnets=[subnet],
            security_groups=[group],
            plotname=f"cmp-{spec.replace(':', '-')}",
            cpu=1024,
            memory=2048,
        )
        answer = ecs.run_task(**params)
        assert not answer["failures"], answer["failures"]
        started.append(answer["tasks"][0]["taskArn"])
    tasks = ecs.describe_tasks(cluster=cluster, tasks=started, include=["TAGS"])["tasks"]
    assert len(tasks) == 3 and {t["taskDefinitionArn"] for t in tasks} == {arn}
    overrides = [t["overrides"]["containerOverrides"][0] for t in tasks]
    assert {o["name"] for o in overrides} == {BENCH_CONTAINER}
    plotnames = sorted(
        e["value"] for o in overrides for e in o["environment"] if e["name"] == "PLOTNAME"
    )
    assert plotnames == ["cmp-gp3", "cmp-gp3-6000-250", "cmp-io2-16000"]
