"""`bench ecs`'s RunTask input: one task per volume, the EBS volume configured at run time,
checked by botocore's own ECS model; volume specs and names checked before any call."""

from __future__ import annotations

import pytest

from dockyard.fio.ecs import (
    BENCH_CONTAINER,
    TARGET_VOLUME,
    EbsVolume,
    parse_volume_spec,
    run_task_params,
)
from dockyard.fio.jobs import FioError
from dockyard.fio.run import volume_from_env
from tests.harness.botocore_model import ecs_input_errors

ROLE = "arn:aws:iam::123456789012:role/ecs-ebs"


def _params(volume: EbsVolume, **extra: object) -> dict[str, object]:
    options: dict[str, object] = {
        "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/fio",
        "task_definition": "fio-fargate:3",
        "volume": volume,
        "role_arn": ROLE,
        "subnets": ["subnet-0123456789abcdef0"],
        "security_groups": ["sg-0123456789abcdef0"],
        "plotname": "cmp-gp3",
    }
    options.update(extra)
    return run_task_params(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "volume"),
    [
        ("gp3", EbsVolume("gp3", 20, None, None)),
        ("gp3:6000:250", EbsVolume("gp3", 20, 6000, 250)),
        ("io2:16000", EbsVolume("io2", 20, 16000, None)),
    ],
)
def test_volume_specs_parse_and_runtask_input_is_valid(spec: str, volume: EbsVolume) -> None:
    """Each --volume of the issue gives a RunTask input botocore's model accepts, with the
    managed EBS volume under the task definition's volume name."""
    assert parse_volume_spec(spec) == volume
    params = _params(volume, cpu=1024, memory=4096)
    assert ecs_input_errors(params, "RunTask") == ""
    (config,) = params["volumeConfigurations"]  # type: ignore[misc]
    assert config["name"] == TARGET_VOLUME
    managed = config["managedEBSVolume"]
    assert managed["volumeType"] == volume.volume_type and managed["roleArn"] == ROLE
    assert managed.get("iops") == volume.iops and managed["encrypted"] is True


def test_overrides_tell_the_container_what_it_measures() -> None:
    """The bench container exits after its run and records volume, task CPU and memory."""
    params = _params(EbsVolume("gp3", 20, 6000, 250), cpu=1024, memory=4096)
    overrides = params["overrides"]
    assert isinstance(overrides, dict)
    assert (overrides["cpu"], overrides["memory"]) == ("1024", "4096")
    (container,) = overrides["containerOverrides"]
    assert container["name"] == BENCH_CONTAINER
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["FIO_NO_SERVE"] == "1" and env["PLOTNAME"] == "cmp-gp3"
    recorded = volume_from_env(env)
    assert recorded["iops"] == "6000" and recorded["throughput_mib_s"] == "250"
    assert (recorded["task_cpu"], recorded["task_memory_mib"]) == ("1024", "4096")


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("gp3\n", "TYPE[:IOPS[:THROUGHPUT]]"),
        ("gp3:99999", "iops 99999 is outside"),
        ("io2", "io2 needs iops"),
        ("gp2:3000", "iops cannot be set"),
        ("gp3;rm", "TYPE[:IOPS[:THROUGHPUT]]"),
        ("nvme", "not one of"),
    ],
)
def test_bad_volume_specs_name_the_problem(spec: str, words: str) -> None:
    """EBS's limits per type, and the form, before any AWS call."""
    with pytest.raises(FioError, match=words.replace("[", r"\[")):
        parse_volume_spec(spec)


@pytest.mark.parametrize(
    "extra",
    [
        {"cluster": "fio cluster"},
        {"role_arn": "arn:aws:iam::1:role/x"},
        {"subnets": ["subnet-xyz"]},
        {"security_groups": ["sg-0123456789abcdef0", "default"]},
        {"task_definition": "fio:latest"},
        {"role_arn": ROLE + "\n"},
        {"subnets": ["subnet-0123456789abcdef0\n"]},
        {"cluster": "fio\n"},
    ],
)
def test_names_from_outside_are_checked(extra: dict[str, object]) -> None:
    """Cluster, task definition, role, subnets and groups are full-matched (a trailing
    newline too: `$` let one through)."""
    with pytest.raises(FioError):
        _params(EbsVolume(), **extra)
