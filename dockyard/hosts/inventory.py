"""Ansible inventory model and its renderers: the single implementation.

Hosts may come from Pulumi outputs (components/hosts/ansible_run.py), a
describe-instances pipe or EC2 itself (the `dockyard inventory` CLI); they all end
up as `Host` values passed to `build_inventory`, and every format is rendered
from the resulting `Inventory`. Same hosts in, same bytes out.

The groups are the seed's: `flocker_control_service` (the one control host),
`flocker_agents` and `flocker_docker_plugin` (every host) and `nodes:children`
of those three. As in the seed, a host's inventory name is the address Ansible
connects to.
"""

from __future__ import annotations

import ast
import ipaddress
import json
import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from operator import attrgetter, itemgetter, lt
from typing import Any

import msgspec

from dockyard.errors import DockyardError
from dockyard.hosts.machines import INSTANCE_ID, SSM_PROXY_OPTION

CONTROL_GROUP = "flocker_control_service"
AGENT_GROUP = "flocker_agents"
PLUGIN_GROUP = "flocker_docker_plugin"
NODES_GROUP = "nodes"
SEED_GROUPS = (CONTROL_GROUP, AGENT_GROUP, PLUGIN_GROUP)
FLOCKER_CONTROL_PORT = 4524
CONTROL_ROLE = "control"

_GROUP_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class InventoryError(DockyardError, ValueError):
    """Input that cannot make an inventory; the message names the problem and the fix."""


class Host(msgspec.Struct, frozen=True, gc=False):
    """One Docker host as Ansible sees it.

    A frozen msgspec Struct rather than a dataclass: a fleet of 100,000 is made in a
    tenth of the time, with the same constructor, equality and hash.
    """

    address: str
    """What Ansible connects to; also the host's inventory name, as in the seed."""
    name: str | None = None
    """The EC2 Name tag, e.g. `my-prefix-1`."""
    instance_id: str | None = None
    private_ip: str | None = None
    public_ip: str | None = None
    availability_zone: str | None = None
    role: str | None = None
    """`control` for the Flocker control host; anything else is an agent."""
    groups: tuple[str, ...] = ()
    """Extra groups the host belongs to (e.g. keyed groups from tags)."""
    hostname: str | None = None
    """The inventory name when it is not the address (`--hostname`); Ansible then
    connects to `address` through `ansible_host`."""
    variables: tuple[tuple[str, str], ...] = ()
    """Composed host variables (`--compose`), written after dockyard's own (a composed
    `ansible_host` wins)."""


def host_name(host: Host) -> str:
    """The host's inventory name: its `hostname` if it has one, else its address."""
    return host.hostname or host.address


_HOSTNAME = attrgetter("hostname")
_VARIABLES = attrgetter("variables")


@dataclass(frozen=True)
class Inventory:
    """A validated inventory: hosts in a stable order and the one control host."""

    hosts: tuple[Host, ...]
    control: Host
    ansible_user: str | None = None
    ssm: bool = False
    """Ansible reaches each host through Session Manager (the stack's `ssm` switch):
    `ansible_host` is the instance id, which the ProxyCommand (SSM_PROXY_OPTION, the one
    `dockyard ssh` uses) hands to `aws ssm start-session`."""
    hostvars_prefix: str = ""
    hostvars_suffix: str = ""
    """Around the names of the variables that come from the instance (ec2_name,
    instance_id, private_ip, public_ip, availability_zone), as the aws_ec2 plugin's
    hostvars_prefix/hostvars_suffix."""


def _sort_key(host: Host) -> tuple[str, str]:
    return (host.instance_id or "", host.address)


_INSTANCE_ID = attrgetter("instance_id")


def sorted_hosts(hosts: Iterable[Host]) -> tuple[Host, ...]:
    """Hosts by instance id, then address; hosts without an id first."""
    hosts = tuple(hosts)
    ids = list(map(_INSTANCE_ID, hosts))
    if None not in ids and all(map(lt, ids, islice(ids, 1, None))):
        return hosts  # in order and unique already (a Fleet's hosts): nothing to sort
    if None not in ids and len(set(ids)) == len(ids):
        # Unique ids (as EC2 gives) alone decide: no key tuple per host, no Python call.
        return tuple(sorted(hosts, key=_INSTANCE_ID))
    return tuple(sorted(hosts, key=_sort_key))


def _usable_group(group: str) -> bool:
    return bool(_GROUP_NAME.match(group)) and group not in (*SEED_GROUPS, NODES_GROUP, "all")


_DNS_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_HOST_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
"""An inventory name other than the address (`--hostname tag:Name`): a DNS-style name
that may hold `_`, as Ansible's own host names do; never a pattern, port or comment."""
_ODD_DOTS = re.compile(r"\.\.|\.-|-\.")
_ADDRESS_LINES = re.compile(r"[A-Za-z0-9.\n-]+")
_ODD_PAIRS = ("\n.", ".\n", "\n-", "-\n", "\n\n", "..", ".-", "-.")
"""With no line starting or ending in `.` or `-`: the rules of _is_address, for every
address (or id) at once, one per line (substring tests run at memchr speed)."""


def _is_address(address: str) -> bool:
    """An IP address (v4 or v6) or a DNS-style host name (letters, digits, `-`, dots
    between labels): what Ansible takes as exactly one host."""
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return _DNS_NAME.fullmatch(address) is not None and not _ODD_DOTS.search(address)
    return True


def _lines_are(text: str) -> bool:
    """True when every line of `text` is an id or a DNS-style name (no odd dots or dashes)."""
    return (
        _ADDRESS_LINES.fullmatch(text) is not None
        and text[0] not in ".-"
        and text[-1] not in ".-"
        and not any(pair in text for pair in _ODD_PAIRS)
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters (a newline in an EC2 Name tag, say): they would split or corrupt an
INI line and Ansible's view of the host. Lone surrogates (a JSON `\\ud800`) cannot be
written as UTF-8 at all."""
_TEXT_FIELDS = (
    *("name", "instance_id", "private_ip", "public_ip", "availability_zone", "role"),
    "hostname",
)


def _has_control(text: str) -> bool:
    """Whether `text` holds a _CONTROL character (printable ASCII, as EC2 writes, is
    decided in C without the regex)."""
    return not (text.isascii() and text.isprintable()) and _CONTROL.search(text) is not None


_HOSTS_JSON = msgspec.json.Encoder()


def _may_hold_control(ordered: Sequence[Host]) -> bool:
    """Whether a text field of some host may hold a control character. The hosts as JSON
    in one C call first: ASCII without a backslash (which escapes every control character
    but DEL) and without DEL holds none; else each field is searched."""
    try:
        encoded = _HOSTS_JSON.encode(ordered)
    except (UnicodeEncodeError, msgspec.EncodeError):  # a lone surrogate
        return True
    if encoded.isascii() and b"\\" not in encoded and b"\x7f" not in encoded:
        return False
    return any(
        _has_control("".join(filter(None, map(attrgetter(f), ordered)))) for f in _TEXT_FIELDS
    )


def _control_character(host: Host) -> str | None:
    """The first field of `host` that holds a control character, if any."""
    values = [getattr(host, field) or "" for field in _TEXT_FIELDS]
    if not _CONTROL.search("".join(values)):
        return None
    return next(f for f, v in zip(_TEXT_FIELDS, values, strict=True) if _CONTROL.search(v))


def _check_hostname(host: Host, label: str, seen: set[str]) -> None:
    """Raise InventoryError for an inventory name (`--hostname`) Ansible would misread or
    that another host already has."""
    name = host.hostname
    if name is None:
        return
    if _HOST_NAME.fullmatch(name) is None or _ODD_DOTS.search(name):
        raise InventoryError(
            f"{label}: the host name {name!r} (from --hostname) is not a DNS-style name "
            "(letters, digits, '.', '-', '_'); Ansible would read it as a pattern, a port or "
            "a comment: fix the tag, or put another kind first in --hostname"
        )
    if name in seen:
        raise InventoryError(
            f"host name {name} (from --hostname) is given to two hosts: put a kind that is "
            "unique per host (id, ip) in --hostname, or fix the tag"
        )
    seen.add(name)


def _check_hosts(ordered: Sequence[Host]) -> None:
    """Raise InventoryError for the first host without a usable, unique address or groups,
    or with a control character in any of its values."""
    seen: set[str] = set()
    seen_ids: set[str] = set()
    seen_names: set[str] = set()
    for host in ordered:
        bad = _control_character(host)
        if bad is not None:
            raise InventoryError(
                f"instance {host.instance_id or host.address!r} has a control character in "
                f"its {bad.replace('_', ' ')} ({getattr(host, bad)!r}): fix the EC2 tag "
                "(aws ec2 create-tags --resources ID --tags Key=Name,Value=...) or leave the "
                "instance out with --name-prefix"
            )
        label = host.name or host.instance_id or "a host"
        if not host.address or not host.address.strip():
            raise InventoryError(
                f"{label} has no address for Ansible to connect to: give it a public or "
                "private IP (or choose the other address kind)"
            )
        if any(ch.isspace() for ch in host.address):
            raise InventoryError(f"{label} has an address with whitespace: {host.address!r}")
        if not _is_address(host.address):
            raise InventoryError(
                f"{label} has the address {host.address!r}, which is neither an IP address nor "
                "a DNS name (Ansible would read it as a pattern, a port or a comment): check "
                "the describe-instances input"
            )
        if host.address in seen:
            raise InventoryError(
                f"address {host.address} appears twice: each host needs its own address"
            )
        seen.add(host.address)
        _check_hostname(host, label, seen_names)
        if host.instance_id is not None:
            if not INSTANCE_ID.fullmatch(host.instance_id):
                raise InventoryError(
                    f"{label}: instance id {host.instance_id!r} is not an EC2 instance id "
                    "(letters, digits and '-'); it would reach ssh's command line as "
                    "HostKeyAlias: check the describe-instances input"
                )
            if host.instance_id in seen_ids:
                raise InventoryError(
                    f"instance id {host.instance_id} appears twice: each host needs its own "
                    "(its known_hosts entry is keyed by it); check the describe-instances input"
                )
            seen_ids.add(host.instance_id)
        for group in host.groups:
            if not _usable_group(group):
                raise InventoryError(
                    f"{label}: {group!r} is not a usable extra group name (letters, digits "
                    "and underscores, not a seed group)"
                )


def _names_are_usable(ordered: Sequence[Host], addresses: Sequence[str]) -> bool:
    """Whether every inventory name is a usable host name and none is given twice."""
    names = [h.hostname or a for h, a in zip(ordered, addresses, strict=True)]
    return len(set(names)) == len(names) and all(
        _HOST_NAME.fullmatch(n) is not None and not _ODD_DOTS.search(n)
        for n in filter(None, map(_HOSTNAME, ordered))
    )


def build_inventory(
    hosts: Iterable[Host],
    *,
    ansible_user: str | None = None,
    control_address: str | None = None,
    ssm: bool = False,
    hostvars_prefix: str = "",
    hostvars_suffix: str = "",
) -> Inventory:
    """Validate hosts and choose the control host.

    Hosts are sorted by instance id, then address. The control host is
    `control_address` if given, else the first host whose role is `control`, else
    the first host in that order. With `ssm` every host needs an instance id (Session
    Manager's target).
    """
    ordered = sorted_hosts(hosts)
    if not ordered:
        raise InventoryError(
            "no hosts to put in the inventory: check the name prefix and that the "
            "instances are running"
        )
    addresses = [h.address for h in ordered]
    ids = [h.instance_id for h in ordered if h.instance_id is not None]
    # Whole-list checks in C first (100,000 hosts in milliseconds); only when one fails
    # does _check_hosts walk the hosts to name the first one at fault.
    if (
        " ".join(addresses).split() != addresses
        or len(set(addresses)) != len(addresses)
        or len(set(ids)) != len(ids)
        or not _lines_are("\n".join(addresses))
        or (ids and not _lines_are("\n".join(ids)))
        or "." in "".join(ids)
        or not all(_usable_group(g) for g in {g for h in ordered for g in h.groups})
        or (any(map(_HOSTNAME, ordered)) and not _names_are_usable(ordered, addresses))
        or _may_hold_control(ordered)
    ):
        _check_hosts(ordered)
    if control_address is not None:
        try:
            control = ordered[addresses.index(control_address)]
        except ValueError:
            raise InventoryError(
                f"control host {control_address} is not among the hosts: pick one of "
                + ", ".join(addresses)
            ) from None
    else:
        tagged = [h for h in ordered if h.role == CONTROL_ROLE]
        control = tagged[0] if tagged else ordered[0]
    _check_affixes(hostvars_prefix, hostvars_suffix)
    if any(map(_VARIABLES, ordered)):
        _check_variables(ordered)
    if ssm:
        for host in ordered:
            if host.instance_id is None:
                raise InventoryError(
                    f"{host.name or host.address} has no instance id, which Session Manager "
                    "needs as its target: check the hosts output, or turn ssm off"
                )
    return Inventory(
        hosts=ordered,
        control=control,
        ansible_user=ansible_user,
        ssm=ssm,
        hostvars_prefix=hostvars_prefix,
        hostvars_suffix=hostvars_suffix,
    )


_AFFIX = re.compile(r"[A-Za-z0-9_]*")


def _check_affixes(prefix: str, suffix: str) -> None:
    """Raise InventoryError unless prefix + NAME + suffix is an Ansible variable name."""
    if not _AFFIX.fullmatch(prefix) or not _AFFIX.fullmatch(suffix) or prefix[:1].isdigit():
        raise InventoryError(
            f"hostvars prefix {prefix[:30]!r} / suffix {suffix[:30]!r}: use letters, digits "
            "and '_' (a prefix not starting with a digit), so the names stay variable names"
        )


def _check_variables(ordered: Sequence[Host]) -> None:
    """Raise InventoryError for a composed value Ansible would misread: a control
    character, or an ansible_host that is not one address or name."""
    for host in ordered:
        label = host.name or host.instance_id or host.address
        for key, value in host.variables:
            if _CONTROL.search(value):
                raise InventoryError(
                    f"{label}: the composed {key} ({value[:60]!r}) holds a control "
                    "character: fix the instance field, or compose another"
                )
            if key == "ansible_host" and not _is_address(value):
                raise InventoryError(
                    f"{label}: the composed ansible_host {value[:60]!r} is neither an IP "
                    "address nor a DNS name: compose it from an address field "
                    "(private_ip_address, public_dns_name...)"
                )


_HOST_FIELDS = {
    "ec2_name": "name",
    "instance_id": "instance_id",
    "private_ip": "private_ip",
    "public_ip": "public_ip",
    "availability_zone": "availability_zone",
}
"""Host variable -> the `Host` field it shows, in the order written (after ansible_user
and ansible_ssh_extra_args)."""
HOST_KEY_ALIAS = "-oHostKeyAlias={}"
SSM_EXTRA_ARGS = " -o " + shlex.quote(SSM_PROXY_OPTION)
"""What ssm adds to ansible_ssh_extra_args (which Ansible's ssh plugin splits with shlex):
the ProxyCommand `dockyard ssh` uses. ansible_ssh_common_args is left to
run-playbook.sh, which pins host keys in the stack's known_hosts file through it."""


def host_key_alias(host: Host) -> str | None:
    """ssh's HostKeyAlias for a host: its instance id, so known_hosts entries are keyed by
    instance. A replaced instance at the same address is a new host (accepted on first
    use under StrictHostKeyChecking=accept-new); a changed key for the same instance is
    still refused."""
    return HOST_KEY_ALIAS.format(host.instance_id) if host.instance_id else None


def host_vars(inventory: Inventory, host: Host) -> dict[str, str]:
    """The variables each host carries, in a fixed order, empty ones left out."""
    hvars = {"ansible_user": inventory.ansible_user} if inventory.ansible_user else {}
    if inventory.ssm and host.instance_id:
        hvars = {"ansible_host": host.instance_id, **hvars}
    elif host.hostname and host.hostname != host.address:
        hvars = {"ansible_host": host.address, **hvars}
    alias = host_key_alias(host)
    if alias:
        hvars["ansible_ssh_extra_args"] = alias + (SSM_EXTRA_ARGS if inventory.ssm else "")
    prefix, suffix = inventory.hostvars_prefix, inventory.hostvars_suffix
    for key, field in _HOST_FIELDS.items():
        value = getattr(host, field)
        if value:
            hvars[f"{prefix}{key}{suffix}"] = value
    hvars["dockyard_role"] = CONTROL_ROLE if host == inventory.control else "agent"
    if host.variables:
        hvars.update(host.variables)
    return hvars


def groups(inventory: Inventory) -> dict[str, list[str]]:
    """Group name -> host addresses: the seed's groups first, then extra groups sorted."""
    everyone = [h.address for h in inventory.hosts]
    if any(map(_HOSTNAME, inventory.hosts)):
        everyone = list(map(host_name, inventory.hosts))
    result: dict[str, list[str]] = {
        CONTROL_GROUP: [host_name(inventory.control)],
        AGENT_GROUP: everyone,
        PLUGIN_GROUP: list(everyone),
    }
    extra: dict[str, list[str]] = {}
    for host in inventory.hosts:
        for group in host.groups:
            extra.setdefault(group, []).append(host_name(host))
    for name in sorted(extra):
        result[name] = extra[name]
    return result


_INI_PLAIN = re.compile(r"[A-Za-z0-9_.:/@+=-]+")
_NUMBERISH = re.compile(
    r"\n[+-]*\.?[0-9][^.\n]*(?:\.[^.\n]*)?(?=\n)"
    r"|\n[+-]*\.?[0-9][^\n]*[jJ]"
    r"|\n(?:True|False|None|\.\.\.)(?=\n)"
)
"""Values Python's literal_eval might read as something else than a string (`0`, `1e5`,
`0x1f`, `True`, `1+2j`): Ansible's INI parser reads every value with it. A dotted quad has
too many dots to be one, so a fleet of IPv4 addresses never matches."""
_JINJA = re.compile(r"\{[{%#]")
"""What makes a string a template for Ansible."""


_NUMBER_START = frozenset("0123456789+-.TFN")
"""The first characters a value literal_eval can read as a non-string may have."""


def _maybe_numbers(column: Sequence[str]) -> bool:
    """True when a value of the column might be read as a number, bool or None (cheap
    when no value starts like one: a column of names or ids is never searched)."""
    if _NUMBER_START.isdisjoint(map(itemgetter(0), column)):
        return False
    text = "\n".join(column)
    if "j" not in text and "J" not in text and "..." not in text and _two_dots_each(text):
        return False  # two dots and no j: not a number (a column of IPv4 addresses)
    return _NUMBERISH.search(f"\n{text}\n") is not None


_ALL_BUT_DOTS = bytes(c for c in range(256) if c not in b".\n")


def _two_dots_each(text: str) -> bool:
    """Whether every line of `text` holds at least two dots (in C: all but dots and
    newlines deleted, no line of fewer than two dots may be left)."""
    if not text.isascii():
        return False
    dots = b"\n" + text.encode().translate(None, _ALL_BUT_DOTS) + b"\n"
    return b"\n\n" not in dots and b"\n.\n" not in dots


def _reads_as_itself(value: str) -> bool:
    """True when Ansible's INI parser reads the bare token back as this very string."""
    if not _INI_PLAIN.fullmatch(value):
        return False
    if not _NUMBERISH.search(f"\n{value}\n"):
        return True
    try:
        ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return True
    return False


_NUMBER_TERM = r"[+-]*[0-9.][0-9A-Za-z_.]*(?:(?<=[eE])[+-][0-9A-Za-z_.]*)?"
_MAYBE_LITERAL = re.compile(
    rf"{_NUMBER_TERM}(?:[+-]{_NUMBER_TERM})?|[+-]*(?:True|False|None)|\.\.\."
)
"""A superset of the tokens literal_eval reads as something else than a string: a number
(with its exponent's sign), at most one more after a `+` or `-` (`1+2j`), True, False,
None, `...`. A token it does not match (a GUID, with four dashes) reads as itself."""


def _ini_token(value: str) -> str:
    """_ini_value, with the common cases decided without literal_eval."""
    if value.isdigit() and value.isascii() and (value[0] != "0" or not value.strip("0")):
        return f"\"'{value}'\""  # an int to literal_eval: _ini_value's quoted literal
    if _INI_PLAIN.fullmatch(value) and not _MAYBE_LITERAL.fullmatch(value):
        return value
    return _ini_value(value)


def _ini_column(column: Sequence[str | None]) -> list[str | None]:
    """A column of values as INI tokens (None stays None): as is when none needs quoting,
    else each distinct value made a token once."""
    present = list(filter(None, column))
    if not present or (
        _INI_PLAIN.fullmatch("".join(present)) is not None and not _maybe_numbers(present)
    ):
        return list(column)
    tokens = {value: _ini_token(value) for value in set(present)}
    return [tokens[v] if v else v for v in column]


def _ini_value(value: str) -> str:
    """The INI token for a value, so that Ansible reads back exactly `value`.

    Ansible's INI plugin splits the line with shlex and reads each value with
    literal_eval: a bare token is kept only when literal_eval cannot read it; anything
    else is written as a Python string literal inside double quotes (shlex removes
    those, literal_eval reads the literal). INI values are always templates to Ansible,
    so a value holding a Jinja delimiter cannot be written safely and is refused.
    """
    if _JINJA.search(value):
        raise InventoryError(
            f"the value {value!r} holds a Jinja delimiter, which Ansible would render from "
            "an INI inventory: fix the EC2 tag, or write YAML or JSON (--format yaml|json), "
            "where dockyard marks such values unsafe"
        )
    if _reads_as_itself(value):
        return value
    literal = repr(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{literal}"'


class _Unsafe(str):
    """A string Ansible must never template: written as YAML `!unsafe`."""


def _marked(hvars: Mapping[str, str], mark: Callable[[str], Any]) -> dict[str, Any]:
    """Host vars with every value that holds a Jinja delimiter marked unsafe by `mark`."""
    return {k: mark(v) if _JINJA.search(v) else v for k, v in hvars.items()}


def _json_unsafe(value: str) -> dict[str, str]:
    """The marker Ansible's JSON decoder reads as an unsafe (never templated) string."""
    return {"__ansible_unsafe": value}


def dynamic_host_vars(inventory: Inventory, host: Host) -> dict[str, Any]:
    """A host's vars as the dynamic inventory answers them (`--list` _meta, `--host`)."""
    return _marked(host_vars(inventory, host), _json_unsafe)


def _ini_agent_line(inventory: Inventory, host: Host) -> str:
    return " ".join(
        [host_name(host), *(f"{k}={_ini_value(v)}" for k, v in host_vars(inventory, host).items())]
    )


def _sparse_lines(
    columns: Sequence[Sequence[str | None]], ids: Sequence[str | None], head: str
) -> list[str]:
    """Agent lines for a fleet where some hosts lack some variables (no public IP, say):
    one format per set of variables present, each made once; `ids` are the raw instance
    ids (for HostKeyAlias), the columns' values INI tokens."""
    keys = list(_HOST_FIELDS)
    id_at = keys.index("instance_id")
    formats: dict[tuple[bool, ...], str] = {}
    lines = []
    for instance_id, address, *fields in zip(ids, *columns, strict=True):
        present = tuple(map(bool, fields))
        line = formats.get(present)
        if line is None:
            alias = (
                " ansible_ssh_extra_args=" + HOST_KEY_ALIAS.format("%s") if present[id_at] else ""
            )
            line = formats[present] = (
                head
                + alias
                + "".join(f" {k}=%s" for k, p in zip(keys, present, strict=True) if p)
                + " dockyard_role=agent"
            )
        values = [v for v in fields if v]
        named = (instance_id,) if present[id_at] else ()
        lines.append(line % (address, *named, *values))
    return lines


def _ini_agents(inventory: Inventory) -> str:
    """The `flocker_agents` lines: `ADDRESS key=value ...`, values shell-quoted if need be."""
    hosts, control, user = inventory.hosts, inventory.control, inventory.ansible_user
    columns = [list(map(attrgetter(f), hosts)) for f in ("address", *_HOST_FIELDS.values())]
    # A fleet is written column-wise from one format (a third of the cost at 100,000
    # hosts), or from one format per set of variables present when some hosts lack some,
    # each column's values made INI tokens (quoted where need be) at once; a fleet with
    # per-host names, ssm, renamed or composed variables is written host by host.
    if (
        all(columns[0])
        and hosts.count(control) == 1
        and not any(map(_HOSTNAME, hosts))
        and not inventory.ssm
        and not (inventory.hostvars_prefix or inventory.hostvars_suffix)
        and not any(map(_VARIABLES, hosts))
    ):
        head = "%s" + (f" ansible_user={_ini_value(user)}".replace("%", "%%") if user else "")
        ids = columns[1 + list(_HOST_FIELDS).index("instance_id")]
        columns = [columns[0], *map(_ini_column, columns[1:])]
        if all(map(all, columns)):
            alias = " ansible_ssh_extra_args=" + HOST_KEY_ALIAS.format("%s")
            line = (
                head
                + alias
                + "".join(f" {key}=%s" for key in _HOST_FIELDS)
                + " dockyard_role=agent"
            )
            address, *fields = columns
            lines = list(map(line.__mod__, zip(address, ids, *fields, strict=True)))
        else:
            lines = _sparse_lines(columns, ids, head)
        lines[hosts.index(control)] = _ini_agent_line(inventory, control)
    else:
        lines = [_ini_agent_line(inventory, h) for h in hosts]
    return "\n".join(lines)


def render_ini(inventory: Inventory) -> str:
    """INI as the seed wrote it, with each host's vars on its `flocker_agents` line."""
    for host in inventory.hosts:
        if host.address.endswith(":"):  # `1::`: INI reads a trailing `:` as a port to come
            raise InventoryError(
                f"the IPv6 address {host.address} ends in ':', which Ansible's INI parser "
                "refuses: write YAML or JSON (--format yaml|json)"
            )
    sections = [
        f"[{group}]\n" + (_ini_agents(inventory) if group == AGENT_GROUP else "\n".join(members))
        for group, members in groups(inventory).items()
    ]
    sections.append("\n".join([f"[{NODES_GROUP}:children]", *SEED_GROUPS]))
    return "\n\n".join(sections) + "\n"


def to_yaml_dict(inventory: Inventory) -> dict[str, Any]:
    """The inventory in Ansible's YAML inventory structure (same tree as the INI)."""
    members = groups(inventory)
    seed = {group: {"hosts": dict.fromkeys(members[group])} for group in SEED_GROUPS}
    children: dict[str, Any] = {NODES_GROUP: {"children": seed}}
    for group, hosts in members.items():
        if group not in SEED_GROUPS:
            children[group] = {"hosts": dict.fromkeys(hosts)}
    return {
        "all": {
            "hosts": {
                host_name(h): _marked(host_vars(inventory, h), _Unsafe) for h in inventory.hosts
            },
            "children": children,
        }
    }


def _yaml_text(data: dict[str, Any]) -> str:
    # PyYAML costs ~10 ms to import: only YAML output (inventory, agent.yml) pays for it.
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(_Unsafe, lambda d, v: d.represent_scalar("!unsafe", str(v)))
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, default_flow_style=False)


def render_yaml(inventory: Inventory) -> str:
    """YAML inventory with the same groups, hosts and vars as the INI."""
    return _yaml_text(to_yaml_dict(inventory))


def dynamic_list(inventory: Inventory) -> dict[str, Any]:
    """The `--list` answer of Ansible's dynamic inventory protocol."""
    result: dict[str, Any] = {
        "_meta": {
            "hostvars": {host_name(h): dynamic_host_vars(inventory, h) for h in inventory.hosts}
        },
    }
    for group, members in groups(inventory).items():
        result[group] = {"hosts": members}
    result[NODES_GROUP] = {"children": list(SEED_GROUPS)}
    return result


def render_json(inventory: Inventory) -> str:
    """The dynamic-inventory `--list` document as JSON text."""
    return json.dumps(dynamic_list(inventory), indent=2) + "\n"


@dataclass(frozen=True)
class FlockerDataset:
    """The `dataset` section of Flocker's agent.yml (backend aws)."""

    region: str
    zone: str
    """An availability zone (`us-east-1a`) or, as in the seed, just its letter (`a`)."""
    access_key_id: str | None = None
    secret_access_key: str | None = None

    @property
    def availability_zone(self) -> str:
        return self.region + self.zone if len(self.zone) == 1 else self.zone


def render_agent_yml(control_address: str, dataset: FlockerDataset) -> str:
    """Flocker's agent.yml; credentials appear only when both are configured."""
    if not dataset.region:
        raise InventoryError("agent.yml needs a dataset region (e.g. us-east-1)")
    if not dataset.zone:
        raise InventoryError("agent.yml needs a dataset zone (e.g. us-east-1a or a)")
    if not dataset.availability_zone.startswith(dataset.region):
        raise InventoryError(
            f"zone {dataset.zone} is not in region {dataset.region}: use a zone of that region"
        )
    if bool(dataset.access_key_id) != bool(dataset.secret_access_key):
        raise InventoryError(
            "agent.yml credentials need both the access key id and the secret access key, "
            "or neither (then Flocker uses the instance role)"
        )
    data: dict[str, Any] = {"backend": "aws", "region": dataset.region}
    data["zone"] = dataset.availability_zone
    if dataset.access_key_id and dataset.secret_access_key:
        data["access_key_id"] = dataset.access_key_id
        data["secret_access_key"] = dataset.secret_access_key
    document = {
        "version": 1,
        "control-service": {"hostname": control_address, "port": FLOCKER_CONTROL_PORT},
        "dataset": data,
    }
    return _yaml_text(document)


def agent_yml_for(inventory: Inventory, dataset: FlockerDataset) -> str:
    """agent.yml pointing at the inventory's control host."""
    return render_agent_yml(inventory.control.address, dataset)


def render(inventory: Inventory, fmt: str) -> str:
    """Render in one of FORMATS."""
    try:
        renderer: Callable[[Inventory], str] = FORMATS[fmt]
    except KeyError:
        raise InventoryError(
            f"unknown inventory format {fmt!r}: use one of {', '.join(FORMATS)}"
        ) from None
    return renderer(inventory)


FORMATS: Mapping[str, Callable[[Inventory], str]] = {
    "ini": render_ini,
    "yaml": render_yaml,
    "json": render_json,
}
