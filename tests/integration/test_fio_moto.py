"""The fio ECS task definition and the S3 copy of a run, against moto server over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import pytest

from components.fio import bench
from components.shared.task_definition import register_task_definition
from dockyard.fio.ecs import EbsVolume, HostPath
from dockyard.fio.upload import upload_run
from tests.harness.fio_ecs import fio_definition
from tests.harness.moto import MotoServer
from tests.harness.pulumi_program import evaluate

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("target", "launch_type"),
    [(EbsVolume("gp3", 20, 3000, 125), "FARGATE"), (HostPath("/mnt/data"), "EC2")],
)
def test_task_definition_registers_with_moto(
    moto_server: MotoServer, target: EbsVolume | HostPath, launch_type: Any
) -> None:
    """register_task_definition accepts the dict as-is; describing it gives the containers back."""
    ecs = moto_server.client("ecs")
    host_port = 8000 if launch_type == "EC2" else None
    definition = fio_definition(f"fio-{launch_type.lower()}", target, launch_type, host_port)
    registered = ecs.register_task_definition(**definition)["taskDefinition"]
    described = ecs.describe_task_definition(taskDefinition=registered["taskDefinitionArn"])
    names = [c["name"] for c in described["taskDefinition"]["containerDefinitions"]]
    assert names == ["prepare-volume", "fiotools-aio"]


@pytest.mark.parametrize(
    "config",
    [
        {},
        {
            "dockyard:fioPerHost": "true",
            "dockyard:fioLaunchType": "EC2",
            "dockyard:fioVolume": "host",
            "dockyard:fioHostPath": "/mnt/under-test",
            "dockyard:fioClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
            "dockyard:dockerHosts": "true",
        },
    ],
)
def test_component_task_definition_registers_with_moto(
    moto_server: MotoServer, config: dict[str, Any]
) -> None:
    """The request FioBench registers (under mocks, Outputs resolved) registers as-is."""
    seen: list[dict[str, Any]] = []

    def recording(name: str, definition: Any, **kwargs: Any) -> Any:
        pulumi.Output.from_input(definition).apply(seen.append)
        return register_task_definition(name, definition, **kwargs)

    with mock.patch.object(bench, "register_task_definition", recording):
        evaluate({"dockyard:fioBench": "true", "dockyard:dockerHosts": "false", **config})
    (definition,) = seen
    ecs = moto_server.client("ecs")
    registered = ecs.register_task_definition(**definition)["taskDefinition"]
    assert registered["networkMode"] == definition["networkMode"]
    assert registered["volumes"][0]["name"] == "fio-target"


def test_run_directory_is_copied_to_s3(moto_server: MotoServer, tmp_path: Path) -> None:
    """upload_run puts every file of a run under PREFIX/<run>/ in the bucket."""
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket="fio-results")
    run = tmp_path / "runs" / "20260101T000000Z-gp3"
    (run / "jobs").mkdir(parents=True)
    (run / "jobs" / "job.fio").write_text("[x]\nrw=read\n", encoding="utf-8")
    (run / "result.json").write_text("{}", encoding="utf-8")
    keys = upload_run(run, "fio-results", "host-a", client=s3)
    listed = s3.list_objects_v2(Bucket="fio-results")["Contents"]
    expected = {
        "host-a/20260101T000000Z-gp3/jobs/job.fio",
        "host-a/20260101T000000Z-gp3/result.json",
    }
    assert set(keys) == expected == {o["Key"] for o in listed}
    body = s3.get_object(Bucket="fio-results", Key="host-a/20260101T000000Z-gp3/jobs/job.fio")
    assert body["Body"].read() == b"[x]\nrw=read\n"
