"""The fio benchmark's ECS definitions against botocore's own ECS API model."""

from __future__ import annotations

from typing import Any

import pytest

from dockyard.fio.ecs import (
    BENCH_CONTAINER,
    PLOTS_PORT,
    TARGET_PATH,
    EbsVolume,
    HostPath,
    check_ebs,
    container_definitions,
    ebs_volume_configuration,
    task_definition,
)
from tests.harness.botocore_model import ecs_input_errors

ROLE = "arn:aws:iam::123456789012:role/fio"


def containers(**overrides: Any) -> list[dict[str, Any]]:
    args: dict[str, Any] = {
        "jobfiles": ["job.fio"],
        "remotefiles": ["https://example.com/job.fio#sha256=" + "a" * 64],
        "plotname": "gp3",
        "bucket": "fio-results",
        "region": "us-east-1",
        "log_group": "/dockyard/fio",
        **overrides,
    }
    return container_definitions("123456789012.dkr.ecr.us-east-1.amazonaws.com/fio:1", **args)


@pytest.mark.parametrize(
    ("target", "launch_type", "host_port"),
    [
        (EbsVolume("gp3", 20, 3000, 125), "FARGATE", None),
        (EbsVolume("io2", 100, 5000), "EC2", PLOTS_PORT),
        (HostPath("/mnt/data"), "EC2", PLOTS_PORT),
    ],
)
def test_task_definition_is_valid_register_task_definition_input(
    target: EbsVolume | HostPath, launch_type: Any, host_port: int | None
) -> None:
    """EBS on Fargate, EBS on EC2 and a host path on EC2 all validate against botocore."""
    definition = task_definition(
        "fio-bench",
        containers(host_port=host_port),
        target=target,
        launch_type=launch_type,
        execution_role_arn=ROLE,
        task_role_arn=ROLE,
        cpu=512,
        memory=1024,
    )
    assert ecs_input_errors(definition) == ""
    bench = next(c for c in definition["containerDefinitions"] if c["name"] == BENCH_CONTAINER)
    env = {e["name"]: e["value"] for e in bench["environment"]}
    assert env["FIO_TARGET_DIR"] == TARGET_PATH and env["RESULTS_BUCKET"] == "fio-results"
    assert bench["user"] == "10001:10001"
    assert bench["portMappings"][0]["containerPort"] == PLOTS_PORT


def test_host_path_needs_ec2() -> None:
    """A host path on Fargate is refused with a message naming EC2."""
    with pytest.raises(ValueError, match="EC2"):
        task_definition(
            "f",
            containers(),
            target=HostPath("/mnt"),
            launch_type="FARGATE",
            execution_role_arn=ROLE,
            task_role_arn=ROLE,
            cpu=256,
            memory=512,
        )


@pytest.mark.parametrize("volume", [EbsVolume("gp3", 50, 6000, 250), EbsVolume("io2", 20, 8000)])
def test_service_volume_configuration_is_valid_create_service_input(volume: EbsVolume) -> None:
    """The managed EBS volume configuration validates as CreateService input."""
    params = {
        "serviceName": "fio",
        "taskDefinition": "fio-bench",
        "volumeConfigurations": [ebs_volume_configuration(volume, ROLE)],
    }
    assert ecs_input_errors(params, "CreateService") == ""


def test_validation_catches_a_wrong_shape() -> None:
    """The validator is live: a string where botocore wants an integer is reported."""
    definition = task_definition(
        "f",
        containers(),
        target=EbsVolume(),
        launch_type="FARGATE",
        execution_role_arn=ROLE,
        task_role_arn=ROLE,
        cpu=256,
        memory=512,
    )
    definition["containerDefinitions"][1]["memory"] = "512"
    assert "memory" in ecs_input_errors(definition)


@pytest.mark.parametrize(
    ("volume", "needle"),
    [
        (EbsVolume("gp3", 20, 2000), "iops 2000"),
        (EbsVolume("gp3", 20, None, 2000), "throughput 2000"),
        (EbsVolume("io2", 20), "needs iops"),
        (EbsVolume("gp2", 20, 3000), "cannot be set"),
        (EbsVolume("st1", 20), "size 20"),
        (EbsVolume("magnetic", 20), "not one of"),
    ],
)
def test_bad_ebs_settings_are_named(volume: EbsVolume, needle: str) -> None:
    """Out-of-range or inapplicable EBS settings give a message naming the setting."""
    assert any(needle in problem for problem in check_ebs(volume))


def test_good_ebs_settings_pass() -> None:
    """gp3 and io2 within AWS's limits have no problems."""
    assert check_ebs(EbsVolume("gp3", 100, 16000, 1000)) == []
    assert check_ebs(EbsVolume("io2", 100, 64000)) == []


@pytest.mark.parametrize(
    ("volume", "launch_type", "expected"),
    [
        (
            EbsVolume("io2", 50, 6000),
            "FARGATE",
            {"FIO_VOLUME_TYPE": "io2", "FIO_VOLUME_SIZE_GIB": "50", "FIO_VOLUME_IOPS": "6000",
             "FIO_COMPUTE": "Fargate"},
        ),
        (
            HostPath("/mnt/data"),
            "EC2",
            {"FIO_VOLUME_TYPE": "host path /mnt/data", "FIO_COMPUTE": "EC2"},
        ),
    ],
)  # fmt: skip
def test_task_environment_names_the_volume_under_test(
    volume: EbsVolume | HostPath, launch_type: str, expected: dict[str, str]
) -> None:
    """The benchmark container's environment describes the volume (no empty values), and
    the run metadata reads it back as the comparison label."""
    from dockyard.fio.results import run_label
    from dockyard.fio.run import volume_from_env

    (_, bench) = container_definitions(
        "img", jobfiles=["j.fio"], remotefiles=[], plotname="p", bucket="b",
        region="eu-west-1", log_group="/g", volume=volume, launch_type=launch_type,
    )  # fmt: skip
    env = {item["name"]: item["value"] for item in bench["environment"]}
    assert {k: env[k] for k in expected} == expected
    assert not [k for k in env if k.startswith("FIO_VOLUME_") and k not in expected]
    label = run_label({"volume": volume_from_env(env)})
    assert label.startswith(expected["FIO_VOLUME_TYPE"]) and label.endswith("eu-west-1")
