"""Flow 2 (fio on ECS) under Pulumi mocks: graph invariants, and the task definition
as the engine would send it, validated against botocore's RegisterTaskDefinition model."""

from __future__ import annotations

import json
import re
from typing import Any
from unittest import mock

import pulumi
import pytest

from components.fio import bench
from components.shared.task_definition import register_task_definition
from tests.harness.botocore_model import ecs_input_errors
from tests.harness.pulumi_program import Evaluation, RecordingMocks, evaluate

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
ADMIN = "198.51.100.0/24"
FIO_ON = {"dockyard:fioBench": "true", "dockyard:dockerHosts": "false"}
PER_HOST = {
    "dockyard:fioPerHost": "true",
    "dockyard:fioLaunchType": "EC2",
    "dockyard:fioVolume": "host",
    "dockyard:fioHostPath": "/mnt/under-test",
    "dockyard:fioClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
    "dockyard:dockerHosts": "true",
}


class FioMocks(RecordingMocks):
    """Adds the results bucket's name, which the fio component reads."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid, outputs = super().new_resource(args)
        if args.typ == "aws:s3/bucket:Bucket":
            outputs["bucket"] = "my-prefix-fio-results"
        return rid, outputs


REGISTERED: dict[int, dict[str, Any]] = {}
"""What the component handed register_task_definition, resolved, per evaluation."""


def run(config: dict[str, Any]) -> Evaluation:
    seen: list[dict[str, Any]] = []

    def recording(name: str, definition: Any, **kwargs: Any) -> Any:
        pulumi.Output.from_input(definition).apply(seen.append)
        return register_task_definition(name, definition, **kwargs)

    with mock.patch.object(bench, "register_task_definition", recording):
        graph = evaluate({**FIO_ON, **config}, mocks=FioMocks())
    (REGISTERED[id(graph)],) = seen
    return graph


@pytest.fixture(scope="module")
def fargate() -> Evaluation:
    return run(
        {
            "dockyard:adminCidrs": [ADMIN],
            "dockyard:fioEbsType": "io2",
            "dockyard:fioEbsSizeGib": "100",
            "dockyard:fioEbsIops": "5000",
        }
    )


def register_input(graph: Evaluation) -> dict[str, Any]:
    """The RegisterTaskDefinition request the component registered, as it registered it."""
    return REGISTERED[id(graph)]


def test_flow_is_off_by_default() -> None:
    """Without dockyard:fioBench nothing of the fio flow is created."""
    graph = evaluate({"dockyard:dockerHosts": "false"}, mocks=FioMocks())
    assert not graph.of_type(TASK) and "fioPlotUrl" not in graph.outputs


def test_task_definition_validates_against_botocore(fargate: Evaluation) -> None:
    """The task definition the component registers is valid RegisterTaskDefinition input,
    and the engine receives its containers unchanged."""
    (task,) = fargate.of_type(TASK)
    params = register_input(fargate)
    assert json.loads(task.inputs["containerDefinitions"]) == params["containerDefinitions"]
    assert ecs_input_errors(params) == ""
    image = params["containerDefinitions"][1]["image"]
    assert re.fullmatch(r".+/fio-aio-repo@sha256:[0-9a-f]{64}", image), "pins the pushed digest"


def test_plots_port_only_from_admin_cidrs(fargate: Evaluation) -> None:
    """Port 8000 is open to the admin CIDRs (balancer) and the balancer (task), never the world."""
    rules = [r.inputs for r in fargate.of_type(INGRESS) if r.inputs.get("fromPort") == 8000]
    assert {r.get("cidrIpv4") for r in rules if r.get("cidrIpv4")} == {ADMIN}
    assert any(r.get("referencedSecurityGroupId") for r in rules)
    for rule in fargate.of_type(INGRESS):
        assert rule.inputs.get("cidrIpv4") != "0.0.0.0/0" and rule.inputs.get("cidrIpv6") != "::/0"


@pytest.mark.parametrize("per_host", [False, True])
def test_ipv6_admin_cidr_goes_to_cidr_ipv6(per_host: bool) -> None:
    """An IPv6 admin CIDR opens the plots (balancer or hosts) through cidrIpv6 only, the
    IPv4 one through cidrIpv4, each rule named after its CIDR."""
    config: dict[str, Any] = {"dockyard:adminCidrs": [ADMIN, "2001:db8::/32"]}
    if per_host:
        config.update(PER_HOST)
    graph = run(config)
    plots = {
        r.name: (r.inputs.get("cidrIpv4"), r.inputs.get("cidrIpv6"))
        for r in graph.of_type(INGRESS)
        if r.inputs.get("fromPort") == 8000 and not r.inputs.get("referencedSecurityGroupId")
    }
    prefix = "fio-host-plots" if per_host else "fio-lb-plots"
    assert plots == {
        f"{prefix}-198-51-100-0-24": (ADMIN, None),
        f"{prefix}-2001-db8---32": (None, "2001:db8::/32"),
    }


def test_no_plots_access_without_admin_cidrs() -> None:
    """No admin CIDRs: no ingress rule with a CIDR on port 8000 at all."""
    graph = run({"dockyard:adminCidrs": []})
    assert not [
        r
        for r in graph.of_type(INGRESS)
        if r.inputs.get("fromPort") == 8000 and "cidrIpv4" in r.inputs
    ]


def test_bucket_is_private_versioned_and_encrypted(fargate: Evaluation) -> None:
    """The results bucket blocks every kind of public access, keeps versions, encrypts."""
    (block,) = fargate.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for key in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs[key] is True, key
    (versioning,) = fargate.of_type("aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    assert fargate.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    (policy,) = fargate.of_type("aws:iam/rolePolicy:RolePolicy")
    actions = {a for s in json.loads(policy.inputs["policy"])["Statement"] for a in s["Action"]}
    assert actions == {"s3:PutObject", "s3:GetObject", "s3:ListBucket"}, (
        "the task may add results and read earlier ones (to compare), never delete them"
    )


def test_ebs_volume_from_stack_config(fargate: Evaluation) -> None:
    """The service attaches an encrypted managed EBS volume with the configured type, size, IOPS."""
    (service,) = fargate.of_type(SERVICE)
    ebs = service.inputs["volumeConfiguration"]["managedEbsVolume"]
    assert (ebs["volumeType"], ebs["sizeInGb"], ebs["iops"], ebs["encrypted"]) == (
        "io2",
        100,
        5000,
        True,
    )
    assert service.inputs["launchType"] == "FARGATE" and service.inputs["desiredCount"] == 1


def test_outputs_and_image_push(fargate: Evaluation) -> None:
    """Stack outputs name the plot URL and bucket; the image is linux/amd64, pushed on up."""
    assert fargate.outputs["fioPlotUrl"] == "http://fio-lb-123.us-east-1.elb.amazonaws.com:8000/"
    assert fargate.outputs["fioResultsBucket"] == "my-prefix-fio-results"
    (image,) = fargate.of_type("docker:index/image:Image")
    assert image.inputs["build"]["platform"] == "linux/amd64"
    assert image.inputs["build"]["target"] == "fiotools-aio"
    assert image.inputs["skipPush"] is False


def test_no_secrets_in_plain_environment(fargate: Evaluation) -> None:
    """The task's environment holds no credentials (the task role grants S3 access)."""
    (task,) = fargate.of_type(TASK)
    for container in json.loads(task.inputs["containerDefinitions"]):
        names = {e["name"] for e in container.get("environment", [])}
        assert not {n for n in names if "SECRET" in n or "PASSWORD" in n or "KEY" in n}


def test_per_host_runs_one_task_on_every_host() -> None:
    """fioPerHost: DAEMON scheduling on EC2 with a host path, plots on each host's 8000."""
    graph = run(
        {
            "dockyard:adminCidrs": [ADMIN],
            **PER_HOST,
        }
    )
    (service,) = graph.of_type(SERVICE)
    assert service.inputs["schedulingStrategy"] == "DAEMON"
    assert "desiredCount" not in service.inputs
    (task,) = graph.of_type(TASK)
    params = register_input(graph)
    assert ecs_input_errors(params) == ""
    assert params["networkMode"] == "host", "the host's name prefixes its results in S3"
    plots = [r.inputs for r in graph.of_type(INGRESS) if r.inputs.get("fromPort") == 8000]
    assert [r.get("cidrIpv4") for r in plots] == [ADMIN]
    assert params["volumes"][0] == {"name": "fio-target", "host": {"sourcePath": "/mnt/under-test"}}
    env = json.loads(task.inputs["containerDefinitions"])[1]["environment"]
    assert "RESULTS_PREFIX" not in {e["name"] for e in env}, "per host: prefix is the host name"


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"dockyard:fioEbsType": "gp3", "dockyard:fioEbsIops": "100"}, "fioEbsType"),
        ({"dockyard:fioVolume": "host"}, "fioHostPath"),
        ({"dockyard:fioPerHost": "true"}, "fioLaunchType"),
        ({"dockyard:fioLaunchType": "EC2"}, "fioClusterArn"),
        ({"dockyard:fioRemoteFiles": ["http://example.com/job.fio"]}, "fioRemoteFiles"),
        ({"dockyard:fioPlotName": "../x"}, "fioPlotName"),
        ({"dockyard:subnetIds": ["subnet-0aaa1111"]}, "subnetIds"),
    ],
)
def test_bad_fio_config_names_the_key(config: dict[str, Any], key: str) -> None:
    """Invalid fio settings stop the program with an error naming the key."""
    with pytest.raises(Exception, match=f"dockyard:{key}"):
        run(config)


def test_preview_builds_but_does_not_push() -> None:
    """Under `pulumi preview` (dry run) the image has the inputs it has on `up` (so an
    unchanged image shows no diff): skipPush and buildOnPreview false, which is what keeps
    the provider from building or pushing in a preview (pulumi-docker provider.go
    @237b7899 canPreview: Create/Update return the inputs when buildOnPreview is false)."""
    from pulumi.runtime import settings

    mocks = FioMocks()
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project="dockyard", stack="dev", preview=True)

    @pulumi.runtime.test  # type: ignore[misc]
    def program() -> Any:
        from components.config.fio import FioBenchConfig
        from components.fio.bench import FioBench
        from dockyard.fio.ecs import EbsVolume

        cfg = FioBenchConfig(
            launch_type="FARGATE",
            volume=EbsVolume(),
            per_host=False,
            jobfiles=(),
            remotefiles=(),
            plotname="ecs",
            cpu=512,
            memory=1024,
            cluster_arn=None,
            assign_public_ip=True,
        )
        bench = FioBench(
            "fio",
            cfg,
            {
                "name_prefix": "p",
                "vpc_id": "vpc-1",
                "subnet_ids": ["subnet-a", "subnet-b"],
                "admin_cidrs": [ADMIN],
                "region": "us-east-1",
                "host_security_group_id": None,
                "tags": {},
            },
        )
        return bench.bucket_name

    program()
    (image,) = [r for r in mocks.resources if r.typ == "docker:index/image:Image"]
    assert (image.inputs["skipPush"], image.inputs["buildOnPreview"]) == (False, False)


def test_results_survive_destroy_and_need_tls(fargate: Evaluation) -> None:
    """`pulumi destroy` leaves the bucket and its settings (retainOnDelete); its policy
    denies every request without TLS."""
    bucket_types = [r for r in fargate.resources if r.typ.startswith("aws:s3/")]
    assert len(bucket_types) == 6
    for resource in bucket_types:
        assert resource.options.get("retainOnDelete") is True, resource.name
    (policy,) = fargate.of_type("aws:s3/bucketPolicy:BucketPolicy")
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"][1] == statement["Resource"][0] + "/*"


def test_balancer_drops_invalid_headers_and_service_rolls_back(fargate: Evaluation) -> None:
    """The plots balancer drops invalid header fields; a crash-looping benchmark fails its
    deployment (circuit breaker with rollback) instead of restarting forever."""
    (balancer,) = fargate.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert balancer.inputs["dropInvalidHeaderFields"] is True
    (service,) = fargate.of_type(SERVICE)
    assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
