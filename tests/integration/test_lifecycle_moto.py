"""`dockyard status|start|stop|restart`, `ls` and `inspect` against moto server's EC2.

The fleet is laid out as DockerHosts lays it out (a network interface per host, made
first, with an Elastic IP on it, and the instance on that interface), and the stack
outputs are what `Machine.serving(...).to_output()` writes. The commands run as the
`dockyard` script with AWS_ENDPOINT_URL pointing at moto; the in-process cases record
every EC2 call and have botocore's own model judge its parameters.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.model import ServiceModel
from botocore.validate import ParamValidator

from dockyard.errors import DockyardError
from dockyard.hosts import lifecycle
from dockyard.hosts.machines import Machine, machines
from tests.harness.moto import REGION, MotoServer
from tests.harness.tools import dockyard_fed

pytestmark = [pytest.mark.integration]


def _fleet(ec2: Any, count: int, *, elastic: bool = True) -> list[dict[str, Any]]:
    """`count` hosts as DockerHosts makes them; their `hosts` output entries."""
    image = ec2.describe_images()["Images"][0]["ImageId"]
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    hosts = []
    for index in range(count):
        if elastic:
            eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]
            eip = ec2.allocate_address(Domain="vpc")
            ec2.associate_address(
                AllocationId=eip["AllocationId"], NetworkInterfaceId=eni["NetworkInterfaceId"]
            )
            placed = {
                "NetworkInterfaces": [
                    {"DeviceIndex": 0, "NetworkInterfaceId": eni["NetworkInterfaceId"]}
                ]
            }
        else:  # an auto-assigned public address, as Docker Machine's hosts had
            placed = {}
        [instance] = ec2.run_instances(
            ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", **placed
        )["Instances"]
        [live] = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0][
            "Instances"
        ]
        values = (
            live["InstanceId"],
            live["PrivateIpAddress"],
            live.get("PublicIpAddress"),
            live["Placement"]["AvailabilityZone"],
            live.get("PublicIpAddress") or live["PrivateIpAddress"],
        )
        role = "control" if index == 0 else "agent"
        machine = Machine.serving(index, f"dy-{index + 1}", role, values, docker_port=2376)
        hosts.append(machine.to_output())
    return hosts


def _dockyard(
    moto: MotoServer, outputs: dict[str, Any], *args: str
) -> subprocess.CompletedProcess[str]:
    env = {**moto.env, "AWS_ENDPOINT_URL": moto.endpoint}
    return dockyard_fed(outputs, *args, env=env, timeout=120)


def _states(ec2: Any) -> dict[str, str]:
    pages = ec2.describe_instances()["Reservations"]
    return {i["InstanceId"]: i["State"]["Name"] for r in pages for i in r["Instances"]}


def test_stop_start_restart_keep_the_addresses(moto_server: MotoServer) -> None:
    """stop --all stops every host and waits; status reports each; start brings them back
    with the same public and private addresses (the Elastic IP lives on the interface),
    so ls shows no error; restart reboots a running host and starts a stopped one."""
    ec2 = moto_server.client("ec2")
    outputs = {"hosts": _fleet(ec2, 2)}
    ids = [h["instanceId"] for h in outputs["hosts"]]
    before = {(h["publicIp"], h["privateIp"]) for h in outputs["hosts"]}

    stopped = _dockyard(moto_server, outputs, "stop", "--all")
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.splitlines() == ["dy-1: running -> stopped", "dy-2: running -> stopped"]
    assert _states(ec2) == dict.fromkeys(ids, "stopped")
    one = _dockyard(moto_server, outputs, "status", "dy-2")
    assert (one.returncode, one.stdout) == (0, "stopped\n"), one.stderr

    started = _dockyard(moto_server, outputs, "start", "1")
    assert started.stdout == "dy-2: stopped -> running\n", started.stderr
    assert _states(ec2) == {ids[0]: "stopped", ids[1]: "running"}
    both = _dockyard(moto_server, outputs, "status")
    assert both.stdout.splitlines() == ["dy-1  stopped", "dy-2  running"], both.stderr

    restarted = _dockyard(moto_server, outputs, "restart", "--all")
    assert restarted.stdout.splitlines() == [
        "dy-1: stopped -> running",
        "dy-2: running -> running",
    ], restarted.stderr
    live = ec2.describe_instances(InstanceIds=ids)["Reservations"]
    after = {(i["PublicIpAddress"], i["PrivateIpAddress"]) for r in live for i in r["Instances"]}
    assert after == before
    listed = _dockyard(moto_server, outputs, "ls", "--format", "{{.Name}} {{.State}} [{{.Error}}]")
    assert listed.stdout.splitlines() == ["dy-1 running []", "dy-2 running []"], listed.stderr


def test_a_changed_address_is_an_error_in_ls(moto_server: MotoServer) -> None:
    """A host whose public address came with the instance (docker/machine#2668) has a new
    one after a stop and a start: ls and inspect name the change and the fix."""
    ec2 = moto_server.client("ec2")
    outputs = {"hosts": _fleet(ec2, 1, elastic=False)}
    address = outputs["hosts"][0]["publicIp"]
    assert _dockyard(moto_server, outputs, "stop", "--all").returncode == 0
    assert _dockyard(moto_server, outputs, "start", "--all").returncode == 0
    listed = _dockyard(moto_server, outputs, "ls")
    header, row = listed.stdout.splitlines()
    assert header.split() == [
        "NAME", "ROLE", "STATE", "INSTANCE", "PUBLIC", "PRIVATE", "URL", "DOCKER", "ERRORS"
    ]  # fmt: skip
    assert f"the stack says {address}: pulumi refresh" in row
    facts = json.loads(_dockyard(moto_server, outputs, "inspect").stdout)
    assert facts["live"]["state"] == "running"
    assert facts["live"]["publicIp"] != address
    assert facts["errors"] == [
        f"public address is {facts['live']['publicIp']}, the stack says {address}: pulumi refresh"
    ]


def test_ls_filters_quiet_and_a_host_ec2_does_not_know(moto_server: MotoServer) -> None:
    """--filter state= uses EC2's answer, several filters of one key are alternatives,
    -q prints names; a host EC2 does not know is not-found with the fix, and the other
    hosts are still listed."""
    ec2 = moto_server.client("ec2")
    outputs = {"hosts": _fleet(ec2, 3)}
    assert _dockyard(moto_server, outputs, "stop", "dy-2").returncode == 0
    running = _dockyard(moto_server, outputs, "ls", "-q", "--filter", "state=Running")
    assert running.stdout == "dy-1\ndy-3\n", running.stderr
    named = _dockyard(
        moto_server, outputs, "ls", "-q", "--filter", "name=-2$", "--filter", "name=-3$"
    )
    assert named.stdout == "dy-2\ndy-3\n", named.stderr
    agents = _dockyard(
        moto_server, outputs, "ls", "--filter", "role=agent", "--filter", "state=stopped",
        "--format", "table {{.Name}}\\t{{.State}}",
    )  # fmt: skip
    assert agents.stdout.splitlines() == ["NAME  STATE", "dy-2  stopped"], agents.stderr
    gone = json.loads(json.dumps(outputs))
    gone["hosts"][2]["instanceId"] = "i-0fffffffffffffff9"
    listed = _dockyard(moto_server, gone, "ls", "--format", "{{.Name}}|{{.State}}|{{.Error}}")
    assert listed.stdout.splitlines() == [
        "dy-1|running|",
        "dy-2|stopped|",
        "dy-3|not-found|EC2 has no instance i-0fffffffffffffff9: pulumi refresh, then pulumi up",
    ], listed.stderr
    refused = _dockyard(moto_server, gone, "start", "dy-3")
    assert refused.returncode == 2
    assert refused.stderr == (
        "dockyard: instance i-0fffffffffffffff9 is not-found: pulumi refresh, then pulumi up "
        "makes a new host\n"
    )


@pytest.fixture
def recorded(moto_server: MotoServer) -> Iterator[tuple[Any, list[tuple[str, dict[str, Any]]]]]:
    """An EC2 client on moto whose every call's (operation, parameters) is recorded."""
    ec2 = moto_server.client("ec2")
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((model.name, json.loads(json.dumps(params, default=str))))

    ec2.meta.events.register("provide-client-params.ec2.*", record)
    yield ec2, calls


def test_the_calls_are_valid_and_only_the_needed_ones(
    recorded: tuple[Any, list[tuple[str, dict[str, Any]]]],
) -> None:
    """stop calls StopInstances for the running hosts only; start on running hosts makes no
    StartInstances call; every call's parameters pass botocore's model of its input."""
    ec2, calls = recorded
    found = machines({"hosts": _fleet(ec2, 2)})
    ids = [m.instance_id for m in found]
    ec2.stop_instances(InstanceIds=[ids[0]])
    calls.clear()
    assert lifecycle.change(ec2, REGION, "stop", found, delay=1) == {
        ids[0]: ("stopped", "stopped"),
        ids[1]: ("running", "stopped"),
    }
    assert [name for name, _ in calls if name.endswith("Instances") and "Describe" not in name] == [
        "StopInstances"
    ]
    assert ("StopInstances", {"InstanceIds": [ids[1]]}) in calls
    lifecycle.change(ec2, REGION, "start", found, delay=1)
    calls.clear()
    lifecycle.change(ec2, REGION, "start", found, delay=1)
    assert {name for name, _ in calls} == {"DescribeInstances"}
    model: ServiceModel = ec2.meta.service_model
    for name, params in [*calls, ("RebootInstances", {"InstanceIds": ids})]:
        shape = model.operation_model(name).input_shape
        report = ParamValidator().validate(params, shape)
        assert not report.has_errors(), report.generate_report()


def test_the_wait_is_bounded(recorded: tuple[Any, list[tuple[str, dict[str, Any]]]]) -> None:
    """Waiting for a state that does not come ends after the timeout with one line naming
    the instance's state and the fix; a terminated host is refused before any call."""
    ec2, calls = recorded
    found = machines({"hosts": _fleet(ec2, 1)})
    instance_id = found[0].instance_id
    ec2.stop_instances(InstanceIds=[instance_id])
    calls.clear()
    with pytest.raises(lifecycle.LifecycleError) as waited:
        lifecycle.wait(ec2, REGION, [instance_id], "running", timeout=2, delay=1)
    assert str(waited.value) == (
        f"not running after 2 s ({instance_id} stopped): wait longer (--timeout), or see "
        "`dockyard status` and the instance's state reason"
    )
    assert [name for name, _ in calls] == ["DescribeInstances"] * 2  # 2 s, 1 s apart
    ec2.terminate_instances(InstanceIds=[instance_id])
    calls.clear()
    with pytest.raises(DockyardError, match="is terminated: pulumi refresh"):
        lifecycle.change(ec2, REGION, "start", found)
    assert [name for name, _ in calls] == ["DescribeInstances"]
