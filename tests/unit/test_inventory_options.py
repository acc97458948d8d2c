"""`--hostname`, `--filter`, `--group-by`, `--config`: the pure parts, both parsers alike.

The same options through `fleet_from_json` (msgspec) and `fleet_from_document` (the
standard library) give the same fleet; filters follow EC2's documented rules (AND across
filters, OR across values, case-sensitive, `*` any run, `?` one character, `\\` escapes:
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Filter.html).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.cli import main
from dockyard.hosts import ec2
from dockyard.hosts.inventory import InventoryError, render_ini
from tests.harness.describe_instances import document, instance


def _doc() -> dict[str, object]:
    web = instance("i-01", public="54.0.0.1", private="10.0.0.1", name="my-prefix-web",
                   tags={"Env": "prod", "Team": "a b"})  # fmt: skip
    web.update(PublicDnsName="ec2-54-0-0-1.example", InstanceType="t3.micro", VpcId="vpc-9")
    db = instance("i-02", private="10.0.0.2", name="my-prefix-db", tags={"Env": "stage"},
                  zone="us-east-1b")  # fmt: skip
    db.update(InstanceType="m5.large")
    star = instance("i-03", private="10.0.0.3", name="x*y", tags={"Env": "pr?d"})
    stopped = instance("i-04", public="54.0.0.4", name="my-prefix-old", code=80)
    return document([web, db], [star, stopped])


def _both(**options: object) -> ec2.Fleet:
    doc = _doc()
    fast = ec2.fleet_from_json(json.dumps(doc).encode(), **options)  # type: ignore[arg-type]
    slow = ec2.fleet_from_document(doc, **options)  # type: ignore[arg-type]
    assert fast == slow
    return slow


@pytest.mark.parametrize(
    ("hostnames", "names"),
    [
        (("tag:Name",), ["my-prefix-web", "my-prefix-db", "x*y"]),
        (("dns", "private-ip"), ["ec2-54-0-0-1.example", None, None]),
        (("tag:Env", "id"), ["prod", "stage", "pr?d"]),
        (("id",), ["i-01", "i-02", "i-03"]),
        (("ip",), [None, None, None]),
    ],
    ids=["tag", "dns-then-private-ip", "tag-then-id", "id", "ip-is-the-address"],
)
def test_hostname_precedence(hostnames: tuple[str, ...], names: list[str | None]) -> None:
    """The first kind an instance has names it; a name equal to the address is no name."""
    fleet = _both(hostnames=hostnames)
    assert [h.hostname for h in fleet.hosts] == names


def test_a_hostname_ansible_would_misread_is_refused() -> None:
    """A Name tag with `*` is a pattern to Ansible: refused, naming --hostname."""
    fleet = _both(hostnames=("tag:Name",))
    with pytest.raises(InventoryError, match="from --hostname"):
        render_ini(fleet.inventory())


def test_group_by_keys_are_sanitised_group_names() -> None:
    """tag:Team `a b` -> tag_Team_a_b; zone, type and VPC groups with their prefixes."""
    fleet = _both(group_by=("tag:Team", "placement.availability_zone", "instance_type", "vpc_id"))
    groups = {h.instance_id: h.groups for h in fleet.hosts}
    assert groups["i-01"] == (
        "availability_zone_us_east_1a", "instance_type_t3_micro", "tag_Team_a_b", "vpc_id_vpc_9"
    )  # fmt: skip
    assert groups["i-02"] == ("availability_zone_us_east_1b", "instance_type_m5_large")


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        (["Name=tag:Env,Values=prod"], {"i-01"}),
        (["Name=tag:Env,Values=prod,stage"], {"i-01", "i-02"}),
        (["Name=tag:Env,Values=PROD"], set()),
        (["Name=tag:Env,Values=pr?d"], {"i-01", "i-03"}),
        (["Name=tag:Env,Values=pr\\?d"], {"i-03"}),
        (["Name=tag:Name,Values=*-db"], {"i-02"}),
        (["Name=tag:Name,Values=x\\*y"], {"i-03"}),
        (["Name=tag:Env,Values=p*", "Name=instance-type,Values=t3.*"], {"i-01"}),
        (["Name=tag-key,Values=Team"], {"i-01"}),
        (["Name=tag-value,Values=stage"], {"i-02"}),
        (["Name=availability-zone,Values=us-east-1b"], {"i-02"}),
        (["Name=ip-address,Values=54.0.0.*"], {"i-01"}),
        (["Name=instance-state-code,Values=16"], {"i-01", "i-02", "i-03"}),
        (["Name=instance-id,Values=i-0?"], {"i-01", "i-02", "i-03"}),
    ],
)
def test_filters_on_a_piped_document(filters: list[str], ids: set[str]) -> None:
    """AND across filters, OR across values, case-sensitive, wildcards and escapes."""
    parsed = [ec2.parse_filter(text) for text in filters]
    filtered, left_out = ec2.filter_document(_doc(), parsed)
    kept = sum(len(r["Instances"]) for r in filtered["Reservations"])  # type: ignore[index]
    assert kept + left_out == 4 and kept >= len(ids)
    if not ids:
        with pytest.raises(InventoryError, match="no running instances"):
            ec2.fleet_from_document(filtered)
        return
    fleet = ec2.fleet_from_document(filtered)
    assert {h.instance_id for h in fleet.hosts} == ids


@pytest.mark.parametrize(
    "text",
    ["Name=tag:Env", "Values=a", "Name=tag:Env,Values=", "Name=tag:Env,Values=a,,b", "Name=a b"],
)
def test_a_malformed_filter_is_refused(text: str) -> None:
    """Not `Name=NAME,Values=V[,V]`: one message with an example."""
    with pytest.raises(InventoryError, match="Name=tag:Env,Values=prod,stage"):
        ec2.parse_filter(text)


def test_a_filter_dockyard_cannot_apply_to_a_pipe_is_refused() -> None:
    """An EC2 filter the pipe does not implement is refused, not ignored."""
    with pytest.raises(InventoryError, match="not applied to piped documents"):
        ec2.filter_document(_doc(), [ec2.parse_filter("Name=network-interface.addresses,Values=x")])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hostname", "name"], "unknown --hostname kind 'name'"),
        (["--group-by", "tags.Env"], "unknown --group-by key 'tags.Env'"),
        (["--cache", "60", "--list"], "--cache needs --discover"),
        (["--region", "a", "--region", "b"], "several --region need --discover"),
        (["--discover", "--source", "gce"], "--discover asks EC2 only"),
    ],
)
def test_bad_options_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Each bad option: exit 2, one line naming it, nothing written."""
    status = main(["inventory", *args, "-o", str(tmp_path / "inv")])
    assert status == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hostname: [id]\n", "unknown setting 'hostname'"),
        ("cache: soon\n", "cache must be a number"),
        ("regions: [1]\n", "regions must be a list of strings"),
        ("- a\n", "is not a mapping of settings"),
        ("a: [\n", "is not YAML"),
        ("address: near\n", "address 'near'"),
    ],
)
def test_a_bad_config_file_exits_2(
    text: str, message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--config: an unknown key, a value of the wrong type, not YAML: one line, nothing written."""
    config = tmp_path / "dockyard.yml"
    config.write_text(text)
    status = main(["inventory", "--config", str(config), "-o", str(tmp_path / "inv")])
    assert status == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dockyard.yml"]


@pytest.mark.parametrize("user", [None, "admin"])
def test_ini_lines_of_a_sparse_fleet_are_the_host_by_host_lines(user: str | None) -> None:
    """Hosts lacking a public IP, a name, a zone or an id: the column-wise writer writes
    each line as the host-by-host writer does (the reference)."""
    from dockyard.hosts.inventory import Host, _ini_agent_line, build_inventory

    hosts = [
        Host(
            f"10.0.{n // 250}.{n % 250 + 1}",
            name=f"web-{n}" if n % 3 else None,
            instance_id=f"i-{n:04x}" if n % 7 else None,
            private_ip=f"10.0.{n // 250}.{n % 250 + 1}",
            public_ip=f"54.0.0.{n % 250 + 1}" if n % 2 else None,
            availability_zone="us-east-1a" if n % 5 else None,
        )
        for n in range(60)
    ]
    inventory = build_inventory(hosts, ansible_user=user)
    agents = render_ini(inventory).split("[flocker_agents]\n", 1)[1].split("\n\n", 1)[0]
    assert agents.splitlines() == [_ini_agent_line(inventory, h) for h in inventory.hosts]
