"""Traffic rules for the Docker hosts (hostQos), as plain data: checked, turned into the
traffic_qos role's variables, and the role's tc counters read back.

A rule limits the packets a host sends (egress: an HTB class on its interface) or
receives (ingress: redirected to an ifb device and shaped there) from `source` to
`dest` to `rate`. Packets no rule matches are not classified and leave at the
interface's own speed (HTB's direct queue), so a host with rules sends its other traffic
as it did without them. A `source` may name a container or a compose or swarm service
(egress only): the role resolves it on the host at each run (docs/host-tuning.md).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

RULE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
CONTAINER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
"""Docker's container names ([a-zA-Z0-9][a-zA-Z0-9_.-]+), compose and swarm service names."""
RATE = re.compile(r"^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$")
RATE_UNITS = {"bit": 1, "kbit": 1_000, "mbit": 1_000_000, "gbit": 1_000_000_000}
PROTOCOLS = {"tcp": 6, "udp": 17, "any": None}
DIRECTIONS = ("egress", "ingress")
RULE_FIELDS = frozenset({"source", "dest", "rate", "direction"})
DEST_FIELDS = frozenset({"cidr", "port", "protocol"})
MAX_RULES = 200
FIRST_MINOR = 10
"""Class 1:10 is the first rule's (sorted by name), 1:11 the next; 1:1 and below are free."""
MIN_RATE = 8_000
MAX_RATE = 100_000_000_000
EXAMPLE = (
    "hostQos: {limit-h1: {source: 10.0.1.10/32, dest: {cidr: 10.0.2.0/24, port: 5201, "
    "protocol: tcp}, rate: 2mbit, direction: egress}}"
)


class QosError(ValueError):
    """A rule that cannot be applied: `where` names it (rule, or rule.field)."""

    def __init__(self, where: str, problem: str, fix: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where, self.problem, self.fix = where, problem, fix


@dataclass(frozen=True)
class QosRule:
    """One rule, checked: IPv4 CIDRs in canonical form, the rate in bits per second."""

    name: str
    source: str
    """A CIDR, or the container or service name when `container`."""
    dest: str
    port: int | None
    protocol: str
    """tcp, udp or any."""
    rate_bit: int
    direction: str
    container: bool = False
    """`source` names a container or a compose or swarm service on the host."""

    def role_entry(self, minor: int) -> dict[str, Any]:
        """This rule as the traffic_qos role reads it (class 1:`minor`, filter prio `minor`)."""
        return {
            "name": self.name,
            "minor": minor,
            "classid": f"1:{minor}",
            "source": self.source,
            "dest": self.dest,
            "port": self.port,
            "protocol": PROTOCOLS[self.protocol],
            "rate_bit": self.rate_bit,
            "direction": self.direction,
            "container": self.container,
        }


def parse_rate(text: object) -> int:
    """`2mbit` -> 2000000 (bits per second; tc's units, powers of 1000). ValueError
    otherwise: `mbps` is refused because tc reads it as megabytes per second."""
    value = str(text).strip().lower()
    match = RATE.match(value)
    if not match:
        why = " (tc reads mbps as megaBYTES per second: write mbit)" if "bps" in value else ""
        raise ValueError(f"{text!r} is not a rate like 2mbit, 500kbit or 1gbit{why}")
    bits = int(float(match.group(1)) * RATE_UNITS[match.group(2)])
    if not MIN_RATE <= bits <= MAX_RATE:
        raise ValueError(f"{text!r} is outside 8kbit..100gbit")
    return bits


def _cidr(where: str, value: object) -> str:
    try:
        network = ipaddress.ip_network(str(value).strip(), strict=True)
    except ValueError as err:
        raise QosError(
            where, f"{value!r} is not a CIDR block ({err})", "write it like 10.0.1.0/24"
        ) from None
    if network.version != 4:
        raise QosError(where, f"{value!r} is IPv6", "give an IPv4 CIDR (the hosts' VPC addresses)")
    return str(network)


def _source(name: str, value: object) -> tuple[str, bool]:
    """The rule's source: (an IPv4 CIDR, False) or (a container or service name, True).

    A name is resolved on the host each time the role applies the rules (traffic-qos.sh:
    the running container of that name, or the containers of the compose or swarm service
    of that name, and their addresses on their Docker networks)."""
    text = str(value).strip()
    if CONTAINER_NAME.match(text) and not re.fullmatch(r"[0-9.]+", text):
        return text, True
    return _cidr(f"{name}.source", value), False


def _unknown(where: str, given: Mapping[str, Any], known: frozenset[str]) -> None:
    extra = sorted(set(given) - known)
    if extra:
        raise QosError(where, f"unknown field {extra[0]!r}", f"use only {', '.join(sorted(known))}")


def _dest(name: str, value: object) -> tuple[str, int | None, str]:
    where = f"{name}.dest"
    if value is None:
        return "0.0.0.0/0", None, "any"
    if not isinstance(value, Mapping):
        raise QosError(
            where, "must be a map", "give {cidr: 10.0.2.0/24, port: 5201, protocol: tcp}"
        )
    _unknown(where, value, DEST_FIELDS)
    cidr = _cidr(f"{where}.cidr", value.get("cidr", "0.0.0.0/0"))
    protocol = str(value.get("protocol", "any")).lower()
    if protocol not in PROTOCOLS:
        raise QosError(f"{where}.protocol", f"{protocol!r} is not tcp, udp or any", "use tcp")
    port = value.get("port")
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise QosError(f"{where}.port", f"{port!r} is not a port number", "use 1-65535")
        if protocol == "any":
            raise QosError(f"{where}.port", "needs a protocol", "add protocol: tcp (or udp)")
    return cidr, port, protocol


def parse_rule(name: str, value: object) -> QosRule:
    """One rule of hostQos (`name` is its key), checked."""
    if not RULE_NAME.match(name):
        raise QosError(
            name, "is not a rule name", "use lowercase letters, digits and dashes, at most 40"
        )
    if not isinstance(value, Mapping):
        raise QosError(name, "must be a map", f"write it like {EXAMPLE}")
    _unknown(name, value, RULE_FIELDS)
    if "source" not in value or "rate" not in value:
        missing = "source" if "source" not in value else "rate"
        raise QosError(f"{name}.{missing}", "is required", f"write the rule like {EXAMPLE}")
    dest, port, protocol = _dest(name, value.get("dest"))
    try:
        rate = parse_rate(value["rate"])
    except ValueError as err:
        raise QosError(f"{name}.rate", str(err), "write it like 2mbit") from None
    direction = str(value.get("direction", "egress")).lower()
    if direction not in DIRECTIONS:
        raise QosError(f"{name}.direction", f"{direction!r} is not egress or ingress", "use egress")
    source, container = _source(name, value["source"])
    if container and direction != "egress":
        raise QosError(
            f"{name}.direction",
            f"is {direction}, but the source {source!r} is a container on the host, whose "
            "traffic the host sends",
            "use direction egress (or give the sending host's CIDR for an ingress rule)",
        )
    return QosRule(
        name=name,
        source=source,
        container=container,
        dest=dest,
        port=port,
        protocol=protocol,
        rate_bit=rate,
        direction=direction,
    )


def parse_rules(value: Mapping[str, Any]) -> list[QosRule]:
    """hostQos (rule name -> rule), checked, sorted by name."""
    if len(value) > MAX_RULES:
        raise QosError("hostQos", f"has {len(value)} rules", f"keep it to {MAX_RULES}")
    return [parse_rule(str(name), value[name]) for name in sorted(value, key=str)]


def role_vars(rules: Sequence[QosRule]) -> dict[str, Any]:
    """The traffic_qos role's variables for `rules` (none: the role removes every class)."""
    return {
        "traffic_qos_rules": [
            rule.role_entry(FIRST_MINOR + index) for index, rule in enumerate(rules)
        ]
    }


@dataclass(frozen=True)
class ClassCounters:
    """One HTB class as `tc -s class show` reports it."""

    device: str
    classid: str
    rate: str
    """As tc prints it (2Mbit)."""
    sent_bytes: int
    sent_packets: int
    drops: int
    overlimits: int


_CLASS = re.compile(r"^class htb (?P<classid>[0-9a-f]+:[0-9a-f]+) .*?\brate (?P<rate>\S+)")
_SENT = re.compile(
    r"^\s*Sent (?P<bytes>\d+) bytes (?P<packets>\d+) pkts? \(dropped (?P<drops>\d+), "
    r"overlimits (?P<overlimits>\d+)"
)


def parse_tc_classes(device: str, text: str) -> list[ClassCounters]:
    """`tc -s class show dev DEVICE` output (iproute2's text: its -j leaves HTB classes
    out) -> the HTB classes with their counters. ValueError when a class has no counters
    (the listing was not made with -s)."""
    found: list[ClassCounters] = []
    pending: re.Match[str] | None = None
    for line in text.splitlines():
        head = _CLASS.match(line)
        if head:
            if pending is not None:
                raise ValueError(f"class {pending['classid']} on {device} has no counters (tc -s)")
            pending = head
            continue
        sent = _SENT.match(line)
        if sent and pending is not None:
            found.append(
                ClassCounters(
                    device=device,
                    classid=pending["classid"],
                    rate=pending["rate"],
                    sent_bytes=int(sent["bytes"]),
                    sent_packets=int(sent["packets"]),
                    drops=int(sent["drops"]),
                    overlimits=int(sent["overlimits"]),
                )
            )
            pending = None
    if pending is not None:
        raise ValueError(f"class {pending['classid']} on {device} has no counters (tc -s)")
    return found


@dataclass(frozen=True)
class RuleCounters:
    """One rule as `dockyard qos` shows it: the rule, its class and that class's counters
    (None when the class is not on the host: the rules were not applied since)."""

    name: str
    direction: str
    classid: str
    rate_bit: int
    counters: ClassCounters | None


def parse_show(text: str) -> list[RuleCounters]:
    """The output of the traffic_qos role's `traffic-qos.sh show DIR` (sections
    `--- rules`, `--- egress DEVICE`, `--- ingress IFB`) -> each rule with its counters.
    ValueError when it is not that output."""
    sections: dict[str, tuple[str, list[str]]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        head = re.match(r"^--- (rules|egress|ingress)(?: (\S+))?$", line)
        if head:
            current = []
            sections[head.group(1)] = (head.group(2) or "", current)
        elif current is not None:
            current.append(line)
    if "rules" not in sections or "egress" not in sections:
        raise ValueError("not the output of traffic-qos.sh show (no rules or egress section)")
    try:
        rules = json.loads("\n".join(sections["rules"][1]))
    except ValueError:
        raise ValueError("the rules section is not JSON") from None
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise ValueError("the rules section is not a list of rules")
    classes = {
        direction: {c.classid: c for c in parse_tc_classes(device, "\n".join(lines))}
        for direction, (device, lines) in sections.items()
        if direction != "rules"
    }
    shown = []
    for rule in rules:
        direction = str(rule.get("direction", ""))
        classid = str(rule.get("classid", ""))
        shown.append(
            RuleCounters(
                name=str(rule.get("name", "")),
                direction=direction,
                classid=classid,
                rate_bit=int(rule.get("rate_bit", 0)),
                counters=classes.get(direction, {}).get(classid),
            )
        )
    return shown


def show_table(rules: Sequence[RuleCounters]) -> str:
    """One line per rule: name, direction, device, class, rate, sent bytes and packets,
    drops, overlimits (`not applied` when its class is missing)."""
    rows = [
        ("RULE", "DIRECTION", "DEVICE", "CLASS", "RATE", "SENT", "PACKETS", "DROPS", "OVERLIMITS")
    ]
    for rule in rules:
        c = rule.counters
        rate = f"{rule.rate_bit / 1_000_000:g}mbit"
        if c is None:
            rows.append(
                (rule.name, rule.direction, "-", rule.classid, rate, "not applied", "", "", "")
            )
            continue
        rows.append(
            (
                rule.name,
                rule.direction,
                c.device,
                c.classid,
                rate,
                f"{c.sent_bytes}B",
                str(c.sent_packets),
                str(c.drops),
                str(c.overlimits),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        + "\n"
        for row in rows
    )
