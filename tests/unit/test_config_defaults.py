"""Pulumi.yaml is the one schema of the stack config: the code reads exactly the keys it
declares, takes their defaults from it, and a default the Pulumi CLI injects for a key the
stack leaves out reads exactly like the key being absent (as under mocks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components.config import ConfigError, Reader, StackConfig, load
from dockyard.rails import ecs as rails_ecs
from tests.harness.pulumi_program import (
    PROJECT,
    config_strings,
    load_config,
    project_defaults,
    set_up,
)

INJECTED = {
    key.removeprefix(f"{PROJECT}:"): text
    for key, text in config_strings(project_defaults()).items()
}
"""Each key Pulumi.yaml declares, with its default as the CLI hands it to the program (an
array's [] as the text "[]")."""
KEYS = sorted(INJECTED)


@pytest.fixture(scope="module")
def bases() -> dict[str, dict[str, Any]]:
    """The required keys alone (only aws:region: the default VPC, a generated key, flows at
    their defaults), the same with every flow on (so every key is read), and a stack that
    names its own network and key pair."""
    required = {"aws:region": "us-east-1"}
    own = {
        **required,
        "dockyard:vpcId": "vpc-0123456789abcdef0",
        "dockyard:subnetIds": ["subnet-0aaa1111", "subnet-0bbb2222"],
        "dockyard:sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockKey test@dockyard",
        "dockyard:sshPrivateKeyPath": "~/.ssh/not-on-this-machine",
    }
    return {
        "required": required,
        "all flows": {**required, "dockyard:rails": "true", "dockyard:fioBench": "true"},
        "own network and key": {**own, "dockyard:rails": "true", "dockyard:fioBench": "true"},
    }


def outcome(config: dict[str, Any], base: dict[str, Any]) -> StackConfig | str:
    """The config load() reads, or the message it stops with (nothing injected: only what
    `config` and `base` say)."""
    try:
        return load_config(config, base=base, inject_defaults=False)[0]
    except ConfigError as err:
        return str(err)


def test_every_declared_key_is_read(bases: dict[str, dict[str, Any]]) -> None:
    """With every flow on, the code reads each key Pulumi.yaml declares (and, since the
    Reader refuses undeclared keys, nothing else)."""
    _, reader = load_config(base=bases["all flows"])
    assert reader.read == set(KEYS)


@pytest.mark.parametrize(
    ("read", "error"),
    [
        (lambda reader: reader.integer("hostcount"), LookupError),
        (lambda reader: reader.optional("hostCount"), TypeError),
        (lambda reader: reader.string_list("tags", "strings", "VALUE"), TypeError),
        (lambda reader: reader.string_map("namePrefix"), TypeError),
    ],
)
def test_reading_outside_the_schema_is_refused(
    read: Callable[[Reader], object], error: type[Exception]
) -> None:
    """Reading a key Pulumi.yaml does not declare, or with a getter of another type, is a
    bug in the reader and fails at once (not a ConfigError: no stack can fix it)."""
    with pytest.raises(error):
        read(Reader())


@pytest.mark.parametrize("key", KEYS)
def test_injected_default_reads_as_unset(key: str, bases: dict[str, dict[str, Any]]) -> None:
    """Key by key, on the required keys alone and with every flow on: the CLI's injected
    default gives the same config (or the same error, for a required key) as the key left
    out."""
    full = f"{PROJECT}:{key}"
    for base in bases.values():
        absent = outcome({full: None}, base)
        injected = outcome({full: INJECTED[key]}, base)
        assert injected == absent, key


def test_all_injected_defaults_read_as_unset(bases: dict[str, dict[str, Any]]) -> None:
    """A stack file holding only the required keys, as the CLI runs it (every other key
    injected), reads like the same stack under mocks (nothing injected)."""
    for base in bases.values():
        injected = {
            f"{PROJECT}:{k}": v for k, v in INJECTED.items() if f"{PROJECT}:{k}" not in base
        }
        assert outcome(injected, base) == outcome({}, base)


def test_fio_job_defaults_to_the_example_job(bases: dict[str, dict[str, Any]]) -> None:
    """fioJobFiles' injected [] means the image's randread-4k.fio (it once reached the task
    as JOBFILES="", and the task stopped: no job files), or every download with
    fioRemoteFiles."""
    base = bases["all flows"]
    cfg, _ = load_config({"dockyard:fioJobFiles": INJECTED["fioJobFiles"]}, base=base)
    assert cfg.fio_bench is not None and cfg.fio_bench.jobfiles == ("randread-4k.fio",)
    remote = {"dockyard:fioRemoteFiles": ["https://example.com/a.fio#sha256=" + "ab" * 32]}
    cfg, _ = load_config({**remote, "dockyard:fioJobFiles": "[]"}, base=base)
    assert cfg.fio_bench is not None and cfg.fio_bench.jobfiles == ()


@pytest.mark.parametrize(
    ("key", "seed"),
    [
        ("railsDbCpu", rails_ecs.SEED_CPU),
        ("railsMemory", rails_ecs.SEED_MEMORY_MIB),
        ("railsDbMemory", rails_ecs.SEED_MEMORY_MIB),
    ],
)
def test_container_defaults_are_the_seeds(key: str, seed: int) -> None:
    """The Rails containers' cpu and memory defaults in Pulumi.yaml (their one home: Limits
    has none of its own) are the seed's, but the web container's cpu (below)."""
    assert project_defaults()[f"{PROJECT}:{key}"] == seed


def test_web_cpu_default_is_the_load_tested_size() -> None:
    """railsCpu defaults to 512 units (a 0.5 vCPU Fargate task), the size at which
    benchmarks/rails_load.py measured p99 under 2 s with 50 keep-alive clients; the seed's
    100 (0.25 vCPU: p99 2.6 s) stays reachable by setting railsCpu."""
    assert project_defaults()[f"{PROJECT}:railsCpu"] == 512
    assert rails_ecs.fargate_task_size(512, rails_ecs.SEED_MEMORY_MIB) == (512, 1024)


def test_reading_the_config_creates_nothing(bases: dict[str, dict[str, Any]]) -> None:
    """load() registers no resource and calls no invoke, also with networkStack set (the
    StackReference and EC2's subnets are looked up by components.shared.network)."""

    def no_resource(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"config registered a resource: {args[1:3]}")

    network_stack = {
        "dockyard:networkStack": "acme/network/prod",
        "dockyard:vpcId": None,
        "dockyard:subnetIds": None,
        "dockyard:railsSubnetIds": ["subnet-0aaa1111", "subnet-0bbb2222"],
    }
    for config in ({}, network_stack):
        mocks = set_up(config, base=bases["all flows"])  # registers the root Stack
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(pulumi.Resource, "__init__", no_resource)
            load(Reader())
        assert mocks.invokes == []
