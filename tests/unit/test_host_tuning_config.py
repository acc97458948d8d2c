"""hostTuning and hostQos: checked into the roles' variables, bad values stop the program
naming the key and the fix, and on day 2 a change re-runs only the Ansible Command
(threadsPerCore: the instance change the provider makes of it)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from dockyard.hosts.qos import (
    ClassCounters,
    QosError,
    parse_rate,
    parse_rules,
    parse_show,
    parse_tc_classes,
    show_table,
)
from dockyard.hosts.qos import role_vars as qos_role_vars
from dockyard.hosts.tuning import TuningError, parse_tuning
from tests.harness.day2 import INSTANCE, next_up
from tests.harness.pulumi_program import config_error, evaluate
from tests.harness.tools import assert_bad_input, run_dockyard
from tests.harness.update_plan import REPLACE

COMMAND = "command:local:Command"
RULE = {
    "source": "10.0.1.10/32",
    "dest": {"cidr": "10.0.2.0/24", "port": 5201, "protocol": "tcp"},
    "rate": "2mbit",
}


@pytest.mark.parametrize(
    ("text", "bits"),
    [("2mbit", 2_000_000), ("500kbit", 500_000), ("1gbit", 1_000_000_000), ("1.5Mbit", 1_500_000)],
)
def test_rates_in_tc_units(text: str, bits: int) -> None:
    """Rates are tc's bit units, powers of 1000."""
    assert parse_rate(text) == bits


@pytest.mark.parametrize(
    ("text", "words"),
    [("2mbps", "megaBYTES"), ("fast", "not a rate"), ("1bit", "outside"), ("", "not a rate")],
)
def test_bad_rates(text: str, words: str) -> None:
    """mbps (megabytes to tc), words and rates too small are refused, saying why."""
    with pytest.raises(ValueError, match=words):
        parse_rate(text)


def test_rules_become_one_class_each_sorted_by_name() -> None:
    """Each rule gets its own class 1:10, 1:11... (sorted by name) with its match fields."""
    rules = parse_rules({"b-second": {**RULE, "direction": "ingress"}, "a-first": RULE})
    entries = qos_role_vars(rules)["traffic_qos_rules"]
    assert [(e["name"], e["classid"], e["direction"]) for e in entries] == [
        ("a-first", "1:10", "egress"),
        ("b-second", "1:11", "ingress"),
    ]
    assert entries[0] == {
        "name": "a-first",
        "minor": 10,
        "classid": "1:10",
        "source": "10.0.1.10/32",
        "dest": "10.0.2.0/24",
        "port": 5201,
        "protocol": 6,
        "rate_bit": 2_000_000,
        "direction": "egress",
        "container": False,
    }
    # no dest: every destination, any protocol
    [bare] = parse_rules({"all": {"source": "10.0.0.0/16", "rate": "1mbit"}})
    assert (bare.dest, bare.port, bare.protocol) == ("0.0.0.0/0", None, "any")


@pytest.mark.parametrize(
    ("rules", "where"),
    [
        ({"Bad Name": RULE}, "Bad Name"),
        ({"r": {**RULE, "source": "web", "direction": "ingress"}}, "r.direction"),
        ({"r": {**RULE, "source": "-web"}}, "r.source"),
        ({"r": {**RULE, "source": "web;reboot"}}, "r.source"),
        ({"r": {**RULE, "source": "w" * 129}}, "r.source"),
        ({"r": {**RULE, "source": "10.0.0.256"}}, "r.source"),
        ({"r": {**RULE, "source": "10.0.0.1/24"}}, "r.source"),
        ({"r": {**RULE, "source": "2001:db8::/32"}}, "r.source"),
        ({"r": {**RULE, "rate": "2mbps"}}, "r.rate"),
        ({"r": {**RULE, "direction": "both"}}, "r.direction"),
        ({"r": {**RULE, "dest": {"port": 80}}}, "r.dest.port"),
        ({"r": {**RULE, "dest": {"port": 0, "protocol": "tcp"}}}, "r.dest.port"),
        ({"r": {**RULE, "dest": {"protocol": "icmp"}}}, "r.dest.protocol"),
        ({"r": {**RULE, "dest": {"host": "x"}}}, "r.dest"),
        ({"r": {**RULE, "burst": "1k"}}, "r"),
        ({"r": {"rate": "1mbit"}}, "r.source"),
        ({"r": "2mbit"}, "r"),
    ],
)
def test_bad_rules_name_the_field(rules: dict[str, Any], where: str) -> None:
    """A rule that cannot be applied names the rule and field at fault."""
    with pytest.raises(QosError) as caught:
        parse_rules(rules)
    assert caught.value.where == where
    if where == "r.direction" and rules["r"]["source"] == "web":
        assert "container on the host" in caught.value.problem


@pytest.mark.parametrize(
    ("source", "container"),
    [("web", True), ("rails_web.1", True), ("db-1", True), ("10.0.1.10", False)],
)
def test_a_source_is_a_cidr_or_a_container_or_service_name(source: str, container: bool) -> None:
    """A Docker container or service name is kept as a name, for the host to resolve each
    time the rules are applied; a dotted quad stays an address (a /32)."""
    [rule] = parse_rules({"r": {**RULE, "source": source}})
    [entry] = qos_role_vars([rule])["traffic_qos_rules"]
    assert (entry["source"], entry["container"]) == (
        (source, True) if container else ("10.0.1.10/32", False)
    )


# as iproute2 6.1 prints it, trailing spaces included
TC_S_CLASS = "\n".join(
    [
        "class htb 1:10 root prio 0 rate 2Mbit ceil 2Mbit burst 1600b cburst 1600b ",
        " Sent 1533170 bytes 1013 pkt (dropped 7, overlimits 1402 requeues 0) ",
        " backlog 0b 0p requeues 0",
        " lended: 1013 borrowed: 0 giants: 0",
        " tokens: -36826 ctokens: -36826",
        "",
        "class htb 1:11 root prio 0 rate 500Kbit ceil 500Kbit burst 1599b cburst 1599b ",
        " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) ",
        " backlog 0b 0p requeues 0",
    ]
)


def test_tc_class_counters_parsed() -> None:
    """`tc -s class show` text (iproute2 6.1 leaves HTB classes out of -j) is read into
    each class's rate, bytes, packets, drops and overlimits."""
    assert parse_tc_classes("ens5", TC_S_CLASS) == [
        ClassCounters("ens5", "1:10", "2Mbit", 1533170, 1013, 7, 1402),
        ClassCounters("ens5", "1:11", "500Kbit", 0, 0, 0, 0),
    ]
    assert parse_tc_classes("ens5", "") == []
    with pytest.raises(ValueError, match="no counters"):
        parse_tc_classes("ens5", TC_S_CLASS.splitlines()[0])


def test_tuning_defaults_change_nothing() -> None:
    """No setting given: every role variable says leave it as it is."""
    assert parse_tuning({}).role_vars() == {
        "host_tuning_scheduler_nvme": "",
        "host_tuning_scheduler_other": "",
        "host_tuning_transparent_hugepages": "",
        "host_tuning_ksm": "",
        "host_tuning_sysctls": {},
    }


def test_tuning_settings_become_role_variables() -> None:
    """Named settings and extra sysctls merge into one sysctl map; KSM is 1 or 0."""
    tuning = parse_tuning(
        {
            "schedulerNvme": "none",
            "schedulerOther": "mq-deadline",
            "transparentHugePages": "madvise",
            "swappiness": 10,
            "zoneReclaimMode": "0",
            "ksm": False,
            "sysctls": {"net.core.somaxconn": 4096},
            "threadsPerCore": 1,
            "coreCount": 2,
        }
    )
    assert (tuning.threads_per_core, tuning.core_count) == (1, 2)
    assert tuning.role_vars() == {
        "host_tuning_scheduler_nvme": "none",
        "host_tuning_scheduler_other": "mq-deadline",
        "host_tuning_transparent_hugepages": "madvise",
        "host_tuning_ksm": "0",
        "host_tuning_sysctls": {
            "net.core.somaxconn": "4096",
            "vm.swappiness": "10",
            "vm.zone_reclaim_mode": "0",
        },
    }


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"schedulerNvme": "cfq"}, "schedulerNvme"),
        ({"transparentHugePages": "sometimes"}, "transparentHugePages"),
        ({"swappiness": 201}, "swappiness"),
        ({"swappiness": True}, "swappiness"),
        ({"zoneReclaimMode": "x"}, "zoneReclaimMode"),
        ({"ksm": "maybe"}, "ksm"),
        ({"threadsPerCore": 3, "coreCount": 1}, "threadsPerCore"),
        # botocore's ec2 CpuOptionsRequest: both must be in the request
        ({"threadsPerCore": 1}, "coreCount"),
        ({"coreCount": 2}, "threadsPerCore"),
        ({"threadsPerCore": 1, "coreCount": 0}, "coreCount"),
        ({"sysctls": {"bad name": 1}}, "sysctls.bad name"),
        ({"sysctls": {"net.core.somaxconn": "1; reboot"}}, "sysctls.net.core.somaxconn"),
        ({"sysctls": {"vm.swappiness": 1}}, "sysctls.vm.swappiness"),
        ({"hugePages": 1}, "hugePages"),
    ],
)
def test_bad_tuning_names_the_setting(value: dict[str, Any], where: str) -> None:
    """cfq is gone from blk-mq kernels; each bad setting is named."""
    with pytest.raises(TuningError) as caught:
        parse_tuning(value)
    assert caught.value.where == where


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"dockyard:hostQos": {"r": {**RULE, "rate": "2mbps"}}}, "r.rate"),
        ({"dockyard:hostQos": ["r"]}, "must be a map"),
        ({"dockyard:hostTuning": {"swappiness": "high"}}, "swappiness"),
        ({"dockyard:hostTuning": {"threadsPerCore": 4, "coreCount": 1}}, "threadsPerCore"),
        ({"dockyard:hostTuning": {"threadsPerCore": 1}}, "coreCount is needed too"),
        # EC2's VCpuInfo (DescribeInstanceTypes, moto's copy of AWS's data): t2 types take
        # no CPU options, Graviton types one thread per core, m6i.large one core
        (
            {
                "dockyard:hostTuning": {"threadsPerCore": 1, "coreCount": 1},
                "dockyard:instanceType": "t2.micro",
            },
            "t2.micro takes no CPU options",
        ),
        (
            {
                "dockyard:hostTuning": {"threadsPerCore": 2, "coreCount": 2},
                "dockyard:instanceType": "m7g.large",
            },
            "2 is not one m7g.large takes (1)",
        ),
        (
            {
                "dockyard:hostTuning": {"threadsPerCore": 1, "coreCount": 2},
                "dockyard:instanceType": "m6i.large",
            },
            "2 is not a core count m6i.large takes (1)",
        ),
    ],
)
def test_bad_config_stops_the_program_naming_the_key(overrides: dict[str, Any], words: str) -> None:
    """The program stops with a ConfigError naming hostQos or hostTuning, and the fix."""
    key = next(iter(overrides))
    message = config_error(lambda: evaluate(overrides), key, words)
    assert "Fix:" in message


def test_rules_and_settings_reach_the_playbook_and_its_triggers(tmp_path: Any) -> None:
    """The roles' variables travel in the Command's extra variables (ansibleExtraVars
    overrides them) and, readable, in its triggers; unset settings in neither."""
    key = tmp_path / "id"
    key.write_text("k\n")
    result = evaluate(
        {
            "dockyard:runAnsible": "true",
            "dockyard:sshPrivateKeyPath": str(key),
            "dockyard:hostQos": {"r": RULE},
            "dockyard:hostTuning": {"swappiness": 10},
            "dockyard:ansibleExtraVars": {"host_tuning_sysctls": {"vm.swappiness": "20"}},
        }
    )
    [command] = result.of_type(COMMAND)
    extra = json.loads(command.inputs["environment"]["DOCKYARD_EXTRA_VARS"])
    assert extra["traffic_qos_rules"][0]["rate_bit"] == 2_000_000
    assert extra["host_tuning_sysctls"] == {"vm.swappiness": "20"}  # ansibleExtraVars wins
    assert "host_tuning_ksm" not in extra
    readable = json.loads(command.plain_inputs["triggers"][5])
    assert readable["traffic_qos_rules"][0]["name"] == "r"
    # only what differs from the roles' defaults
    assert set(readable) == {"traffic_qos_rules", "host_tuning_sysctls"}


@pytest.mark.parametrize(
    "after",
    [
        {"dockyard:hostQos": {"limit-h1": RULE}},
        {"dockyard:hostTuning": {"swappiness": 10, "transparentHugePages": "never"}},
    ],
)
def test_adding_rules_or_settings_reruns_only_the_command(after: dict[str, Any]) -> None:
    """Day 2: a new hostQos rule or hostTuning setting replaces the Ansible Command (its
    triggers) and changes nothing else."""
    changes = next_up(after=after)
    assert [(c.op, c.typ, c.name) for c in changes] == [(REPLACE, COMMAND, "ansible-playbook")]
    assert "triggers[5]" in changes[0].forcing


def test_threads_per_core_replaces_the_hosts() -> None:
    """threadsPerCore is EC2's cpu_options.threads_per_core, ForceNew in the provider
    (terraform-provider-aws internal/service/ec2/ec2_instance.go @0015dfcd): each host is
    replaced (its interface and Elastic IP stay), then the playbook runs again."""
    changes = next_up(after={"dockyard:hostTuning": {"threadsPerCore": 1, "coreCount": 1}})
    instances = [c for c in changes if c.typ == INSTANCE]
    assert {c.name for c in instances} == {"docker-host-1", "docker-host-2"}
    for change in instances:
        assert change.op == REPLACE
        assert change.forcing == ("cpuOptions.coreCount", "cpuOptions.threadsPerCore")
        assert "ec2_instance.go @0015dfcd" in str(change)
    assert not [c for c in changes if c.typ == "aws:ec2/networkInterface:NetworkInterface"]
    assert not [c for c in changes if c.typ == "aws:ec2/eip:Eip"]


def test_show_output_becomes_one_line_per_rule() -> None:
    """`traffic-qos.sh show` (the rules, then tc -s per device) is read into each rule's
    counters; a rule whose class is missing on the host shows as not applied."""
    rules = [
        {"name": "limit-a", "direction": "egress", "classid": "1:10", "rate_bit": 2_000_000},
        {"name": "limit-b", "direction": "ingress", "classid": "1:11", "rate_bit": 500_000},
    ]
    text = "\n".join(["--- rules", json.dumps(rules), "--- egress ens5", TC_S_CLASS])
    shown = parse_show(text)
    assert [(r.name, r.counters is not None) for r in shown] == [
        ("limit-a", True),
        ("limit-b", False),
    ]
    assert shown[0].counters == ClassCounters("ens5", "1:10", "2Mbit", 1533170, 1013, 7, 1402)
    lines = show_table(shown).splitlines()
    assert lines[0].split() == [
        "RULE", "DIRECTION", "DEVICE", "CLASS", "RATE", "SENT", "PACKETS", "DROPS", "OVERLIMITS"
    ]  # fmt: skip
    assert lines[1].split() == [
        "limit-a", "egress", "ens5", "1:10", "2mbit", "1533170B", "1013", "7", "1402"
    ]  # fmt: skip
    assert lines[2].split() == ["limit-b", "ingress", "-", "1:11", "0.5mbit", "not", "applied"]
    with pytest.raises(ValueError, match="not the output"):
        parse_show("hello")
    with pytest.raises(ValueError, match="not JSON"):
        parse_show("--- rules\n{nope\n--- egress ens5\n")


@pytest.mark.parametrize("rules_dir", ["relative/dir", "/etc/x;reboot", "/etc/$(id)"])
def test_qos_refuses_a_rules_dir_that_is_not_a_plain_path(rules_dir: str, tmp_path: Any) -> None:
    """`dockyard qos --rules-dir` goes into the remote command: only a plain absolute path
    is taken (exit 2, one line), before anything is read or run."""
    proc = run_dockyard(["qos", "--rules-dir", rules_dir], "{}", tmp_path, os.environ)
    assert_bad_input(proc, "is not a plain absolute path")
