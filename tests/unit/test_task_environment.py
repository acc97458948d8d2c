"""No task definition the stacks make holds an empty or null environment value.

AWS drops `environment` entries whose value is empty when it stores a task definition,
so a definition holding one never matches the stored one and `pulumi up` replaces it on
every run. Checked over the committed snapshots (what `pulumi up` of dev and prod sends)
and over the fio and Rails variants the stacks do not use.

Under Pulumi's mocks a computed output (an S3 bucket's name, which AWS makes from
`bucket_prefix`) reads as None unless the mocks answer it: RecordingMocks answers the
bucket name as S3 does, and RESULTS_BUCKET is checked to be that answer, so a null here
is always a defect of the program (an empty or None value), never a computed one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from dockyard.fio import ecs as fio_ecs
from dockyard.rails import ecs as rails_ecs
from tests.harness import stacks
from tests.harness.pulumi_program import Evaluation, evaluate

TASK = "aws:ecs/taskDefinition:TaskDefinition"
BUCKET = "aws:s3/bucket:Bucket"

VARIANTS: dict[str, dict[str, Any]] = {
    "fio-fargate-ebs": {"dockyard:fioBench": "true"},
    "fio-ec2-bridge": {
        "dockyard:fioBench": "true",
        "dockyard:fioLaunchType": "EC2",
        "dockyard:fioVolume": "host",
        "dockyard:fioHostPath": "/mnt/under-test",
        "dockyard:fioClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
    },
    "fio-per-host-remote-jobs": {
        "dockyard:fioBench": "true",
        "dockyard:fioPerHost": "true",
        "dockyard:fioLaunchType": "EC2",
        "dockyard:fioVolume": "host",
        "dockyard:fioHostPath": "/mnt/under-test",
        "dockyard:fioClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
        "dockyard:fioRemoteFiles": ["https://example.com/job.fio#sha256=" + "0" * 64],
    },
    "rails-ec2": {"dockyard:rails": "true", "dockyard:railsCapacity": "ec2"},
    "rails-fargate-existing-images": {
        "dockyard:rails": "true",
        "dockyard:railsCapacity": "fargate",
        "dockyard:railsImage": "registry.example.com/app@sha256:" + "1" * 64,
        "dockyard:railsDbImage": "mariadb:11",
    },
}


def environments(resources: list[dict[str, Any]]) -> Iterator[tuple[str, str, Any]]:
    """(task definition, container, entry) for every environment entry of every task."""
    for resource in resources:
        if resource["type"] == TASK:
            for container in json.loads(resource["inputs"]["containerDefinitions"]):
                for entry in container.get("environment", []):
                    yield resource["name"], container["name"], entry


def problems(resources: list[dict[str, Any]]) -> list[str]:
    return [
        f"{task}/{container}: {entry['name']}={entry.get('value')!r}"
        for task, container, entry in environments(resources)
        if not isinstance(entry.get("value"), str) or not entry["value"]
    ]


def _graph(evaluation: Evaluation) -> list[dict[str, Any]]:
    return [{"type": r.typ, "name": r.name, "inputs": r.inputs} for r in evaluation.resources]


@pytest.mark.parametrize("stack", stacks.stack_names())
def test_no_empty_value_in_the_committed_stacks(stack: str) -> None:
    """Every environment value of every task definition in snapshots/<stack>.json is a
    non-empty string."""
    graph = json.loads(stacks.snapshot_path(stack).read_text())
    assert list(environments(graph["resources"])), "the stack makes task definitions"
    assert problems(graph["resources"]) == []


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def variant(request: pytest.FixtureRequest) -> Evaluation:
    return evaluate({"dockyard:dockerHosts": "false", **VARIANTS[request.param]})


def test_no_empty_value_in_the_variants(variant: Evaluation) -> None:
    """The fio and Rails variants the stacks do not use hold no empty value either (empty
    JOBFILES / REMOTEFILES are left out, not sent as "")."""
    graph = _graph(variant)
    assert list(environments(graph))
    assert problems(graph) == []


def test_results_bucket_is_the_computed_bucket_name(variant: Evaluation) -> None:
    """RESULTS_BUCKET carries the bucket's computed name (an Output of the bucket, made by
    S3 from bucket_prefix), the value the mocks answer for it, not a literal or None."""
    buckets = [b for b in variant.of_type(BUCKET) if b.name.endswith("-results")]
    values = [
        e["value"] for _, _, e in environments(_graph(variant)) if e["name"] == "RESULTS_BUCKET"
    ]
    if not buckets:
        assert values == []
        return
    (bucket,) = buckets
    assert values == [f"{bucket.inputs['bucketPrefix']}20260101000000000001"]


@pytest.mark.parametrize(
    ("jobfiles", "remotefiles", "present"),
    [
        ([], [], set()),
        (["quick.fio"], [], {"JOBFILES"}),
        ([], ["https://example.com/a.fio"], {"REMOTEFILES"}),
    ],
)
def test_fio_leaves_out_empty_lists(
    jobfiles: list[str], remotefiles: list[str], present: set[str]
) -> None:
    """An empty job or download list is no entry at all (the container reads a missing
    variable as empty)."""
    containers = fio_ecs.container_definitions(
        "img", jobfiles=jobfiles, remotefiles=remotefiles, plotname="p", bucket="b",
        region="us-east-1", log_group="g",
    )  # fmt: skip
    names = {e["name"] for e in containers[1]["environment"]}
    assert names & {"JOBFILES", "REMOTEFILES"} == present


def test_fio_refuses_a_none_value() -> None:
    """A None (an unresolved value reaching the function) is a bug, not an empty value."""
    with pytest.raises(TypeError, match="RESULTS_BUCKET"):
        fio_ecs.container_definitions(
            "img", jobfiles=[], remotefiles=[], plotname="p", bucket=None,  # type: ignore[arg-type]
            region="us-east-1", log_group="g",
        )  # fmt: skip


def test_rails_leaves_out_empty_values() -> None:
    """An extra web variable set to "" is left out of the definition."""
    web = rails_ecs.web_container(
        image="img",
        app_password_secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:p",
        secret_key_base_arn="arn:aws:secretsmanager:us-east-1:1:secret:k",
        logs=rails_ecs.Logs("g", "us-east-1", "web"),
        limits=rails_ecs.Limits(cpu=rails_ecs.SEED_CPU, memory=rails_ecs.SEED_MEMORY_MIB),
        db_wait_timeout=120,
        environment={"EXTRA": "", "OTHER": "1"},
    )
    names = {e["name"] for e in web["environment"]}
    assert "OTHER" in names and "EXTRA" not in names
