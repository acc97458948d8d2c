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
from itertools import product
from typing import Any

import msgspec

from dockyard.hosts import compose as composing
from dockyard.hosts.inventory import (
    CONTROL_ROLE,
    Host,
    Inventory,
    InventoryError,
    build_inventory,
    sorted_hosts,
)
from dockyard.hosts.region import region_of_zone, unknown_profile
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
    filtered_out: int | None = None
    """Instances `--filter` left out of a piped document (None: no filter was given)."""
    cloud: str = "aws"
    """Where the hosts are: aws, azure or gce (agent.yml is written for aws only)."""

    def inventory(
        self,
        *,
        ansible_user: str | None = None,
        hostvars_prefix: str = "",
        hostvars_suffix: str = "",
    ) -> Inventory:
        return build_inventory(
            self.hosts,
            ansible_user=ansible_user,
            control_address=self.control.address,
            hostvars_prefix=hostvars_prefix,
            hostvars_suffix=hostvars_suffix,
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
    if fleet.filtered_out is not None:
        line += f", {fleet.filtered_out} left out by --filter"
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


HOSTNAME_KINDS = ("dns", "private-dns", "ip", "private-ip", "id")
"""`--hostname` kinds besides `tag:KEY`: the public and private DNS names, the public and
private IP addresses, the instance id (the aws_ec2 plugin's `hostnames`)."""
GROUP_BY_KEYS = {
    "placement.availability_zone": "availability_zone",
    "placement.region": "region",
    "instance_type": "instance_type",
    "vpc_id": "vpc_id",
}
"""`--group-by` keys besides `tag:KEY`, and the prefix of the groups each makes."""


def check_hostnames(kinds: Sequence[str]) -> tuple[str, ...]:
    """The `--hostname` precedence, each kind checked (InventoryError names a bad one)."""
    for kind in kinds:
        if kind not in HOSTNAME_KINDS and not (kind.startswith("tag:") and len(kind) > 4):
            raise InventoryError(
                f"unknown --hostname kind {kind!r}: use tag:KEY or one of "
                + ", ".join(HOSTNAME_KINDS)
            )
    return tuple(kinds)


def check_group_by(keys: Sequence[str]) -> tuple[str, ...]:
    """The `--group-by` keys, each checked (InventoryError names a bad one)."""
    for key in keys:
        if key not in GROUP_BY_KEYS and not (key.startswith("tag:") and len(key) > 4):
            raise InventoryError(
                f"unknown --group-by key {key!r}: use tag:KEY or one of " + ", ".join(GROUP_BY_KEYS)
            )
    return tuple(keys)


@dataclass(frozen=True)
class Facts:
    """What `--hostname` and `--group-by` may read of an instance beyond the basics."""

    public_dns: str | None = None
    private_dns: str | None = None
    instance_type: str | None = None
    vpc_id: str | None = None
    region: str | None = None


_NO_FACTS = Facts()


def _keyed_groups(
    keys: Sequence[str], tags: Mapping[str, str], zone: str | None, facts: Facts
) -> tuple[str, ...]:
    """The keyed groups of one host, sanitised as Ansible group names."""
    found = set()
    for key in keys:
        if key.startswith("tag:"):
            if key[4:] in tags:
                found.add(keyed_group(key[4:], tags[key[4:]]))
            continue
        value = zone if key == "placement.availability_zone" else getattr(facts, GROUP_BY_KEYS[key])
        if value:
            found.add(_GROUP_UNSAFE.sub("_", f"{GROUP_BY_KEYS[key]}_{value}"))
    return tuple(sorted(found))


def _hostname(
    kinds: Sequence[str],
    instance_id: str,
    tags: Mapping[str, str],
    addresses: tuple[str | None, str | None],
    facts: Facts,
) -> str | None:
    """The first kind of `--hostname` the instance has a value for (None: none has)."""
    public, private = addresses
    values = {
        "id": instance_id,
        "ip": public,
        "private-ip": private,
        "dns": facts.public_dns,
        "private-dns": facts.private_dns,
    }
    for kind in kinds:
        value = tags.get(kind[4:]) if kind.startswith("tag:") else values[kind]
        if value:
            return value
    return None


_ROLE_SPELLINGS = frozenset(map("".join, product(*zip(ROLE_TAG, ROLE_TAG.upper(), strict=True))))
"""`role` in every case: the keys whose lower() is `role` (no other code point lowers to
r, o, l or e), so a set lookup in C tells an instance without one."""


def _role(tags: Mapping[str, str]) -> str | None:
    """The `role` tag's value (key in any case), trimmed and lower-cased; None if none."""
    if _ROLE_SPELLINGS.isdisjoint(tags):
        return None
    for key, value in tags.items():
        if key.lower() == ROLE_TAG:
            return value.strip().lower() or None
    return None


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

    def __init__(
        self,
        address: str,
        group_by_tag: Sequence[str],
        name_prefix: str | None,
        hostnames: Sequence[str] = (),
        group_by: Sequence[str] = (),
        compose: Sequence[composing.Compose] = (),
    ):
        if address not in ADDRESS_KINDS:
            raise InventoryError(
                f"unknown address kind {address!r}: use one of auto, public, private"
            )
        self.address = address
        self.group_by_tag = tuple(group_by_tag)
        self.name_prefix = name_prefix
        self.hostnames = check_hostnames(hostnames)
        self.group_by = check_group_by(group_by)
        self.wants_facts = bool(self.hostnames or self.group_by)
        self.compose = tuple(compose)
        self.hosts: list[Host] = []
        self.control_keys: list[tuple[bool, datetime, str, str]] = []
        self.skipped: list[Skipped] = []
        self.not_running = 0

    def excluded(self, tags: Mapping[str, str]) -> bool:
        """Whether the name prefix leaves this instance out."""
        prefix = self.name_prefix
        return prefix is not None and not (tags.get("Name") or "").startswith(prefix)

    def excluded_name(self, name: str | None) -> bool:
        """Whether the name prefix leaves out an instance (a VM) of this name."""
        prefix = self.name_prefix
        return prefix is not None and not (name or "").startswith(prefix)

    def add(
        self,
        instance_id: str,
        tags: Mapping[str, str],
        public: str | None,
        private: str | None,
        launch_time: datetime | None,
        zone: str | None,
        facts: Facts = _NO_FACTS,
        name: str | None = None,
        variables: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """One running instance: a host, or a skipped one if it lacks the address asked for.

        `name` is the instance's name when it is not its Name tag (an Azure or GCE VM's)."""
        name = name or tags.get("Name") or None
        role = _role(tags)
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
        hostname = None
        if self.wants_facts:
            if self.group_by:
                keyed = _keyed_groups(self.group_by, tags, zone, facts)
                groups = tuple(sorted({*groups, *keyed}))
            if self.hostnames:
                found = _hostname(self.hostnames, instance_id, tags, (public, private), facts)
                hostname = found if found != chosen else None
        self.hosts.append(
            Host(
                chosen, name, instance_id, private, public, zone, role, groups, hostname, variables
            )
        )
        self.control_keys.append(
            (role != CONTROL_ROLE, launch_time or _FAR_FUTURE, instance_id, chosen)
        )

    def fleet(self, cloud: str = "aws") -> Fleet:
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
            cloud=cloud,
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


def _facts(instance: Mapping[str, Any], where: str, zone: str | None) -> Facts:
    return Facts(
        public_dns=_text(instance, "PublicDnsName", where),
        private_dns=_text(instance, "PrivateDnsName", where),
        instance_type=_text(instance, "InstanceType", where),
        vpc_id=_text(instance, "VpcId", where),
        region=region_of_zone(zone) if zone else None,
    )


def fleet_from_document(
    document: object,
    *,
    address: str = "auto",
    group_by_tag: Sequence[str] = (),
    name_prefix: str | None = None,
    hostnames: Sequence[str] = (),
    group_by: Sequence[str] = (),
    compose: Sequence[composing.Compose] = (),
) -> Fleet:
    """A describe-instances document (parsed JSON, or boto3's) -> hosts, control host, left out.

    Each field is checked when it is used: a stopped instance or one outside the name
    prefix may carry anything in the fields only running, named hosts need.
    """
    builder = _FleetBuilder(address, group_by_tag, name_prefix, hostnames, group_by, compose)
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
        facts = _facts(instance, where, zone) if builder.wants_facts else _NO_FACTS
        composed = composing.variables(instance, compose) if compose else ()
        builder.add(
            instance_id, tags, public, private, launch_time, zone, facts, variables=composed
        )
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


class _InstanceFacts(_Instance, gc=False):
    """An instance with the fields `--hostname` and `--group-by` may read as well."""

    PublicDnsName: str | None = None
    PrivateDnsName: str | None = None
    InstanceType: str | None = None
    VpcId: str | None = None


class _ReservationFacts(msgspec.Struct, gc=False):
    Instances: list[_InstanceFacts]


class _DocumentFacts(msgspec.Struct, gc=False):
    Reservations: list[_ReservationFacts]


_DECODER = msgspec.json.Decoder(_Document)
_DECODER_FACTS = msgspec.json.Decoder(_DocumentFacts)


def _struct_facts(instance: _InstanceFacts, zone: str | None) -> Facts:
    return Facts(
        public_dns=instance.PublicDnsName or None,
        private_dns=instance.PrivateDnsName or None,
        instance_type=instance.InstanceType or None,
        vpc_id=instance.VpcId or None,
        region=region_of_zone(zone) if zone else None,
    )


def fleet_from_json(
    data: bytes,
    *,
    address: str = "auto",
    group_by_tag: Sequence[str] = (),
    name_prefix: str | None = None,
    hostnames: Sequence[str] = (),
    group_by: Sequence[str] = (),
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
    builder = _FleetBuilder(address, group_by_tag, name_prefix, hostnames, group_by)
    wants_facts = builder.wants_facts
    try:
        document = (_DECODER_FACTS if wants_facts else _DECODER).decode(data)
    except (msgspec.DecodeError, RecursionError):
        return None
    add, excluded = builder.add, builder.excluded if name_prefix is not None else None
    # The common case (--address auto, no extra groups or names) appends the host here:
    # a call to builder.add per instance is a tenth of the command's cost at 100,000.
    plain = address == "auto" and not (builder.group_by_tag or wants_facts)
    append_host, append_key = builder.hosts.append, builder.control_keys.append
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
            zone = placement.AvailabilityZone or None if placement is not None else None
            public, private = instance.PublicIpAddress or None, instance.PrivateIpAddress or None
            chosen = public or private
            if plain and chosen:
                role = None if _ROLE_SPELLINGS.isdisjoint(tags) else _role(tags)
                name = tags.get("Name") or None
                append_host(Host(chosen, name, instance_id, private, public, zone, role))
                append_key((role != CONTROL_ROLE, launch_time or _FAR_FUTURE, instance_id, chosen))
                continue
            add(
                instance_id,
                tags,
                public,
                private,
                launch_time,
                zone,
                _struct_facts(instance, zone) if wants_facts else _NO_FACTS,  # type: ignore[arg-type]
            )
    builder.not_running = not_running
    return builder.fleet()


# --- --filter: describe-instances filters, on a piped document as EC2 applies them ----------


@dataclass(frozen=True)
class Filter:
    """One describe-instances filter: `Name=NAME,Values=V1,V2` (values OR'ed)."""

    name: str
    values: tuple[str, ...]


_FILTER = re.compile(r"Name=(?P<name>[^,=\s]+),Values=(?P<values>[^\x00-\x1f]*)")
_FILTER_PATHS: Mapping[str, tuple[str, ...]] = {
    "instance-id": ("InstanceId",),
    "instance-type": ("InstanceType",),
    "instance-state-name": ("State", "Name"),
    "instance-state-code": ("State", "Code"),
    "availability-zone": ("Placement", "AvailabilityZone"),
    "vpc-id": ("VpcId",),
    "subnet-id": ("SubnetId",),
    "image-id": ("ImageId",),
    "key-name": ("KeyName",),
    "architecture": ("Architecture",),
    "ip-address": ("PublicIpAddress",),
    "private-ip-address": ("PrivateIpAddress",),
    "dns-name": ("PublicDnsName",),
    "private-dns-name": ("PrivateDnsName",),
}
"""The filters a piped document is filtered by, and the field each reads; `tag:KEY`,
`tag-key` and `tag-value` besides. EC2 knows more: --discover passes any name to it."""


def parse_filter(text: str) -> Filter:
    """`Name=tag:Env,Values=prod,stage` (the AWS CLI's shorthand) -> a Filter."""
    found = _FILTER.fullmatch(text)
    values = tuple(found["values"].split(",")) if found else ()
    if found is None or not all(values):
        raise InventoryError(
            f"--filter {printable(text)!r:.80} is not Name=NAME,Values=VALUE[,VALUE...] "
            "(e.g. Name=tag:Env,Values=prod,stage)"
        )
    return Filter(found["name"], values)


FilterSet = tuple[Filter, ...]
"""Filters that must all match (AND'ed): one of include_filters or exclude_filters."""
_SET_SEPARATOR = re.compile(r"\s+(?=Name=)")


def parse_filter_set(text: str) -> FilterSet:
    """`Name=tag:Env,Values=prod Name=instance-type,Values=t3.micro` (the AWS CLI's
    shorthand for several filters, separated by spaces) -> the filters, all to match."""
    return tuple(parse_filter(part) for part in _SET_SEPARATOR.split(text.strip()))


def check_pipe_filters(filters: Sequence[Filter]) -> None:
    """Refuse, for a piped document, a filter name dockyard does not apply itself."""
    for item in filters:
        name = item.name
        if (
            name not in _FILTER_PATHS
            and name not in ("tag-key", "tag-value")
            and not (name.startswith("tag:") and len(name) > 4)
        ):
            raise InventoryError(
                f"--filter Name={printable(name)} is not applied to piped documents: use "
                "tag:KEY, tag-key, tag-value or one of "
                + ", ".join(_FILTER_PATHS)
                + " (with --discover EC2 applies any of its filters)"
            )


def _wildcard(value: str) -> re.Pattern[str]:
    """EC2's filter value syntax: `*` any run of characters, `?` exactly one, `\\` escapes."""
    parts, escaped = [], False
    for char in value:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append({"*": ".*", "?": "."}.get(char) or re.escape(char))
    if escaped:
        parts.append(re.escape("\\"))
    return re.compile("".join(parts), re.DOTALL)


def _filter_values(instance: Mapping[str, Any], name: str) -> list[str]:
    """The values of an instance a filter is matched against (any may match)."""
    raw = instance.get("Tags")
    tags = [t for t in raw if isinstance(t, Mapping)] if isinstance(raw, list) else []
    if name == "tag-key":
        return [str(t.get("Key")) for t in tags]
    if name == "tag-value":
        return [str(t.get("Value", "")) for t in tags]
    if name.startswith("tag:"):
        return [str(t.get("Value", "")) for t in tags if t.get("Key") == name[4:]]
    value: Any = instance
    for step in _FILTER_PATHS[name]:
        value = value.get(step) if isinstance(value, Mapping) else None
    if isinstance(value, bool) or value is None:
        return []
    return [str(value)]


def filter_document(
    document: object,
    filters: Sequence[Filter],
    *,
    include: Sequence[FilterSet] = (),
    exclude: Sequence[FilterSet] = (),
) -> tuple[object, int]:
    """The document with only the instances the filters keep, and how many were left out.

    Within a set filters are AND'ed, a filter's values OR'ed, values case-sensitive, as
    EC2 does. As the aws_ec2 plugin (build_include_filters, _query): `filters` is the
    first include set, an instance any include set matches is kept (all of them, without
    any set), and one any exclude set matches is left out."""
    sets = ([tuple(filters)] if filters else []) + [tuple(s) for s in include]
    for item in (*sets, *exclude):
        check_pipe_filters(item)
    compiled = [_compiled(item) for item in sets] or [[]]
    excluded = [_compiled(item) for item in exclude]
    reservations: list[dict[str, Any]] = []
    left_out = 0
    current: list[Any] = []
    last = None
    for where, instance in _instances(document):
        reservation = where.split(".", 1)[0]
        if reservation != last:
            current, last = [], reservation
            reservations.append({"Instances": current})
        if any(_matches(instance, patterns) for patterns in compiled) and not any(
            _matches(instance, patterns) for patterns in excluded
        ):
            current.append(instance)
        else:
            left_out += 1
    return {"Reservations": reservations}, left_out


_Patterns = list[tuple[str, list[re.Pattern[str]]]]


def _compiled(filters: Sequence[Filter]) -> _Patterns:
    return [(f.name, [_wildcard(v) for v in f.values]) for f in filters]


def _matches(instance: Mapping[str, Any], patterns: _Patterns) -> bool:
    """Whether every filter matches some value of the instance."""
    return all(
        any(p.fullmatch(v) for p in pats for v in _filter_values(instance, name))
        for name, pats in patterns
    )


def discover(
    *,
    region: str,
    name_prefix: str = DEFAULT_NAME_PREFIX,
    profile: str | None = None,
    endpoint_url: str | None = None,
    filters: Sequence[Filter] = (),
) -> dict[str, Any]:
    """Ask EC2 for the running instances named `<prefix>*`, as one describe-instances document.

    Filters by tag and by state *name* on the server (moto server lacks the
    `instance-state-code` filter), and by `filters`; the parser checks State.Code itself.
    Every page is read. The region comes from dockyard.hosts.region, as on every other path.
    """
    # boto3 costs ~0.3 s to import: only the --discover path pays for it.
    import boto3
    import botocore.exceptions

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        client = session.client("ec2", endpoint_url=endpoint_url)
        paginator = client.get_paginator("describe_instances")
        reservations: list[Any] = []
        wanted: list[Any] = [
            {"Name": "tag:Name", "Values": [f"{name_prefix}*"]},
            {"Name": "instance-state-name", "Values": ["running"]},
            *({"Name": item.name, "Values": list(item.values)} for item in filters),
        ]
        for page in paginator.paginate(Filters=wanted):
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
