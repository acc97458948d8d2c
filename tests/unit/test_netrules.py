"""dockyard.netrules.cidr_ingress: the one naming and grouping of "ingress from a CIDR
list" every flow uses (cluster admin ports, fio plots, the Rails load balancer)."""

from __future__ import annotations

import pytest

from dockyard.netrules import ADMIN_RULES, PortRule, cidr_ingress

PLOTS = PortRule("plots", "tcp", 8000, 8000, "fio plots")


@pytest.mark.parametrize(
    ("cidr", "ipv4", "ipv6", "suffix"),
    [
        ("198.51.100.7/32", "198.51.100.7/32", None, "plots-198-51-100-7-32"),
        ("0.0.0.0/0", "0.0.0.0/0", None, "plots-0-0-0-0-0"),
        ("2001:db8::/32", None, "2001:db8::/32", "plots-2001-db8---32"),
        ("::/0", None, "::/0", "plots-0"),
    ],
)
def test_family_by_address(cidr: str, ipv4: str | None, ipv6: str | None, suffix: str) -> None:
    """An IPv6 block goes to cidr_ipv6 only, an IPv4 block to cidr_ipv4 only; the name
    comes from the rule and the CIDR."""
    (rule,) = cidr_ingress([PLOTS], [cidr])
    assert (rule.cidr_ipv4, rule.cidr_ipv6, rule.suffix) == (ipv4, ipv6, suffix)


def test_reordering_changes_no_name() -> None:
    """The same CIDRs in another order give the same rules (only the position differs)."""
    cidrs = ["203.0.113.0/24", "2001:db8::/32", "10.8.0.0/16"]
    forward = cidr_ingress(ADMIN_RULES, cidrs)
    backward = cidr_ingress(ADMIN_RULES, list(reversed(cidrs)))
    assert [(r.suffix, r.cidr) for r in forward] == [(r.suffix, r.cidr) for r in backward]
    assert len({r.suffix for r in forward}) == len(forward) == 6


def test_a_block_listed_twice_gives_one_rule() -> None:
    """Two spellings of one block (2001:DB8::/32, 2001:db8::/32) are one rule, remembered at
    its first position (the name rules had before CIDR names)."""
    rules = cidr_ingress([PLOTS], ["192.0.2.0/24", "2001:DB8::/32", "2001:db8::/32"])
    assert [(r.cidr, r.legacy_index) for r in rules] == [
        ("192.0.2.0/24", 0),
        ("2001:db8::/32", 1),
    ]


def test_a_bad_cidr_is_named() -> None:
    """Host bits set: ValueError naming the value (the config reader catches these first)."""
    with pytest.raises(ValueError, match=r"198\.51\.100\.7/24"):
        cidr_ingress([PLOTS], ["198.51.100.7/24"])
