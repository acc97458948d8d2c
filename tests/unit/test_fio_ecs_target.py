"""`bench ecs`'s values from its flags, else from the stack's `fioTasks` output: a flag
wins, the outputs are read only when a needed flag is missing, their values get the
flags' checks (refused naming the key), a value neither gives is named with both, and
assignPublicIp reaches the EBS RunTask input botocore's ECS model accepts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dockyard.errors import UsageError
from dockyard.fio import ecs_bench
from dockyard.fio.ecs import parse_volume_spec
from dockyard.fio.ecs_target import resolve
from dockyard.fio.instance_store import InstanceStore
from dockyard.fio.jobs import FioError
from dockyard.fio.outputs import FioTasks
from tests.harness.botocore_model import ecs_input_errors
from tests.harness.tools import assert_bad_input, run_dockyard

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/dev-fio"
ROLE = "arn:aws:iam::123456789012:role/dev-fio-ebs"
TASK_DEFINITION = "arn:aws:ecs:us-east-1:123456789012:task-definition/dev-fio:4"
STORE_DEFINITION = "arn:aws:ecs:us-east-1:123456789012:task-definition/dev-fio-nvme:2"
SUBNET, GROUP = "subnet-0123456789abcdef0", "sg-0123456789abcdef0"
STACK = FioTasks(
    cluster=CLUSTER,
    results="s3://dev-fio-results-0a1b2c3",
    task_definition=TASK_DEFINITION,
    volume_role=ROLE,
    subnets=[SUBNET],
    security_groups=[GROUP],
    assign_public_ip=True,
    instance_type="m5d.large",
    instance_store_task_definition=STORE_DEFINITION,
    capacity_provider="dev-fio-nvme",
)
"""A stack's fioTasks with every key (fioVolume ebs and fioInstanceStoreType)."""
FLAGS = {
    "cluster": "other",
    "results": "s3://other-bucket/runs",
    "task_definition": "fio-other:7",
    "volume_role": "arn:aws:iam::210987654321:role/other",
    "subnets": ["subnet-0fedcba9876543210"],
    "security_groups": ["sg-0fedcba9876543210"],
    "assign_public_ip": False,
    "instance_type": "i4i.large",
    "instance_store_task_definition": "fio-nvme-other:1",
    "capacity_provider": "other-hosts",
}
"""Every flag given, each different from STACK's value."""
NO_FLAGS: dict[str, Any] = {field: None for field in FLAGS} | {"subnets": [], "security_groups": []}


def document(tasks: FioTasks | dict[str, Any] = STACK, **other: Any) -> dict[str, Any]:
    """An outputs document as `pulumi stack output --json --show-secrets` prints it."""
    value = tasks.to_output() if isinstance(tasks, FioTasks) else tasks
    return {"fioResultsBucket": "dev-fio-results-0a1b2c3", "fioTasks": value, **other}


def _not_read() -> dict[str, Any]:
    raise AssertionError("the stack outputs were read although every flag was given")


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@pytest.mark.parametrize("field", FLAGS)
def test_a_flag_wins_over_the_output(field: str) -> None:
    """One flag given, the rest from the outputs: that value is the flag's, every other
    value the output's (read because other flags are missing)."""
    flags = {**NO_FLAGS, field: FLAGS[field]}
    target = resolve(flags, ebs=True, instance_store=True, outputs=lambda: document())
    for name in FLAGS:
        expected = FLAGS[name] if name == field else getattr(STACK, name)
        assert getattr(target, name) == _tuple(expected), name
    assert target.source(field).startswith("--")
    assert target.source("cluster" if field != "cluster" else "results").startswith("fioTasks.")


@pytest.mark.parametrize(("ebs", "instance_store"), [(True, False), (False, True), (True, True)])
def test_outputs_are_not_read_when_the_flags_are_complete(ebs: bool, instance_store: bool) -> None:
    """Today's flag-only use: every value the volumes need is a flag, so the outputs are
    never read (no stdin, no Pulumi CLI needed); optional values keep their defaults."""
    flags = {**FLAGS, "assign_public_ip": None, "capacity_provider": None}
    if not instance_store:
        flags |= {"instance_type": None, "instance_store_task_definition": None}
    if not ebs:
        flags |= {"task_definition": None, "volume_role": None, "subnets": [],
                  "security_groups": []}  # fmt: skip
    target = resolve(flags, ebs=ebs, instance_store=instance_store, outputs=_not_read)
    assert target.cluster == "other" and target.assign_public_ip is False
    assert target.capacity_provider is None


def test_a_named_stack_gives_the_optional_values_with_every_flag_given() -> None:
    """`--stack NAME` with every needed flag: the flags still win, and the values no flag
    gives (the public address, the capacity provider) come from the stack, not defaults."""
    flags = {**FLAGS, "assign_public_ip": None, "capacity_provider": None}
    target = resolve(
        flags, ebs=True, instance_store=True, outputs=lambda: document(), named_stack=True
    )
    assert target.cluster == "other"
    assert target.assign_public_ip is STACK.assign_public_ip
    assert target.capacity_provider == STACK.capacity_provider
    assert target.source("capacity_provider") == "fioTasks.capacityProvider"


def test_instance_store_needs_no_flags_with_the_outputs() -> None:
    """`--volume instance-store` alone: cluster, results, instance type, its task
    definition and capacity provider all from fioTasks."""
    target = resolve(NO_FLAGS, ebs=False, instance_store=True, outputs=lambda: document())
    assert target.ec2(None, None) == {
        "cluster": CLUSTER, "cpu": None, "memory": None,
        "task_definition": STORE_DEFINITION, "capacity_provider": "dev-fio-nvme",
    }  # fmt: skip
    assert target.instance_type == "m5d.large"
    assert target.source("instance_type") == "fioTasks.instanceType"


@pytest.mark.parametrize(
    ("drop", "ebs", "instance_store", "words"),
    [
        ("cluster", True, False, "bench ecs needs --cluster (or fioTasks.cluster) for every run"),
        ("results", False, True, "bench ecs needs --results (or fioTasks.results) for every run"),
        ("taskDefinition", True, False, "bench ecs needs --task-definition (or "
         "fioTasks.taskDefinition from a stack with fioVolume ebs) for the EBS volumes given"),
        ("volumeRole", True, False, "bench ecs needs --role-arn (or fioTasks.volumeRole from a "
         "stack with fioVolume ebs) for the EBS volumes given"),
        ("subnets", True, False,
         "bench ecs needs --subnet (or fioTasks.subnets) for the EBS volumes given"),
        ("securityGroups", True, False,
         "bench ecs needs --security-group (or fioTasks.securityGroups) for the EBS volumes given"),
        ("instanceType", False, True, "bench ecs needs --instance-type (or "
         "fioTasks.instanceType from a stack with fioInstanceStoreType) for --volume "
         "instance-store"),
        ("instanceStoreTaskDefinition", False, True, "bench ecs needs --ec2-task-definition "
         "(or fioTasks.instanceStoreTaskDefinition from a stack with fioInstanceStoreType) "
         "for --volume instance-store"),
    ],
)  # fmt: skip
def test_each_missing_value_names_its_flag_and_key(
    drop: str, ebs: bool, instance_store: bool, words: str
) -> None:
    """A value the volumes need that neither a flag nor the outputs give: one error
    naming both (a stack made before the key, or with another fioVolume)."""
    value = {k: v for k, v in STACK.to_output().items() if k != drop}
    with pytest.raises(UsageError) as caught:
        resolve(NO_FLAGS, ebs=ebs, instance_store=instance_store, outputs=lambda: document(value))
    assert str(caught.value) == words


def test_unneeded_values_may_be_missing() -> None:
    """EBS volumes only: a stack without instance-store keys is enough (and the reverse)."""
    value = {k: v for k, v in STACK.to_output().items() if not k.startswith("instance")}
    assert resolve(NO_FLAGS, ebs=True, instance_store=False, outputs=lambda: document(value))
    value = {k: v for k, v in STACK.to_output().items() if k in ("cluster", "results",
             "instanceType", "instanceStoreTaskDefinition")}  # fmt: skip
    target = resolve(NO_FLAGS, ebs=False, instance_store=True, outputs=lambda: document(value))
    assert target.capacity_provider is None  # launch type EC2, as without --capacity-provider


def test_every_missing_value_is_named_at_once_and_no_fio_tasks_is_said() -> None:
    """Outputs without fioTasks (the flow off, or a stack older than it): every missing
    value in one message, and that the outputs have no fioTasks."""
    flags = {**NO_FLAGS, "results": "s3://b"}
    with pytest.raises(UsageError) as caught:
        resolve(flags, ebs=True, instance_store=True, outputs=lambda: {"fioPlotUrl": "x"})
    text = str(caught.value)
    assert text.startswith("bench ecs needs --cluster (or fioTasks.cluster) for every run; ")
    for flag in ("--task-definition", "--role-arn", "--subnet", "--security-group",
                 "--instance-type", "--ec2-task-definition"):  # fmt: skip
        assert f"{flag} (or fioTasks." in text, flag
    assert "--results" not in text and "--capacity-provider" not in text
    assert text.endswith("the stack outputs have no fioTasks (is fioBench on, and the stack up "
                         "to date? pulumi up)")  # fmt: skip


def test_outputs_that_cannot_be_read_say_what_was_missing() -> None:
    """stdin a terminal and no Pulumi CLI (stack_outputs' UsageError): the message names
    the missing flags, then how to give the outputs."""

    def unreadable() -> dict[str, Any]:
        raise UsageError("pipe the stack outputs in (...), or put the Pulumi CLI on PATH")

    flags = {**FLAGS, "volume_role": None}
    with pytest.raises(UsageError) as caught:
        resolve(flags, ebs=True, instance_store=False, outputs=unreadable)
    assert str(caught.value) == (
        "bench ecs needs --role-arn (or fioTasks.volumeRole from a stack with fioVolume ebs) "
        "for the EBS volumes given; pipe the stack outputs in (...), or put the Pulumi CLI on "
        "PATH"
    )


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("volumeRole", ROLE + "\n", r"fioTasks.volumeRole 'arn:aws:iam::123456789012:role/"
         r"dev-fio-ebs\\n' is not a valid role name or ARN"),
        ("cluster", CLUSTER + "\nx", "fioTasks.cluster '"),
        ("taskDefinition", "dev-fio:latest", "fioTasks.taskDefinition 'dev-fio:latest' is not"),
        ("subnets", [SUBNET, "subnet-public"], "fioTasks.subnets 'subnet-public' is not a valid "
         "subnet"),
        ("subnets", ["vpc-0123456789abcdef0"], "fioTasks.subnets 'vpc-0123456789abcdef0'"),
        ("securityGroups", ["default"], "fioTasks.securityGroups 'default' is not a valid"),
        ("results", "https://dev-fio-results.s3.amazonaws.com", "fioTasks.results "
         "'https://dev-fio-results.s3.amazonaws.com' is not an s3://BUCKET[/PREFIX] URL"),
        ("results", "dev-fio-results", "fioTasks.results 'dev-fio-results' is not an s3://"),
        ("results", "s3://dev-fio\n-results", r"fioTasks.results 's3://dev-fio\\n-results' is"),
        ("instanceType", "m5d.large; reboot", "fioTasks.instanceType 'm5d.large; reboot' is not "
         "an instance type"),
        ("instanceStoreTaskDefinition", "arn:aws:ecs:us-east-1:1:task-definition/x:1",
         "fioTasks.instanceStoreTaskDefinition 'arn:aws:ecs:us-east-1:1:task-definition/x:1'"),
        ("capacityProvider", "hosts\n", r"fioTasks.capacityProvider 'hosts\\n' is not a "
         "capacity provider name"),
    ],
)  # fmt: skip
def test_a_hostile_output_value_is_refused_naming_its_key(key: str, value: Any, words: str) -> None:
    """The outputs come from outside: each value gets the check its flag gets (the same
    functions RunTask's builders use) and a bad one is refused naming its key and the
    flag that would override it, before any AWS call."""
    bad = {**STACK.to_output(), key: value}
    with pytest.raises(FioError) as caught:
        resolve(NO_FLAGS, ebs=True, instance_store=True, outputs=lambda: document(bad))
    text = str(caught.value)
    assert words.replace("\\\\", "\\") in text, text
    assert text.endswith(")") and "(from the stack outputs: fix the stack, or give --" in text


def test_a_flag_hides_a_hostile_output_value() -> None:
    """A flag given for a value the stack has wrong: the flag is used, the bad output
    value never checked (the flag wins)."""
    bad = {**STACK.to_output(), "volumeRole": "not a role"}
    target = resolve(
        {**NO_FLAGS, "volume_role": ROLE}, ebs=True, instance_store=False,
        outputs=lambda: document(bad),
    )  # fmt: skip
    assert target.volume_role == ROLE


@pytest.mark.parametrize(
    ("output", "flag", "expected"),
    [(True, None, "ENABLED"), (False, None, "DISABLED"), (None, None, "DISABLED"),
     (True, False, "DISABLED"), (False, True, "ENABLED"), ("yes", None, "DISABLED")],
)  # fmt: skip
def test_assign_public_ip_reaches_the_run_task_input(
    output: object, flag: bool | None, expected: str
) -> None:
    """fioTasks.assignPublicIp (or --assign-public-ip / --no-assign-public-ip, which win)
    is the EBS tasks' awsvpcConfiguration.assignPublicIp; default DISABLED (also for a
    value that is not a boolean); the RunTask input is what botocore's ECS model
    accepts."""
    value = {k: v for k, v in STACK.to_output().items() if k != "assignPublicIp"}
    if output is not None:
        value["assignPublicIp"] = output
    flags = {**NO_FLAGS, "assign_public_ip": flag}
    target = resolve(flags, ebs=True, instance_store=False, outputs=lambda: document(value))
    volumes = [parse_volume_spec("gp3"), parse_volume_spec("gp3:6000:250")]
    launches = ecs_bench.plan(volumes, "ecs", target.ebs(1024, 4096), target.ec2(None, None))
    for launch in launches:
        assert ecs_input_errors(launch.params, "RunTask") == ""
        network = launch.params["networkConfiguration"]["awsvpcConfiguration"]
        assert network == {"subnets": [SUBNET], "securityGroups": [GROUP],
                           "assignPublicIp": expected}  # fmt: skip
        assert launch.params["cluster"] == CLUSTER
        assert launch.params["taskDefinition"] == TASK_DEFINITION


def test_instance_store_run_task_input_from_the_outputs_is_valid() -> None:
    """The instance-store task from fioTasks alone: the capacity provider's strategy, the
    instance-store task definition, what botocore's ECS model accepts."""
    target = resolve(NO_FLAGS, ebs=False, instance_store=True, outputs=lambda: document())
    store = InstanceStore("m5d.large", "1 x 75 GB ssd, NVMe required", "/mnt/instance-store")
    (launch,) = ecs_bench.plan([store], "ecs", target.ebs(None, None), target.ec2(None, None))
    assert ecs_input_errors(launch.params, "RunTask") == ""
    assert launch.params["taskDefinition"] == STORE_DEFINITION
    assert launch.params["capacityProviderStrategy"] == [
        {"capacityProvider": "dev-fio-nvme", "weight": 1}
    ]


def _bench_ecs(tmp_path: Path, stdin: str, *argv: str) -> Any:
    """`python -m dockyard bench ecs ARGV` with `stdin`, no AWS credentials or region (a
    call to AWS, even making a client, would fail otherwise)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "HOME"}
    env |= {"HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"}
    return run_dockyard(["bench", "ecs", *argv], stdin, tmp_path, env)


@pytest.mark.parametrize(
    ("stdin", "argv", "words"),
    [
        (json.dumps({}), ["--volume", "gp3"], "the stack outputs have no fioTasks"),
        ("", ["--volume", "gp3"], "bench ecs needs --cluster (or fioTasks.cluster), --results"),
        ("not json", ["--volume", "instance-store"], "the stack outputs are not JSON"),
        (json.dumps(document({**STACK.to_output(), "volumeRole": ROLE + "\n"})),
         ["--volume", "gp3"], "fioTasks.volumeRole"),
        (json.dumps(document({**STACK.to_output(), "subnets": ["subnet-nope"]})),
         ["--volume", "gp3", "--volume", "instance-store"], "fioTasks.subnets 'subnet-nope'"),
        (json.dumps(document({**STACK.to_output(), "results": "dev-fio-results"})),
         ["--volume", "instance-store"], "fioTasks.results 'dev-fio-results' is not an s3://"),
        (json.dumps(document()), ["--volume", "gp3", "--results", "http://b"],
         "--results 'http://b' is not an s3://"),
        ("not json", ["--volume", "gp3;x"], "--volume 'gp3;x'"),
    ],
    ids=["no-fio-tasks", "empty-stdin", "not-json", "role-newline", "not-a-subnet",
         "results-not-s3", "flag-checked-too", "spec-before-outputs"],
)  # fmt: skip
def test_bench_ecs_bad_outputs_are_one_line_and_exit_2(
    stdin: str, argv: list[str], words: str, tmp_path: Path
) -> None:
    """`dockyard bench ecs` as a user runs it with outputs piped in: a missing or hostile
    value is one `dockyard: ...` line, exit 2, before any AWS call (there is no region:
    making a client would fail otherwise), nothing on stdout."""
    assert_bad_input(_bench_ecs(tmp_path, stdin, *argv), words)
