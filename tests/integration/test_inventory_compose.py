"""`dockyard inventory`'s include/exclude filter sets, `compose` and hostvars prefix/suffix
against moto server, read back with `ansible-inventory --list`.

moto applies the filter sets itself (describe-instances with each set): what it answers is
the expected fleet, on the pipe (fed by the real `aws ec2 describe-instances`) and with
`--discover` alike. Composed values are checked against what the aws_ec2 plugin would
compute: Jinja2 over the instance as that plugin makes its host variables (Ansible's
camel_dict_to_snake_dict, tags as a mapping).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.harness.inventory_cli import WRAPPER, ansible_groups, discover_args, dockyard
from tests.harness.inventory_cli import run_instances as _run
from tests.harness.moto import REGION, MotoServer
from tests.harness.tools import require_tool

pytestmark = pytest.mark.integration

HOSTILE = "{{ lookup('pipe', 'id') }}"


def _fleet(moto: MotoServer) -> dict[str, list[str]]:
    fleet = {
        "prod": _run(moto, 2, {"Name": "my-prefix-web", "Env": "prod"}, InstanceType="t3.micro"),
        "stage": _run(moto, 2, {"Name": "my-prefix-db", "Env": "stage"}, InstanceType="m5.large"),
        "odd": _run(moto, 1, {"Name": "my-prefix-odd", "Env": HOSTILE}, InstanceType="t3.micro"),
        "other": _run(moto, 1, {"Name": "other-web", "Env": "prod"}),
    }
    moto.client("ec2").stop_instances(InstanceIds=[fleet["prod"][1]])
    return fleet


def _described(moto: MotoServer) -> str:
    return subprocess.run(
        [require_tool("aws"), "ec2", "describe-instances", "--endpoint-url", moto.endpoint,
         "--region", REGION, "--output", "json"],
        env=moto.env, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip


def _moto_ids(moto: MotoServer, filter_set: str) -> set[str]:
    """What EC2 (moto) answers for one set, with dockyard's own name and state filters."""
    filters = [{"Name": "tag:Name", "Values": ["my-prefix*"]}]
    filters.append({"Name": "instance-state-name", "Values": ["running"]})
    for text in filter_set.split(" "):
        name, values = text.removeprefix("Name=").split(",Values=")
        filters.append({"Name": name, "Values": values.split(",")})
    pages = moto.client("ec2").describe_instances(Filters=filters)["Reservations"]
    return {i["InstanceId"] for r in pages for i in r["Instances"]}


SETS = [
    (["Name=tag:Env,Values=prod", "Name=instance-type,Values=m5.large"], []),
    (["Name=tag:Env,Values=stage Name=instance-type,Values=m5.large"], []),
    ([], ["Name=tag:Env,Values=stage"]),
    (["Name=instance-type,Values=t3.micro,m5.large"], ["Name=tag:Env,Values=prod"]),
    (["Name=tag:Env,Values=prod"], ["Name=tag:Env,Values=pro*"]),
]


@pytest.mark.parametrize(("include", "exclude"), SETS, ids=[str(i) for i in range(len(SETS))])
def test_filter_sets_keep_what_ec2_answers(
    include: list[str], exclude: list[str], moto_server: MotoServer, tmp_path: Path
) -> None:
    """Include sets OR'ed, exclude sets removed: the pipe and --discover keep exactly the
    instances moto answers for the sets (read back by ansible-inventory)."""
    _fleet(moto_server)
    args = [a for t in include for a in ("--include-filter", t)]
    args += [a for t in exclude for a in ("--exclude-filter", t)]
    expected = (
        set().union(*(_moto_ids(moto_server, s) for s in include))
        if include
        else (_moto_ids(moto_server, "Name=instance-state-name,Values=running"))
    )
    expected -= set().union(*(_moto_ids(moto_server, s) for s in exclude))
    piped = dockyard(
        "--name-prefix",
        "my-prefix",
        *args,
        "--format",
        "yaml",
        "-o",
        str(tmp_path / "piped"),
        moto=moto_server,
        stdin=_described(moto_server),
    )
    found = dockyard(*discover_args(moto_server), *args, "--format", "yaml", "-o",
                     str(tmp_path / "found"), moto=moto_server)  # fmt: skip
    if not expected:
        assert piped.returncode == found.returncode == 2
        return
    assert piped.returncode == 0 and found.returncode == 0, piped.stderr + found.stderr
    assert (tmp_path / "piped").read_text() == (tmp_path / "found").read_text()
    hostvars = ansible_groups(tmp_path / "piped", tmp_path)["_hostvars"]
    assert {v["instance_id"] for v in hostvars.values()} == expected


COMPOSE = {
    "ansible_host": "private_ip_address",
    "env": "tags.Env",
    "env_quoted": "tags['Env']",
    "zone": "placement.availability_zone",
    "subnet": "network_interfaces[0].subnet_id",
    "launch_index": "ami_launch_index",
}


def _text(value: Any) -> Any:
    """A value as ansible-inventory --list shows it, unsafe marking taken off (and checked:
    only a value holding a template is marked)."""
    if isinstance(value, dict) and "__ansible_unsafe" in value:
        assert "{{" in value["__ansible_unsafe"]
        return value["__ansible_unsafe"]
    return value


def _plugin_hostvars(instance: dict[str, Any]) -> dict[str, Any]:
    """The instance as the aws_ec2 plugin makes its host variables."""
    from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

    hostvars: dict[str, Any] = camel_dict_to_snake_dict(instance, ignore_list=["Tags"])
    hostvars["tags"] = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
    return hostvars


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("source", ["pipe", "discover"])
def test_compose_sets_what_the_plugin_would(
    fmt: str, source: str, moto_server: MotoServer, tmp_path: Path
) -> None:
    """--compose VAR=PATH: each value is what Jinja2 makes of the same path over the
    plugin's host variables; a hostile tag's template arrives as text (unsafe, never
    rendered); dockyard's own variables are as without it."""
    import jinja2

    _fleet(moto_server)
    args = [a for k, v in COMPOSE.items() for a in ("--compose", f"{k}={v}")]
    where = ["--name-prefix", "my-prefix"] if source == "pipe" else discover_args(moto_server)
    stdin = _described(moto_server) if source == "pipe" else None
    out = tmp_path / "inv"
    plain = dockyard(*where, "--format", fmt, "-o", "-", moto=moto_server, stdin=stdin)
    result = dockyard(*where, *args, "--format", fmt, "-o", str(out), moto=moto_server,
                      stdin=stdin)  # fmt: skip
    assert result.returncode == 0 and plain.returncode == 0, result.stderr + plain.stderr
    if fmt == "json":
        script = tmp_path / "serve"
        script.write_text(f"#!/bin/sh\nexec cat '{out}'\n")
        script.chmod(0o755)
        source_path = script
    else:
        source_path = out
    hostvars = ansible_groups(source_path, tmp_path)["_hostvars"]
    (tmp_path / "plain").write_text(plain.stdout)
    if fmt == "json":
        before = json.loads(plain.stdout)["_meta"]["hostvars"]
    else:
        before = ansible_groups(tmp_path / "plain", tmp_path)["_hostvars"]
    instances = {
        i["InstanceId"]: json.loads(json.dumps(i, default=str))
        for r in moto_server.client("ec2").describe_instances()["Reservations"]
        for i in r["Instances"]
    }
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    assert hostvars.keys() == before.keys() and len(hostvars) == 4
    for host, hvars in hostvars.items():
        plugin = _plugin_hostvars(instances[hvars["instance_id"]])
        for variable, path in COMPOSE.items():
            expected = str(env.compile_expression(path)(**plugin))
            assert _text(hvars[variable]) == expected, variable
        assert {k: v for k, v in hvars.items() if k not in COMPOSE} == {
            k: v for k, v in before[host].items() if k != "ansible_host"
        }
    assert {_text(v["env"]) for v in hostvars.values()} == {"prod", "stage", HOSTILE}


def test_compose_refuses_expressions_and_hostile_ansible_host(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """A Jinja2 expression (a filter, a lookup) or a connection variable is refused by
    name; an ansible_host composed from a tag holding no address is refused; an INI
    inventory with a template in a composed value is refused (YAML/JSON mark it unsafe)."""
    _fleet(moto_server)
    base = discover_args(moto_server)
    for compose, message in [
        ("env=tags.Env | upper", "is not a path into the instance"),
        ("x=lookup('pipe','id')", "is not a path into the instance"),
        ("ansible_ssh_common_args=tags.Env", "only ansible_host may be composed"),
        ("ansible_host=tags.Env", "is neither an IP address nor a DNS name"),
        ("env=tags.Env", "holds a Jinja delimiter"),
    ]:
        result = dockyard(
            *base, "--compose", compose, "-o", str(tmp_path / "inv"), moto=moto_server
        )
        assert result.returncode == 2 and message in result.stderr, (compose, result.stderr)
        assert not (tmp_path / "inv").exists()


@pytest.mark.parametrize("fmt", ["ini", "yaml"])
def test_hostvars_prefix_and_suffix_rename_only_the_instance_variables(
    fmt: str, moto_server: MotoServer, tmp_path: Path
) -> None:
    """--hostvars-prefix aws_ --hostvars-suffix _ec2: ec2_name... become aws_ec2_name_ec2...;
    ansible_* and dockyard_role keep their names; the values are the same."""
    _fleet(moto_server)
    base = [*discover_args(moto_server), "--exclude-filter", "Name=tag:Name,Values=my-prefix-odd"]
    plain = dockyard(*base, "--format", fmt, "-o", str(tmp_path / "plain"), moto=moto_server)
    fixed = dockyard(*base, "--hostvars-prefix", "aws_", "--hostvars-suffix", "_ec2",
                     "--format", fmt, "-o", str(tmp_path / "fixed"), moto=moto_server)  # fmt: skip
    assert plain.returncode == 0 and fixed.returncode == 0, plain.stderr + fixed.stderr
    before = ansible_groups(tmp_path / "plain", tmp_path)["_hostvars"]
    after = ansible_groups(tmp_path / "fixed", tmp_path)["_hostvars"]
    own = ("ansible_", "dockyard_")
    for host, hvars in before.items():
        assert after[host] == {
            (k if k.startswith(own) else f"aws_{k}_ec2"): v for k, v in hvars.items()
        }
    refused = dockyard(*base, "--hostvars-prefix", "a-b", "-o", "-", moto=moto_server)
    assert refused.returncode == 2 and "hostvars prefix" in refused.stderr


def test_the_dynamic_script_and_an_aws_ec2_config_take_them_too(
    moto_server: MotoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The options from DOCKYARD_INVENTORY_* variables, and from an aws_ec2.yml in the
    plugin's own shapes (filters and filter sets as mappings, hostnames by filter name,
    keyed_groups, compose, hostvars_prefix, cache); an unknown plugin key is refused by
    name. Read back by ansible-inventory running the script."""
    fleet = _fleet(moto_server)
    for key, value in {
        **moto_server.env,
        "DOCKYARD_PYTHON": sys.executable,
        "DOCKYARD_ENDPOINT_URL": moto_server.endpoint,
        "DOCKYARD_REGION": REGION,
        "DOCKYARD_CACHE_DIR": str(tmp_path / "cache"),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(
        "DOCKYARD_INVENTORY_INCLUDE_FILTERS",
        "Name=tag:Env,Values=prod\nName=tag:Env,Values=stage;Name=instance-type,Values=m5.large",
    )
    monkeypatch.setenv(
        "DOCKYARD_INVENTORY_EXCLUDE_FILTERS", f"Name=instance-id,Values={fleet['stage'][0]}"
    )
    monkeypatch.setenv(
        "DOCKYARD_INVENTORY_COMPOSE", "env=tags.Env;zone=placement.availability_zone"
    )
    monkeypatch.setenv("DOCKYARD_INVENTORY_HOSTVARS_PREFIX", "aws_")
    found = ansible_groups(WRAPPER, tmp_path)["_hostvars"]
    assert {v["aws_instance_id"] for v in found.values()} == {fleet["prod"][0], fleet["stage"][1]}
    assert {v["env"] for v in found.values()} == {"prod", "stage"}
    for name in ("INCLUDE_FILTERS", "EXCLUDE_FILTERS", "COMPOSE", "HOSTVARS_PREFIX"):
        monkeypatch.delenv(f"DOCKYARD_INVENTORY_{name}")

    config = tmp_path / "dev.aws_ec2.yml"
    config.write_text(
        "plugin: amazon.aws.aws_ec2\n"
        f"regions: [{REGION}]\n"
        "filters:\n  instance-type: [t3.micro, m5.large]\n"
        "include_filters:\n  - tag:Env: stage\n"
        "exclude_filters:\n  - tag:Name: my-prefix-odd\n"
        "hostnames: [private-ip-address]\n"
        "keyed_groups:\n  - key: tags.Env\n    prefix: tag_Env\n"
        "  - key: instance_type\n    prefix: instance_type\n"
        "compose:\n  env: tags.Env\n"
        "hostvars_prefix: aws_\n"
        "cache: true\ncache_timeout: 60\n"
    )
    monkeypatch.setenv("DOCKYARD_INVENTORY_CONFIG", str(config))
    groups = ansible_groups(WRAPPER, tmp_path)
    by_id = {v["aws_instance_id"]: host for host, v in groups["_hostvars"].items()}
    assert set(by_id) == {fleet["prod"][0], *fleet["stage"]}
    assert all(v["ansible_host"] == host for host, v in groups["_hostvars"].items()) or all(
        host == v["aws_private_ip"] for host, v in groups["_hostvars"].items()
    )
    assert groups["tag_Env_stage"] == sorted(by_id[i] for i in fleet["stage"])
    assert groups["instance_type_m5_large"] == groups["tag_Env_stage"]
    assert len(list((tmp_path / "cache").iterdir())) == 1

    config.write_text(config.read_text() + "strict: true\n")
    result = subprocess.run(
        [str(WRAPPER), "--list"], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 2 and "unknown setting 'strict'" in result.stderr
