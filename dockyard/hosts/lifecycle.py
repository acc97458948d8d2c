"""The stack's hosts as EC2 sees them, and their state changes: what `docker-machine
status|start|stop|restart` and a live `ls` did, through boto3.

The instance ids come from the `hosts` output (checked by `Machine.from_output`); the
region is `--region`, else the one the hosts' availability zones are in, else the
environment and the AWS config as `dockyard inventory` reads them. Waiting is bounded:
boto3's `instance_running` / `instance_stopped` waiters with at most `timeout` seconds of
polling. State is not part of the Pulumi plan (the provider does not diff
`instance_state` unless it is set), and each host keeps its network interface and Elastic
IP, so a stop and a start change neither its addresses nor the certificates that name
them. What AWS answers badly is a `LifecycleError`, one line naming the fix.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dockyard.errors import DockyardError
from dockyard.hosts.machines import Machine
from dockyard.hosts.region import region_of_zone, resolve_region

ACTIONS = ("start", "stop", "restart")
TARGET = {"start": "running", "stop": "stopped", "restart": "running"}
"""The state each action waits for."""
WAITERS = {"running": "instance_running", "stopped": "instance_stopped"}
DEFAULT_TIMEOUT = 600
"""Seconds to wait for a state change: EC2 starts and stops take 30 s to a few minutes."""
POLL_DELAY = 5
"""Seconds between describe-instances calls while waiting."""
EC2_INSTANCE_ID = re.compile(r"i-[0-9a-f]{8}(?:[0-9a-f]{9})?")


class LifecycleError(DockyardError):
    """An EC2 call failed or a host did not reach its state in time."""


@dataclass(frozen=True)
class Live:
    """One instance as describe-instances reports it."""

    instance_id: str
    state: str
    """pending, running, stopping, stopped, shutting-down, terminated (or `not-found`)."""
    public_ip: str | None = None
    private_ip: str | None = None
    instance_type: str | None = None
    zone: str | None = None
    launch_time: str | None = None
    reason: str | None = None
    """StateReason.Message, e.g. `Client.UserInitiatedShutdown: User initiated shutdown`."""

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "publicIp": self.public_ip,
            "privateIp": self.private_ip,
            "instanceType": self.instance_type,
            "availabilityZone": self.zone,
            "launchTime": self.launch_time,
            "stateReason": self.reason,
        }


def stack_region(found: Sequence[Machine], flag: str | None, env: Mapping[str, str]) -> str:
    """`--region`, else the hosts' zones' region, else the environment and AWS config."""
    if flag:
        return flag
    for machine in found:
        region = region_of_zone(machine.availability_zone or "")
        if region:
            return region
    return resolve_region(None, env).name


def ec2_client(region: str) -> Any:
    """A boto3 EC2 client; AWS_ENDPOINT_URL (a moto server, a VPC endpoint) is honoured by
    botocore itself. LifecycleError for a region botocore does not know."""
    import boto3
    import botocore.exceptions
    import botocore.session

    try:
        botocore.session.get_session().get_partition_for_region(region)
    except (botocore.exceptions.UnknownRegionError, ValueError):
        raise LifecycleError(
            f"{region[:40]!r} is not an AWS region: pass --region (e.g. eu-west-1)"
        ) from None
    with aws_errors(region):
        return boto3.client("ec2", region_name=region)


@contextlib.contextmanager
def aws_errors(region: str) -> Iterator[None]:
    """botocore's errors from the calls inside as one LifecycleError line."""
    import botocore.exceptions as aws

    try:
        yield
    except aws.ClientError as err:
        error = err.response.get("Error", {})
        code = str(error.get("Code", "?"))
        message = (str(error.get("Message") or "").strip().splitlines() or [""])[0][:200]
        fix = (
            "the stack outputs are stale (pulumi refresh, then pulumi up)"
            if code.startswith("InvalidInstanceID")
            else "check the credentials are the stack's account and region"
        )
        raise LifecycleError(
            f"EC2 refused {err.operation_name} in {region} ({code}: {message}): {fix}"
        ) from None
    except aws.NoCredentialsError:
        raise LifecycleError(
            "no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY) for the stack's account"
        ) from None
    except aws.EndpointConnectionError as err:
        raise LifecycleError(
            f"cannot reach EC2 at {err.kwargs.get('endpoint_url')}: check the network (or "
            f"AWS_ENDPOINT_URL), and that {region} is the stack's region (--region)"
        ) from None
    except aws.BotoCoreError as err:
        raise LifecycleError(f"the EC2 call failed in {region}: {err}") from None


def _live(instance: Mapping[str, Any]) -> Live:
    launched = instance.get("LaunchTime")
    return Live(
        instance_id=str(instance["InstanceId"]),
        state=str(instance.get("State", {}).get("Name", "unknown")),
        public_ip=instance.get("PublicIpAddress"),
        private_ip=instance.get("PrivateIpAddress"),
        instance_type=instance.get("InstanceType"),
        zone=instance.get("Placement", {}).get("AvailabilityZone"),
        launch_time=launched.isoformat() if isinstance(launched, datetime.datetime) else None,
        reason=instance.get("StateReason", {}).get("Message"),
    )


def instance_ids(found: Sequence[Machine]) -> list[str]:
    """The hosts' instance ids, in order, once each; LifecycleError for a host without one."""
    missing = [m.name for m in found if not m.instance_id]
    if missing:
        raise LifecycleError(
            f"host {missing[0]} has no instanceId in the stack output: read the outputs of "
            "the deployed stack (pulumi stack output --json --show-secrets)"
        )
    for machine in found:
        if not EC2_INSTANCE_ID.fullmatch(machine.instance_id):
            raise LifecycleError(
                f"host {machine.name}'s instanceId {machine.instance_id[:40]!r} is not an EC2 "
                "instance id (i- and 8 or 17 hex digits): read the deployed stack's outputs"
            )
    return list(dict.fromkeys(m.instance_id for m in found))


def describe(client: Any, region: str, found: Sequence[Machine]) -> dict[str, Live]:
    """instance id -> what EC2 says of it. An id EC2 does not know (a host destroyed
    outside Pulumi) is `not-found`, not an error, so the other hosts are still listed."""
    ids = instance_ids(found)
    lives: dict[str, Live] = {}
    with aws_errors(region):
        # filtering by instance-id instead of InstanceIds: an unknown id is left out, not
        # an InvalidInstanceID.NotFound for the whole call
        pages = client.get_paginator("describe_instances").paginate(
            Filters=[{"Name": "instance-id", "Values": ids}]
        )
        for page in pages:
            for reservation in page.get("Reservations", []):
                for instance in reservation.get("Instances", []):
                    live = _live(instance)
                    lives[live.instance_id] = live
    return {i: lives.get(i, Live(i, "not-found")) for i in ids}


def problems(machine: Machine, live: Live) -> list[str]:
    """What is wrong with a host, as `docker-machine ls`'s ERRORS column said it."""
    if live.state == "not-found":
        return [f"EC2 has no instance {machine.instance_id}: pulumi refresh, then pulumi up"]
    found = []
    if live.state == "running":
        for kind, stack, actual in (
            ("public", machine.public_ip, live.public_ip),
            ("private", machine.private_ip, live.private_ip),
        ):
            if stack and actual != stack:
                found.append(
                    f"{kind} address is {actual or 'none'}, the stack says {stack}: pulumi refresh"
                )
    return found


def change(
    client: Any,
    region: str,
    action: str,
    found: Sequence[Machine],
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    delay: float = POLL_DELAY,
) -> dict[str, tuple[str, str]]:
    """Start, stop or restart (reboot a running host, start a stopped one) the hosts and
    wait (unless timeout is None) for the target state: instance id -> (before, after)."""
    before = describe(client, region, found)
    gone = [i for i, live in before.items() if live.state in ("not-found", "terminated")]
    if gone:
        raise LifecycleError(
            f"instance {gone[0]} is {before[gone[0]].state}: pulumi refresh, then pulumi up "
            "makes a new host"
        )
    target = TARGET[action]
    with aws_errors(region):
        if action == "start" or action == "restart":
            to_start = [i for i, live in before.items() if live.state in ("stopped", "stopping")]
            if to_start:
                client.start_instances(InstanceIds=to_start)
        if action == "stop":
            to_stop = [i for i, live in before.items() if live.state in ("pending", "running")]
            if to_stop:
                client.stop_instances(InstanceIds=to_stop)
        if action == "restart":
            to_reboot = [i for i, live in before.items() if live.state == "running"]
            if to_reboot:
                client.reboot_instances(InstanceIds=to_reboot)
    if timeout is not None:
        wait(client, region, list(before), target, timeout=timeout, delay=delay)
    after = describe(client, region, found)
    return {i: (before[i].state, after[i].state) for i in before}


def wait(
    client: Any, region: str, ids: Sequence[str], target: str, *, timeout: float, delay: float
) -> None:
    """Poll until every instance is `target`, for at most `timeout` seconds."""
    import botocore.exceptions

    attempts = max(1, math.ceil(timeout / delay))
    waiter = client.get_waiter(WAITERS[target])
    with aws_errors(region):
        try:
            waiter.wait(
                InstanceIds=list(ids), WaiterConfig={"Delay": delay, "MaxAttempts": attempts}
            )
        except botocore.exceptions.WaiterError as err:
            states = _states(err.last_response)
            raise LifecycleError(
                f"not {target} after {timeout:g} s ({states or err}): wait longer "
                "(--timeout), or see `dockyard status` and the instance's state reason"
            ) from None


def _states(response: Mapping[str, Any] | None) -> str:
    lives = [
        _live(instance)
        for reservation in (response or {}).get("Reservations", [])
        for instance in reservation.get("Instances", [])
    ]
    return ", ".join(f"{live.instance_id} {live.state}" for live in lives)
