"""EC2 instances -> inventory `Host` values: describe-instances parsing and boto3 discovery.

The same rules serve both ways in: a `aws ec2 describe-instances --output json`
document read from a pipe, and the pages boto3 returns from EC2 (or moto server).
Only running instances (State.Code 16, high byte ignored as EC2 documents) become
hosts; a running instance without the address asked for is reported and skipped.

Piped JSON is first decoded against a schema of the fields read here
(`fleet_from_json`, msgspec): the thousands of other bytes EC2 writes per instance
are skipped, not built into dicts. Anything that schema does not fit (bad JSON, a
field of another type, a running instance without an id) goes to the standard
library and `fleet_from_document`, the reference, whose errors name the problem.

The control host is chosen here, not by output order: the running instance tagged
`role=control` if there is one, else the earliest LaunchTime, ties broken by
InstanceId. Rendering stays in dockyard/hosts/inventory.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from dockyard.hosts.inventory import (
    CONTROL_ROLE,
    Host,
    Inventory,
    InventoryError,
    build_inventory,
    sorted_hosts,
)
from dockyard.hosts.region import unknown_profile
from dockyard.terminal import printable

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
        return f"skipped {_label(self.instance_id, self.name)}: {self.reason}"


def _label(instance_id: str | None, name: str | None) -> str:
    """An instance as a summary line names it, escaped for the terminal."""
    return printable(f"{instance_id} ({name})" if name else str(instance_id))


@dataclass(frozen=True)
class Fleet:
    """What a describe-instances document yields: the hosts, the control host, the left out."""

    hosts: tuple[Host, ...]
    control: Host
    skipped: tuple[Skipped, ...]
    not_running: int = 0
    """Instances in the document that were not running (stopped, pending, terminated...)."""

    def inventory(self, *, ansible_user: str | None = None) -> Inventory:
        return build_inventory(
            self.hosts, ansible_user=ansible_user, control_address=self.control.address
        )


def summary(fleet: Fleet, *, address: str, written: Sequence[str]) -> str:
    """The one line that says the inventory was written: hosts, where, what was left out.

    `written` names the destinations (the inventory's first). With `--address auto`,
    each host Ansible will reach at its private address (it has no public one) is named.
    """
    count = len(fleet.hosts)
    line = (
        f"wrote {count} host{'' if count == 1 else 's'} to {', '.join(written)}; "
        f"{len(fleet.skipped)} skipped, {fleet.not_running} not running"
    )
    private = [h for h in fleet.hosts if h.public_ip is None] if address == "auto" else []
    if private:
        line += (
            f"; --address auto gave {len(private)} host{'' if len(private) == 1 else 's'} "
            "a private address (no public IP): "
            + ", ".join(f"{_label(h.instance_id, h.name)} {h.address}" for h in private)
        )
    return line


def keyed_group(key: str, value: str) -> str:
    """`tag_<key>_<value>` with every character Ansible rejects in a group name as `_`."""
    return _GROUP_UNSAFE.sub("_", f"tag_{key}_{value}")


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


def _parse_time(value: str) -> datetime:
    """An ISO 8601 time; without an offset it is UTC. ValueError/OverflowError if not one."""
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


class _FleetBuilder:
    """Running instances in, hosts and the control host out: the rules both parsers share.

    The control host is the `role=control` host if any, else the earliest LaunchTime;
    ties by InstanceId, then address (a host without a LaunchTime sorts after every host
    that has one). Among several `role=control` hosts the same order decides.
    """

    def __init__(self, address: str, group_by_tag: Sequence[str], name_prefix: str | None):
        if address not in ADDRESS_KINDS:
            raise InventoryError(
                f"unknown address kind {address!r}: use one of auto, public, private"
            )
        self.address = address
        self.group_by_tag = tuple(group_by_tag)
        self.name_prefix = name_prefix
        self.hosts: list[Host] = []
        self.control_keys: list[tuple[bool, datetime, str, str]] = []
        self.skipped: list[Skipped] = []
        self.not_running = 0

    def excluded(self, tags: Mapping[str, str]) -> bool:
        """Whether the name prefix leaves this instance out."""
        prefix = self.name_prefix
        return prefix is not None and not (tags.get("Name") or "").startswith(prefix)

    def add(
        self,
        instance_id: str,
        tags: Mapping[str, str],
        public: str | None,
        private: str | None,
        launch_time: datetime | None,
        zone: str | None,
    ) -> None:
        """One running instance: a host, or a skipped one if it lacks the address asked for."""
        name = tags.get("Name") or None
        role = None
        for key, value in tags.items():
            if key.lower() == ROLE_TAG:
                role = value.strip().lower() or None
                break
        chosen = _address(self.address, public, private)
        if chosen is None:
            reason = _missing_address_reason(self.address)
            if role == CONTROL_ROLE:
                reason += (
                    "; it is tagged role=control, so the control host is chosen among the rest"
                )
            self.skipped.append(Skipped(instance_id, name, reason))
            return
        groups = (
            tuple(sorted({keyed_group(key, tags[key]) for key in self.group_by_tag if key in tags}))
            if self.group_by_tag
            else ()
        )
        self.hosts.append(Host(chosen, name, instance_id, private, public, zone, role, groups))
        self.control_keys.append(
            (role != CONTROL_ROLE, launch_time or _FAR_FUTURE, instance_id, chosen)
        )

    def fleet(self) -> Fleet:
        """Hosts sorted by InstanceId (then address), the control host, the left out."""
        hosts, skipped = self.hosts, self.skipped
        if not hosts:
            prefix = self.name_prefix
            scope = f" named {prefix}*" if prefix is not None else ""
            why = f" ({len(skipped)} running but skipped: {skipped[0].reason})" if skipped else ""
            raise InventoryError(
                f"no running instances{scope} to put in the inventory{why}: check the name "
                "prefix, the region and that the instances are running"
            )
        keys = self.control_keys
        control = hosts[min(range(len(keys)), key=keys.__getitem__)]
        return Fleet(
            hosts=sorted_hosts(hosts),
            control=control,
            skipped=tuple(skipped),
            not_running=self.not_running,
        )


# --- the reference: any JSON value, or boto3's pages ----------------------------------------


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
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise DocumentError(f"{where}.LaunchTime is not a time: {value!r:.40}")
    try:
        return _parse_time(value)
    except (ValueError, OverflowError):
        raise DocumentError(f"{where}.LaunchTime {value!r:.40} is not an ISO 8601 time") from None


def _zone(instance: Mapping[str, Any], where: str) -> str | None:
    placement = instance.get("Placement")
    if placement is None:
        return None
    if not isinstance(placement, Mapping):
        raise DocumentError(f"{where}.Placement is not an object")
    return _text(placement, "AvailabilityZone", f"{where}.Placement")


def fleet_from_document(
    document: object,
    *,
    address: str = "auto",
    group_by_tag: Sequence[str] = (),
    name_prefix: str | None = None,
) -> Fleet:
    """A describe-instances document (parsed JSON, or boto3's) -> hosts, control host, left out.

    Each field is checked when it is used: a stopped instance or one outside the name
    prefix may carry anything in the fields only running, named hosts need.
    """
    builder = _FleetBuilder(address, group_by_tag, name_prefix)
    for where, instance in _instances(document):
        if _state_code(instance, where) != RUNNING:
            builder.not_running += 1
            continue
        instance_id = _text(instance, "InstanceId", where)
        if instance_id is None:
            raise DocumentError(f"{where} has no InstanceId: is this describe-instances output?")
        tags = _tags(instance, where)
        if builder.excluded(tags):
            continue
        public = _text(instance, "PublicIpAddress", where)
        private = _text(instance, "PrivateIpAddress", where)
        launch_time = _launch_time(instance, where)
        # The zone is read only for a host that is kept, as its address decides.
        zone = _zone(instance, where) if _address(address, public, private) else None
        builder.add(instance_id, tags, public, private, launch_time, zone)
    return builder.fleet()


# --- the fast way in: piped JSON decoded against the fields read above ----------------------


class _Tag(msgspec.Struct, gc=False):
    Key: str
    Value: str = ""


class _State(msgspec.Struct, gc=False):
    Code: int


class _Placement(msgspec.Struct, gc=False):
    AvailabilityZone: str | None = None


class _Instance(msgspec.Struct, gc=False):
    State: _State
    InstanceId: str | None = None
    Tags: list[_Tag] | None = None
    PublicIpAddress: str | None = None
    PrivateIpAddress: str | None = None
    Placement: _Placement | None = None
    LaunchTime: str | None = None


class _Reservation(msgspec.Struct, gc=False):
    Instances: list[_Instance]


class _Document(msgspec.Struct, gc=False):
    Reservations: list[_Reservation]


_DECODER = msgspec.json.Decoder(_Document)


def fleet_from_json(
    data: bytes,
    *,
    address: str = "auto",
    group_by_tag: Sequence[str] = (),
    name_prefix: str | None = None,
) -> Fleet | None:
    """describe-instances JSON -> the fleet `fleet_from_document` makes of it, or None.

    None when the schema does not fit (invalid JSON or UTF-8, a field of another type,
    a running instance without an id or with an unreadable LaunchTime): the caller then
    parses the text with the standard library and hands it to `fleet_from_document`,
    whose error (or answer: it checks less of instances it leaves out) is the one given.
    """
    # msgspec does not look inside the strings it skips; json.loads rejects bad UTF-8
    # anywhere. Checking costs nothing when the text is ASCII, as EC2 writes it.
    if not data.isascii():
        try:
            data.decode()
        except UnicodeDecodeError:
            return None
    try:
        document = _DECODER.decode(data)
    except (msgspec.DecodeError, RecursionError):
        return None
    builder = _FleetBuilder(address, group_by_tag, name_prefix)
    add, excluded = builder.add, builder.excluded if name_prefix is not None else None
    not_running = 0
    for reservation in document.Reservations:
        for instance in reservation.Instances:
            if instance.State.Code & 0xFF != RUNNING:
                not_running += 1
                continue
            instance_id = instance.InstanceId
            if not instance_id:
                return None
            tags = {tag.Key: tag.Value for tag in instance.Tags} if instance.Tags else {}
            if excluded is not None and excluded(tags):
                continue
            launched = instance.LaunchTime
            try:
                launch_time = _parse_time(launched) if launched is not None else None
            except (ValueError, OverflowError):
                return None
            placement = instance.Placement
            add(
                instance_id,
                tags,
                instance.PublicIpAddress or None,
                instance.PrivateIpAddress or None,
                launch_time,
                placement.AvailabilityZone or None if placement is not None else None,
            )
    builder.not_running = not_running
    return builder.fleet()


def discover(
    *,
    region: str,
    name_prefix: str = DEFAULT_NAME_PREFIX,
    profile: str | None = None,
    endpoint_url: str | None = None,
) -> dict[str, Any]:
    """Ask EC2 for the running instances named `<prefix>*`, as one describe-instances document.

    Filters by tag and by state *name* on the server (moto server lacks the
    `instance-state-code` filter); the parser checks State.Code itself. Every page
    is read. The region comes from dockyard.hosts.region, as on every other path.
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
        raise DiscoveryError(unknown_profile(err)) from None
    except botocore.exceptions.NoCredentialsError:
        raise DiscoveryError(
            "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or use --profile"
        ) from None
    except botocore.exceptions.ClientError as err:
        raise DiscoveryError(f"EC2 refused describe-instances: {err}") from None
    except botocore.exceptions.BotoCoreError as err:
        raise DiscoveryError(f"could not reach EC2: {err}") from None
    return {"Reservations": reservations}
