"""EC2 instances -> inventory `Host` values: describe-instances parsing and boto3 discovery.

The same parser serves both ways in: a `aws ec2 describe-instances --output json`
document read from a pipe, and the pages boto3 returns from EC2 (or moto server).
Only running instances (State.Code 16, high byte ignored as EC2 documents) become
hosts; a running instance without the address asked for is reported and skipped.

The control host is chosen here, not by output order: the running instance tagged
`role=control` if there is one, else the earliest LaunchTime, ties broken by
InstanceId. Rendering stays in dockyard/inventory.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dockyard.inventory import CONTROL_ROLE, Host, Inventory, InventoryError, build_inventory

RUNNING = 16
"""EC2's state code for `running` (the seed's `instance-state-code=16`)."""
DEFAULT_NAME_PREFIX = "my-prefix"
ADDRESS_KINDS = ("auto", "public", "private")
ROLE_TAG = "role"

_GROUP_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


class DocumentError(InventoryError):
    """The input is not a describe-instances document."""


class DiscoveryError(InventoryError):
    """EC2 (or the endpoint standing in for it) could not be asked."""


@dataclass(frozen=True)
class Skipped:
    """A running instance left out of the inventory, and why."""

    instance_id: str
    name: str | None
    reason: str

    def __str__(self) -> str:
        label = f"{self.instance_id} ({self.name})" if self.name else self.instance_id
        return f"skipped {label}: {self.reason}"


@dataclass(frozen=True)
class Candidate:
    """A running instance that made it into the inventory, with what ordering needs."""

    host: Host
    launch_time: datetime | None
    tagged_control: bool


@dataclass(frozen=True)
class Fleet:
    """What a describe-instances document yields: the hosts, the control host, the skipped."""

    hosts: tuple[Host, ...]
    control: Host
    skipped: tuple[Skipped, ...]

    def inventory(self, *, ansible_user: str | None = None) -> Inventory:
        return build_inventory(
            self.hosts, ansible_user=ansible_user, control_address=self.control.address
        )


def keyed_group(key: str, value: str) -> str:
    """`tag_<key>_<value>` with every character Ansible rejects in a group name as `_`."""
    return _GROUP_UNSAFE.sub("_", f"tag_{key}_{value}")


def _where(r_index: int, i_index: int | None = None) -> str:
    where = f"Reservations[{r_index}]"
    return where if i_index is None else f"{where}.Instances[{i_index}]"


def _instances(document: object) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every instance of every reservation, with its place in the document."""
    if not isinstance(document, Mapping) or "Reservations" not in document:
        raise DocumentError(
            "input is not a describe-instances document (no top-level `Reservations`): pipe "
            "`aws ec2 describe-instances --output json` into it, or use --discover"
        )
    reservations = document["Reservations"]
    if not isinstance(reservations, list):
        raise DocumentError("`Reservations` is not a list: is this describe-instances output?")
    for r_index, reservation in enumerate(reservations):
        if not isinstance(reservation, Mapping) or not isinstance(
            reservation.get("Instances"), list
        ):
            raise DocumentError(
                f"{_where(r_index)} has no `Instances` list: is this describe-instances output?"
            )
        for i_index, instance in enumerate(reservation["Instances"]):
            if not isinstance(instance, Mapping):
                raise DocumentError(f"{_where(r_index, i_index)} is not an object")
            yield _where(r_index, i_index), instance


def _text(instance: Mapping[str, Any], key: str, where: str) -> str | None:
    value = instance.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise DocumentError(f"{where}.{key} is not a string: {value!r:.60}")
    return value


def _tags(instance: Mapping[str, Any], where: str) -> dict[str, str]:
    raw = instance.get("Tags")
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise DocumentError(f"{where}.Tags is not a list of {{Key, Value}} objects")
    tags: dict[str, str] = {}
    for tag in raw:
        if (
            not isinstance(tag, Mapping)
            or not isinstance(tag.get("Key"), str)
            or not isinstance(tag.get("Value", ""), str)
        ):
            raise DocumentError(f"{where}.Tags holds {tag!r:.60}, not a {{Key, Value}} object")
        tags[tag["Key"]] = tag.get("Value", "")
    return tags


def _state_code(instance: Mapping[str, Any], where: str) -> int:
    state = instance.get("State")
    code = state.get("Code") if isinstance(state, Mapping) else None
    if isinstance(code, bool) or not isinstance(code, int):
        raise DocumentError(
            f"{where} has no integer State.Code: is this describe-instances output?"
        )
    return code & 0xFF


def _launch_time(instance: Mapping[str, Any], where: str) -> datetime | None:
    value = instance.get("LaunchTime")
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except (ValueError, OverflowError):
            raise DocumentError(
                f"{where}.LaunchTime {value!r:.40} is not an ISO 8601 time"
            ) from None
    else:
        raise DocumentError(f"{where}.LaunchTime is not a time: {value!r:.40}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _zone(instance: Mapping[str, Any], where: str) -> str | None:
    placement = instance.get("Placement")
    if placement is None:
        return None
    if not isinstance(placement, Mapping):
        raise DocumentError(f"{where}.Placement is not an object")
    return _text(placement, "AvailabilityZone", f"{where}.Placement")


def _address(kind: str, public: str | None, private: str | None) -> str | None:
    if kind == "public":
        return public
    if kind == "private":
        return private
    return public or private


def _missing_address_reason(kind: str) -> str:
    if kind == "public":
        return "no public IP address (use --address private or auto)"
    if kind == "private":
        return "no private IP address (use --address public or auto)"
    return "neither a public nor a private IP address"


def candidates(
    document: object,
    *,
    address: str = "auto",
    group_by_tag: Sequence[str] = (),
    name_prefix: str | None = None,
) -> tuple[list[Candidate], list[Skipped]]:
    """The running instances that can be hosts, and the running ones that cannot."""
    if address not in ADDRESS_KINDS:
        raise InventoryError(f"unknown address kind {address!r}: use one of auto, public, private")
    kept: list[Candidate] = []
    skipped: list[Skipped] = []
    for where, instance in _instances(document):
        if _state_code(instance, where) != RUNNING:
            continue
        instance_id = _text(instance, "InstanceId", where)
        if instance_id is None:
            raise DocumentError(f"{where} has no InstanceId: is this describe-instances output?")
        tags = _tags(instance, where)
        name = tags.get("Name") or None
        if name_prefix is not None and not (name or "").startswith(name_prefix):
            continue
        public = _text(instance, "PublicIpAddress", where)
        private = _text(instance, "PrivateIpAddress", where)
        chosen = _address(address, public, private)
        launch_time = _launch_time(instance, where)
        role = next(
            (v.strip().lower() for k, v in tags.items() if k.lower() == ROLE_TAG),
            None,
        )
        if chosen is None:
            reason = _missing_address_reason(address)
            if role == CONTROL_ROLE:
                reason += (
                    "; it is tagged role=control, so the control host is chosen among the rest"
                )
            skipped.append(Skipped(instance_id, name, reason))
            continue
        host = Host(
            address=chosen,
            name=name,
            instance_id=instance_id,
            private_ip=private,
            public_ip=public,
            availability_zone=_zone(instance, where),
            role=role or None,
            groups=tuple(
                sorted({keyed_group(key, tags[key]) for key in group_by_tag if key in tags})
            ),
        )
        kept.append(Candidate(host, launch_time, role == CONTROL_ROLE))
    return kept, skipped


_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def choose_control(kept: Iterable[Candidate]) -> Host:
    """The `role=control` host if any, else the earliest LaunchTime; ties by InstanceId.

    Among several `role=control` hosts the same order decides. A host without a
    LaunchTime sorts after every host that has one.
    """
    pool = list(kept)
    tagged = [c for c in pool if c.tagged_control]
    best = min(
        tagged or pool,
        key=lambda c: (c.launch_time or _FAR_FUTURE, c.host.instance_id or "", c.host.address),
    )
    return best.host


def fleet_from_document(
    document: object,
    *,
    address: str = "auto",
    group_by_tag: Sequence[str] = (),
    name_prefix: str | None = None,
) -> Fleet:
    """Parse a describe-instances document into hosts sorted by InstanceId and a control host."""
    kept, skipped = candidates(
        document, address=address, group_by_tag=group_by_tag, name_prefix=name_prefix
    )
    if not kept:
        scope = f" named {name_prefix}*" if name_prefix is not None else ""
        why = f" ({len(skipped)} running but skipped: {skipped[0].reason})" if skipped else ""
        raise InventoryError(
            f"no running instances{scope} to put in the inventory{why}: check the name "
            "prefix, the region and that the instances are running"
        )
    hosts = tuple(sorted((c.host for c in kept), key=lambda h: (h.instance_id or "", h.address)))
    return Fleet(hosts=hosts, control=choose_control(kept), skipped=tuple(skipped))


def discover(
    *,
    name_prefix: str = DEFAULT_NAME_PREFIX,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> dict[str, Any]:
    """Ask EC2 for the running instances named `<prefix>*`, as one describe-instances document.

    Filters by tag and by state *name* on the server (moto server lacks the
    `instance-state-code` filter); the parser checks State.Code itself. Every page
    is read.
    """
    # boto3 costs ~0.3 s to import: only the --discover path pays for it.
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        client = session.client("ec2", endpoint_url=endpoint_url)
        paginator = client.get_paginator("describe_instances")
        reservations: list[Any] = []
        for page in paginator.paginate(
            Filters=[
                {"Name": "tag:Name", "Values": [f"{name_prefix}*"]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        ):
            reservations.extend(page.get("Reservations", []))
    except botocore.exceptions.ProfileNotFound as err:
        raise DiscoveryError(
            f"{err}: pick a profile from ~/.aws/config or drop --profile"
        ) from None
    except botocore.exceptions.NoRegionError:
        raise DiscoveryError("no AWS region: pass --region or set AWS_DEFAULT_REGION") from None
    except botocore.exceptions.NoCredentialsError:
        raise DiscoveryError(
            "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or use --profile"
        ) from None
    except botocore.exceptions.ClientError as err:
        raise DiscoveryError(f"EC2 refused describe-instances: {err}") from None
    except botocore.exceptions.BotoCoreError as err:
        raise DiscoveryError(f"could not reach EC2: {err}") from None
    return {"Reservations": reservations}
