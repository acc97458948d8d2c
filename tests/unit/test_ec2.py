"""describe-instances documents -> hosts, control host, skipped instances (dockyard.hosts.ec2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from dockyard.hosts import ec2
from dockyard.hosts.inventory import CONTROL_GROUP, InventoryError, groups
from tests.harness.describe_instances import document, instance


def test_every_instance_of_every_reservation_sorted_by_instance_id() -> None:
    """The seed read only Instances[0] of each reservation; all are hosts, sorted by id."""
    doc = document(
        [instance("i-c", public="3.3.3.3"), instance("i-a", public="1.1.1.1")],
        [instance("i-b", public="2.2.2.2")],
    )
    fleet = ec2.fleet_from_document(doc)
    assert [h.instance_id for h in fleet.hosts] == ["i-a", "i-b", "i-c"]
    assert [h.address for h in fleet.hosts] == ["1.1.1.1", "2.2.2.2", "3.3.3.3"]


@pytest.mark.parametrize(
    ("code", "kept"),
    [(16, True), (0, False), (32, False), (48, False), (64, False), (80, False), (272, True)],
)
def test_only_running_instances_by_state_code(code: int, kept: bool) -> None:
    """State.Code 16 is running; the high byte is ignored (272 = 256 + 16), as EC2 documents."""
    doc = document(
        [instance("i-a", public="1.1.1.1"), instance("i-b", public="2.2.2.2", code=code)]
    )
    fleet = ec2.fleet_from_document(doc)
    assert ("i-b" in [h.instance_id for h in fleet.hosts]) is kept


@pytest.mark.parametrize(
    ("address", "expected", "skipped"),
    [
        ("auto", ["1.1.1.1", "10.0.0.2"], ["i-c"]),
        ("public", ["1.1.1.1"], ["i-b", "i-c"]),
        ("private", ["10.0.0.1", "10.0.0.2"], ["i-c"]),
    ],
)
def test_address_kinds_skip_and_report_hosts_without_one(
    address: str, expected: list[str], skipped: list[str]
) -> None:
    """auto = public if present else private; a host lacking the address is skipped, not a crash."""
    doc = document(
        [
            instance("i-a", public="1.1.1.1", private="10.0.0.1"),
            instance("i-b", private="10.0.0.2"),
            instance("i-c"),
        ]
    )
    fleet = ec2.fleet_from_document(doc, address=address)
    assert [h.address for h in fleet.hosts] == expected
    assert [s.instance_id for s in fleet.skipped] == skipped
    assert all("i-" in str(s) and "skipped" in str(s) for s in fleet.skipped)


@pytest.mark.parametrize(
    ("instances", "control"),
    [
        (
            [
                instance("i-a", public="1.1.1.1", launch="2020-01-02T00:00:00.000Z"),
                instance("i-b", public="2.2.2.2", launch="2020-01-01T00:00:00.000Z"),
            ],
            "i-b",
        ),
        (
            [
                instance("i-b", public="2.2.2.2", launch="2020-01-01T00:00:00+00:00"),
                instance("i-a", public="1.1.1.1", launch="2020-01-01T00:00:00.000Z"),
            ],
            "i-a",
        ),
        (
            [
                instance("i-a", public="1.1.1.1", launch="2020-01-01T00:00:00.000Z"),
                instance(
                    "i-z", public="9.9.9.9", launch="2021-01-01T00:00:00Z", tags={"role": "control"}
                ),
            ],
            "i-z",
        ),
        (
            [
                instance("i-a", public="1.1.1.1", launch=None),
                instance("i-b", public="2.2.2.2", launch="2030-01-01T00:00:00Z"),
            ],
            "i-b",
        ),
        (
            [
                instance("i-a", public="1.1.1.1", launch="2020-01-01T01:00:00+01:00"),
                instance("i-b", public="2.2.2.2", launch="2020-01-01T00:30:00Z"),
            ],
            "i-a",
        ),
    ],
    ids=["earliest-launch", "tie-by-instance-id", "role-tag-wins", "no-launch-last", "timezones"],
)
def test_control_host_is_stable_not_output_order(
    instances: list[dict[str, Any]], control: str
) -> None:
    """role=control tag, else earliest LaunchTime, ties by InstanceId; input order never matters."""
    for order in (instances, list(reversed(instances))):
        fleet = ec2.fleet_from_document(document(order))
        assert fleet.control.instance_id == control
        inventory = fleet.inventory()
        assert groups(inventory)[CONTROL_GROUP] == [fleet.control.address]


def test_boto3_datetime_launch_times() -> None:
    """boto3 returns LaunchTime as datetime (the --discover path); naive ones count as UTC."""
    doc = document(
        [
            instance("i-a", public="1.1.1.1", launch=None)
            | {"LaunchTime": datetime(2020, 1, 2, tzinfo=UTC)},
            instance("i-b", public="2.2.2.2", launch=None) | {"LaunchTime": datetime(2020, 1, 1)},
        ]
    )
    assert ec2.fleet_from_document(doc).control.instance_id == "i-b"


def test_group_by_tag_adds_keyed_groups() -> None:
    """--group-by-tag env adds tag_env_<value>, unsafe characters made `_`; untagged hosts none."""
    doc = document(
        [
            instance("i-a", public="1.1.1.1", tags={"env": "prod"}),
            instance("i-b", public="2.2.2.2", tags={"env": "stage-2.x"}),
            instance("i-c", public="3.3.3.3"),
        ]
    )
    inventory = ec2.fleet_from_document(doc, group_by_tag=["env", "missing"]).inventory()
    found = groups(inventory)
    assert found["tag_env_prod"] == ["1.1.1.1"]
    assert found["tag_env_stage_2_x"] == ["2.2.2.2"]
    assert not any(g.startswith("tag_missing") for g in found)


def test_name_prefix_filters_when_given() -> None:
    """An explicit name prefix keeps only matching Name tags; without one every instance counts."""
    doc = document(
        [
            instance("i-a", public="1.1.1.1", name="my-prefix-1"),
            instance("i-b", public="2.2.2.2", name="other-1"),
            instance("i-c", public="3.3.3.3", name=None),
        ]
    )
    assert len(ec2.fleet_from_document(doc).hosts) == 3
    kept = ec2.fleet_from_document(doc, name_prefix="my-prefix").hosts
    assert [h.instance_id for h in kept] == ["i-a"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "not a describe-instances document"),
        ({"Instances": []}, "not a describe-instances document"),
        ({"Reservations": {}}, "`Reservations` is not a list"),
        ({"Reservations": [{"Groups": []}]}, "Reservations[0] has no `Instances` list"),
        ({"Reservations": [{"Instances": ["x"]}]}, "Reservations[0].Instances[0] is not an object"),
        ({"Reservations": [{"Instances": [{"InstanceId": "i-a"}]}]}, "State.Code"),
        (
            {
                "Reservations": [
                    {"Instances": [{"State": {"Code": 16}, "PublicIpAddress": "1.1.1.1"}]}
                ]
            },
            "has no InstanceId",
        ),
        (document([instance("i-a", public="1.1.1.1") | {"Tags": "x"}]), "Tags is not a list"),
        (document([instance("i-a", public="1.1.1.1", launch="yesterday")]), "LaunchTime"),
        (document([instance("i-a", public="1.1.1.1") | {"PublicIpAddress": 5}]), "not a string"),
        ({"Reservations": []}, "no running instances"),
        (document([instance("i-a", public="1.1.1.1", code=80)]), "no running instances"),
        (document([instance("i-a")]), "1 running but skipped"),
    ],
    ids=[
        "list",
        "no-reservations",
        "reservations-dict",
        "no-instances",
        "instance-str",
        "no-state",
        "no-instance-id",
        "tags-str",
        "launch-time",
        "ip-int",
        "empty",
        "all-stopped",
        "all-skipped",
    ],
)
def test_bad_documents_raise_a_clear_inventory_error(doc: object, message: str) -> None:
    """Each malformed or empty document raises InventoryError naming the problem."""
    with pytest.raises(InventoryError) as caught:
        ec2.fleet_from_document(doc)
    assert message in str(caught.value)


def test_duplicate_addresses_are_an_error() -> None:
    """Two running instances with one private IP (different VPCs) cannot share an inventory name."""
    doc = document([instance("i-a", private="10.0.0.1"), instance("i-b", private="10.0.0.1")])
    with pytest.raises(InventoryError, match="appears twice"):
        ec2.fleet_from_document(doc).inventory()


def test_a_skipped_control_tagged_host_is_reported_as_such() -> None:
    """If the role=control host lacks the address, the report says so and another is chosen."""
    doc = document(
        [
            instance("i-a", public="1.1.1.1", launch="2020-01-02T00:00:00Z"),
            instance("i-b", private="10.0.0.2", tags={"role": "control"}),
        ]
    )
    fleet = ec2.fleet_from_document(doc, address="public")
    assert fleet.control.instance_id == "i-a"
    assert "tagged role=control" in str(fleet.skipped[0])


# --- the schema-driven decode agrees with the reference ------------------------------------

maybe_odd = st.one_of(
    st.none(),
    st.integers(),
    st.booleans(),
    st.lists(st.none(), max_size=1),
    st.sampled_from(["", "yesterday", "2020-01-01t00:00:00z", "2020-01-01T00:00:00.1234567Z"]),
)
texts = st.sampled_from(["", " ", "1.1.1.1", "10.0.0.1", "10.0.0.1", "a b", "é"])
times = st.sampled_from(
    [
        *("2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00Z", "2020-01-01T01:00:00+01:00"),
        *("2020-01-01T00:00:00", "2020-01-01 00:00:00Z", "2020-01-01", "2019-12-31T23:00:00Z"),
    ]
)


def near_documents(odd: st.SearchStrategy[Any] | None) -> st.SearchStrategy[Any]:
    """describe-instances documents whose fields hold sampled values or, now and then, `odd`."""

    def sometimes(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return values if odd is None else st.one_of(values, values, values, odd)

    tag_lists = st.lists(
        sometimes(
            st.fixed_dictionaries(
                {"Key": sometimes(st.sampled_from(["Name", "role", "Role", "env"]))},
                optional={
                    "Value": sometimes(
                        st.sampled_from(["my-prefix-1", "x", " Control ", "", "a/b"])
                    )
                },
            )
        ),
        max_size=4,
    )
    instances = st.fixed_dictionaries(
        {
            "State": sometimes(
                st.fixed_dictionaries({"Code": sometimes(st.sampled_from([16, 80, 272]))})
            ),
            "InstanceId": sometimes(st.sampled_from(["i-a", "i-b", "i-c", "i-d", "i-a"])),
        },
        optional={
            "PublicIpAddress": sometimes(texts),
            "PrivateIpAddress": sometimes(texts),
            "LaunchTime": sometimes(times),
            "Placement": sometimes(
                st.fixed_dictionaries({}, optional={"AvailabilityZone": sometimes(texts)})
            ),
            "Tags": sometimes(tag_lists),
            "KeyName": sometimes(texts),
        },
    )
    reservations = st.lists(sometimes(st.fixed_dictionaries({"Instances": st.lists(instances)})))
    return st.fixed_dictionaries({"Reservations": reservations})


# Without odd values every document fits the schema; with them (another JSON type, an empty
# id, a time only msgspec or neither parser reads) most do not.
documents = st.one_of(near_documents(None), near_documents(maybe_odd))


def outcome(make: Any) -> object:
    try:
        return make()
    except InventoryError as err:
        return f"{type(err).__name__}: {err}"


@settings(max_examples=400, deadline=None)
@given(
    documents,
    st.sampled_from(ec2.ADDRESS_KINDS),
    st.sampled_from([None, "my-prefix"]),
    st.sampled_from([(), ("env", "role")]),
)
def test_fleet_from_json_is_fleet_from_document_or_defers(
    doc: dict[str, Any], address: str, prefix: str | None, group_by_tag: tuple[str, ...]
) -> None:
    """On any near-describe-instances document the fast decode gives the reference's fleet or
    error, or None (the caller then asks the reference), never a different answer."""
    options: dict[str, Any] = {
        "address": address,
        "name_prefix": prefix,
        "group_by_tag": group_by_tag,
    }
    fast = outcome(lambda: ec2.fleet_from_json(json.dumps(doc).encode(), **options))
    event("schema fits" if fast is not None else "deferred to the reference")
    if fast is not None:
        assert fast == outcome(lambda: ec2.fleet_from_document(doc, **options))


@pytest.mark.parametrize(
    "data",
    [
        b'{"Reservations": [], "x": "\xff"}',
        b'{"Reservations": [], "x": "\\ud800"}',
        b'{"Reservations": []} trailing',
        b'{"Reservations": [{"Instances": [{"State": {"Code": 16.0}}]}]}',
        b'{"Reservations": [{"Instances": [{"State": {"Code": 16}, "InstanceId": ""}]}]}',
        b'{"Reservations": [{"Instances": [{"State": {"Code": 16}, "InstanceId": "i-a", '
        b'"PublicIpAddress": "1.1.1.1", "LaunchTime": "2020-01-01t00:00:00z"}]}]}',
        b"\xef\xbb\xbf{}",
        b"",
    ],
    ids=[
        *("bad-utf8-unread", "lone-surrogate", "trailing", "float-code", "empty-id"),
        *("lowercase-time", "bom", "empty"),
    ],
)
def test_fleet_from_json_defers_what_the_standard_library_decides(data: bytes) -> None:
    """What the reference decides is left to it: bad UTF-8 even in a field never read, lone
    surrogates, trailing text, a float State.Code, a running instance with an empty id or a
    time msgspec reads and datetime.fromisoformat does not, a BOM, nothing at all."""
    assert ec2.fleet_from_json(data) is None
