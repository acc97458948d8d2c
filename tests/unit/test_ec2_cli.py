"""`dockyard inventory` from a pipe, in process: errors, files, and hypothesis property tests."""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dockyard.cli import main
from tests.harness.describe_instances import document, instance


class FakeStdin:
    """What `sys.stdin` offers the CLI: a byte buffer and whether it is a terminal."""

    def __init__(self, data: bytes, *, tty: bool = False) -> None:
        self.buffer = io.BytesIO(data)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str


def run_cli(
    argv: Sequence[str],
    stdin: bytes,
    *,
    tty: bool = False,
    env: dict[str, str] | None = None,
) -> Result:
    out, err = io.StringIO(), io.StringIO()
    patched_env = mock.patch.dict(os.environ, env or {}, clear=False)
    with (
        mock.patch.object(sys, "stdin", FakeStdin(stdin, tty=tty)),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        patched_env,
    ):
        status = main(["inventory", *argv])
    return Result(status, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="dockyard-inv-") as tmp:
        yield Path(tmp)


FLEET = document(
    [
        instance("i-0b", public="3.3.3.3", private="10.0.0.3", launch="2020-01-02T00:00:00Z"),
        instance("i-0a", public="1.1.1.1", private="10.0.0.1", launch="2020-01-03T00:00:00Z"),
    ],
    [instance("i-0c", private="10.0.0.2", launch="2020-01-01T00:00:00Z")],
    [instance("i-0d", public="4.4.4.4", code=80)],
)
FLEET_JSON = json.dumps(FLEET, indent=2).encode()


def test_tty_stdin_is_refused_with_how_to_pipe() -> None:
    """A terminal on stdin is refused, saying how to pipe or to use --discover."""
    with workdir() as tmp:
        result = run_cli(["-o", str(tmp / "inv")], b"", tty=True)
        assert result.status == 2
        assert "stdin is a terminal" in result.stderr
        assert "--discover" in result.stderr
        assert list(tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"", "stdin is empty"),
        (b'{\n  "Reservations": [\n    {,\n', "line 3, column 6"),
        (b"\xff\xfe\x00garbage", "stdin is not"),
        (b"[" * 100_000, "stdin is"),
        (b'{"Reservations": [{"Instances": [1]}]}', "Instances[0] is not an object"),
        (b'{"reservations": []}', "not a describe-instances document"),
        (b'{"Reservations": []}', "no running instances"),
        (json.dumps(document([instance("i-a", code=80)])).encode(), "no running instances"),
    ],
    ids=["empty", "bad-json", "not-utf8", "deep", "instance-int", "lowercase", "none", "stopped"],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(stdin: bytes, message: str) -> None:
    """Invalid JSON (with line/column), wrong shape, nothing running: exit 2, one line, no file."""
    with workdir() as tmp:
        existing = tmp / "existing"
        existing.write_text("old\n")
        result = run_cli(["-o", str(existing), "--agent-yml", str(tmp / "agent.yml")], stdin)
        assert result.status == 2
        assert message in result.stderr
        assert result.stderr.startswith("dockyard: ")
        assert result.stderr.count("\n") == 1
        assert sorted(p.name for p in tmp.iterdir()) == ["existing"]
        assert existing.read_text() == "old\n"


def test_inventory_and_agent_yml_from_a_pipe() -> None:
    """Every running instance, auto addresses, earliest-launched control host, agent.yml 0600."""
    with workdir() as tmp:
        env = {"MY_AWS_DEFAULT_REGION": "us-east-1", "MY_AWS_ZONE": "b"}
        result = run_cli(
            ["-o", str(tmp / "inv"), "--agent-yml", str(tmp / "agent.yml")], FLEET_JSON, env=env
        )
        assert result.status == 0, result.stderr
        text = (tmp / "inv").read_text()
        assert text.startswith("[flocker_control_service]\n10.0.0.2\n\n[flocker_agents]\n1.1.1.1 ")
        assert "4.4.4.4" not in text
        agent = yaml.safe_load((tmp / "agent.yml").read_text())
        assert agent["control-service"] == {"hostname": "10.0.0.2", "port": 4524}
        assert agent["dataset"] == {"backend": "aws", "region": "us-east-1", "zone": "us-east-1b"}
        assert stat.S_IMODE((tmp / "agent.yml").stat().st_mode) == 0o600


@pytest.mark.parametrize("embed", [True, False], ids=["embed", "no-embed"])
def test_credentials_only_with_embed_credentials(embed: bool) -> None:
    """AWS keys from the environment land in agent.yml only with --embed-credentials."""
    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t"}
    with workdir() as tmp:
        argv = ["-o", "-", "--agent-yml", str(tmp / "a.yml"), "--region", "us-east-1"]
        result = run_cli([*argv, "--embed-credentials"] if embed else argv, FLEET_JSON, env=env)
        assert result.status == 0, result.stderr
        text = (tmp / "a.yml").read_text()
        assert ("s3cr3t" in text) is embed
        assert ("AKIAEXAMPLE" in text) is embed
        assert stat.S_IMODE((tmp / "a.yml").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (
            ["--embed-credentials"],
            {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
            "needs AWS",
        ),
        (["--region", "eu-west-1", "--zone", "us-east-1a"], {}, "not in region"),
    ],
    ids=["no-credentials", "zone-elsewhere"],
)
def test_agent_yml_problems_write_nothing(
    argv: list[str], env: dict[str, str], message: str
) -> None:
    """A bad agent.yml setting fails the whole command: the inventory is not written either."""
    with workdir() as tmp:
        result = run_cli(
            ["-o", str(tmp / "inv"), "--agent-yml", str(tmp / "agent.yml"), *argv],
            FLEET_JSON,
            env={"MY_AWS_DEFAULT_REGION": "us-east-1", **env},
        )
        assert result.status == 2
        assert message in result.stderr
        assert list(tmp.iterdir()) == []


def test_unwritable_second_file_leaves_the_first_unwritten() -> None:
    """agent.yml into a missing directory: the inventory is not written either (all or nothing)."""
    with workdir() as tmp:
        result = run_cli(
            ["-o", str(tmp / "inv"), "--agent-yml", str(tmp / "missing" / "agent.yml")],
            FLEET_JSON,
            env={"MY_AWS_DEFAULT_REGION": "us-east-1"},
        )
        assert result.status == 2
        assert "nothing was written" in result.stderr
        assert list(tmp.iterdir()) == []


@pytest.mark.parametrize("fmt", ["ini", "yaml", "json"])
def test_stdout_output_in_every_format(fmt: str) -> None:
    """`-o -` prints the inventory; the JSON format is the dynamic `--list` document."""
    result = run_cli(["-o", "-", "--format", fmt], FLEET_JSON)
    assert result.status == 0, result.stderr
    if fmt == "json":
        assert json.loads(result.stdout)["flocker_control_service"] == {"hosts": ["10.0.0.2"]}
    elif fmt == "yaml":
        parsed = yaml.safe_load(result.stdout)
        seed = parsed["all"]["children"]["nodes"]["children"]
        assert list(seed["flocker_control_service"]["hosts"]) == ["10.0.0.2"]
    else:
        assert "[nodes:children]" in result.stdout


def test_dynamic_list_and_host() -> None:
    """--list prints groups and _meta.hostvars; --host prints one host's vars ({} if unknown)."""
    listed = run_cli(["--list"], FLEET_JSON)
    assert listed.status == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert set(data["_meta"]["hostvars"]) == {"1.1.1.1", "3.3.3.3", "10.0.0.2"}
    one = run_cli(["--host", "1.1.1.1"], FLEET_JSON)
    assert json.loads(one.stdout) == data["_meta"]["hostvars"]["1.1.1.1"]
    assert json.loads(run_cli(["--host", "9.9.9.9"], FLEET_JSON).stdout) == {}


# --- property tests: never a traceback, never a partial file -------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
odd_strings = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        [
            *("", " ", "1.1.1.1", "10.0.0.1", "a b", "x"),
            *("2020-01-01T00:00:00Z", "2020-02-30T00:00:00Z"),
            *("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"),
        ]
    ),
    st.integers(),
)
odd_instances = st.fixed_dictionaries(
    {},
    optional={
        "InstanceId": odd_strings,
        "State": st.one_of(
            st.fixed_dictionaries({"Code": st.sampled_from([16, 80, 272, "16", None, True])}),
            json_values,
        ),
        "PublicIpAddress": odd_strings,
        "PrivateIpAddress": odd_strings,
        "LaunchTime": odd_strings,
        "Placement": st.one_of(
            st.fixed_dictionaries({"AvailabilityZone": odd_strings}), json_values
        ),
        "Tags": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"Key": st.sampled_from(["Name", "role", "env", "Role"]), "Value": odd_strings}
                ),
                max_size=3,
            ),
            json_values,
        ),
    },
)
odd_documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "Reservations": st.lists(
                st.one_of(
                    st.fixed_dictionaries({"Instances": st.lists(odd_instances, max_size=4)}),
                    json_values,
                ),
                max_size=3,
            )
        }
    ),
)


def check_all_or_nothing(stdin: bytes, argv: Sequence[str] = ()) -> None:
    with workdir() as tmp:
        result = run_cli(
            [
                "-o",
                str(tmp / "inv"),
                "--agent-yml",
                str(tmp / "agent.yml"),
                "--region",
                "us-east-1",
                "--zone",
                "a",
                *argv,
            ],
            stdin,
        )
        written = sorted(p.name for p in tmp.iterdir())
        event(f"exit {result.status}")
        if result.status == 0:
            assert written == ["agent.yml", "inv"]
            assert (tmp / "inv").read_text().endswith("flocker_docker_plugin\n")
            assert yaml.safe_load((tmp / "agent.yml").read_text())["version"] == 1
        else:
            assert result.status == 2
            assert written == []
            assert result.stderr.startswith("dockyard: ")
            assert "Traceback" not in result.stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(odd_documents, st.sampled_from(["auto", "public", "private"]))
def test_odd_documents_never_traceback_never_partial(doc: Any, address: str) -> None:
    """Any JSON value or odd describe-instances document: exit 0 with both files, or 2 with none."""
    check_all_or_nothing(json.dumps(doc).encode(), ["--address", address])


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_traceback(data: bytes) -> None:
    """Arbitrary bytes on stdin: a clean exit 2 (or 0 if they happen to be a fleet), no files."""
    check_all_or_nothing(data)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=len(FLEET_JSON)))
def test_truncated_documents_never_traceback(cut: int) -> None:
    """describe-instances output cut anywhere (a broken pipe): exit 2 with nothing written."""
    check_all_or_nothing(FLEET_JSON[:cut])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--profile", "no-such-profile", "--region", "us-east-1"], "drop --profile"),
        ([], "no AWS region: pass --region"),
    ],
    ids=["unknown-profile", "no-region"],
)
def test_discover_configuration_errors_exit_2(argv: list[str], message: str) -> None:
    """--discover without a usable profile or region: exit 2, one line naming the fix."""
    env = {
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_DEFAULT_REGION": "",
        "AWS_REGION": "",
        "AWS_PROFILE": "",
    }
    with workdir() as tmp, mock.patch.dict(os.environ, env):
        for key in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
            del os.environ[key]
        result = run_cli(["--discover", "-o", str(tmp / "inv"), *argv], b"")
        assert result.status == 2
        assert message in result.stderr
        assert result.stderr.count("\n") == 1
        assert list(tmp.iterdir()) == []


# --- the region: flag, environment, AWS config file, control host's zone -------------------

REGION_ENV = ("DOCKYARD_REGION", "MY_AWS_DEFAULT_REGION", "AWS_DEFAULT_REGION", "AWS_REGION")


@pytest.fixture
def no_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No region anywhere: HOME an empty directory, AWS_CONFIG_FILE absent, no region env.

    Returns the AWS_CONFIG_FILE path, for a test to write.
    """
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    for name in (*REGION_ENV, "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "aws-config"


CONFIG = "[default]\nregion = eu-west-3\n\n[profile other]\nregion = ap-south-1\n"


def agent_region(argv: Sequence[str], stdin: bytes = FLEET_JSON) -> tuple[str, str]:
    """Run with --agent-yml: agent.yml's region, and the summary line."""
    with workdir() as tmp:
        result = run_cli(["-o", str(tmp / "inv"), "--agent-yml", str(tmp / "a.yml"), *argv], stdin)
        assert result.status == 0, result.stderr
        region: str = yaml.safe_load((tmp / "a.yml").read_text())["dataset"]["region"]
        return region, result.stderr.splitlines()[-1]


def test_region_flag_comes_first(no_region: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--region wins over the environment, the AWS config file and the control host's zone."""
    no_region.write_text(CONFIG)
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    region, summary = agent_region(["--region", "ca-central-1", "--zone", "a"])
    assert region == "ca-central-1"
    assert "(region ca-central-1 from --region)" in summary


@pytest.mark.parametrize("first", range(len(REGION_ENV)), ids=REGION_ENV)
def test_region_from_the_environment_in_order(
    first: int, no_region: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first of DOCKYARD_REGION, MY_AWS_DEFAULT_REGION, AWS_DEFAULT_REGION, AWS_REGION set
    wins, over the AWS config file; an empty one counts as unset."""
    no_region.write_text(CONFIG)
    monkeypatch.setenv(REGION_ENV[0], "")
    for index, name in enumerate(REGION_ENV[first:], start=first):
        monkeypatch.setenv(name, f"us-west-{index + 1}")
    region, summary = agent_region(["--zone", "a"])
    assert region == f"us-west-{first + 1}"
    assert f"from {REGION_ENV[first]})" in summary


@pytest.mark.parametrize(
    ("profile", "expected"),
    [(None, "eu-west-3"), ("other", "ap-south-1")],
    ids=["default", "other"],
)
def test_region_from_the_aws_config_file(
    profile: str | None, expected: str, no_region: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No flag or environment: `region` of the profile (AWS_PROFILE, else default) in
    AWS_CONFIG_FILE, as boto3 reads it; it wins over the control host's zone."""
    no_region.write_text(CONFIG)
    if profile:
        monkeypatch.setenv("AWS_PROFILE", profile)
    region, summary = agent_region(["--zone", "a"])
    assert region == expected
    assert f"from the AWS config file (profile {profile or 'default'} in {no_region})" in summary


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("eu-west-1b", "eu-west-1"), ("us-east-1-bos-1a", "us-east-1")],
    ids=["zone", "local-zone"],
)
def test_region_from_the_control_hosts_zone(zone: str, expected: str, no_region: Path) -> None:
    """Nothing else set: the control host's availability zone names the region."""
    doc = document([instance("i-a", public="1.1.1.1", zone=zone)])
    region, summary = agent_region([], json.dumps(doc).encode())
    assert region == expected
    assert f"(region {expected} from the control host's zone {zone})" in summary


def test_no_region_anywhere_names_all_four_sources(no_region: Path) -> None:
    """No flag, environment, config file or zone: exit 2, one line naming every source."""
    doc = document([instance("i-a", public="1.1.1.1") | {"Placement": {}}])
    with workdir() as tmp:
        result = run_cli(
            ["-o", str(tmp / "inv"), "--agent-yml", str(tmp / "a.yml")], json.dumps(doc).encode()
        )
        assert result.status == 2
        assert list(tmp.iterdir()) == []
    assert result.stderr.startswith("dockyard: no AWS region: pass --region, ")
    assert result.stderr.count("\n") == 1
    for source in (*REGION_ENV, f"AWS config file (`region` for profile default in {no_region})"):
        assert source in result.stderr
    assert "the control host's availability zone" in result.stderr


# --- the summary line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["-o", "INV"],
            "wrote 3 hosts to INV; 0 skipped, 1 not running; --address auto gave 1 host a "
            "private address (no public IP): i-0c (my-prefix-1) 10.0.0.2",
        ),
        (
            ["-o", "INV", "--address", "public"],
            "wrote 2 hosts to INV; 1 skipped, 1 not running",
        ),
        (
            ["-o", "-", "--address", "private"],
            "wrote 3 hosts to stdout; 0 skipped, 1 not running",
        ),
    ],
    ids=["auto", "public", "stdout"],
)
def test_one_summary_line_on_success(argv: list[str], expected: str) -> None:
    """Success prints one line after any `skipped` ones: hosts written and where, skipped and
    not-running counts and, with --address auto, every host given a private address."""
    with workdir() as tmp:
        argv = [str(tmp / "inv") if a == "INV" else a for a in argv]
        result = run_cli(argv, FLEET_JSON)
    assert result.status == 0, result.stderr
    *before, summary = result.stderr.splitlines()
    assert summary == "dockyard: " + expected.replace("INV", str(tmp / "inv"))
    assert all(line.startswith("dockyard: skipped ") for line in before)


def test_summary_names_agent_yml_and_dynamic_inventory_prints_none() -> None:
    """agent.yml and its region's source are in the line; --list/--host print no summary
    (Ansible shows a dynamic inventory's stderr as an error)."""
    with workdir() as tmp:
        result = run_cli(
            ["-o", str(tmp / "inv"), "--agent-yml", str(tmp / "a.yml"), "--region", "us-east-1"],
            FLEET_JSON,
        )
    assert result.status == 0, result.stderr
    assert result.stderr.startswith(
        f"dockyard: wrote 3 hosts to {tmp / 'inv'}, agent.yml to {tmp / 'a.yml'} "
        "(region us-east-1 from --region); 0 skipped, 1 not running; "
    )
    assert run_cli(["--list"], FLEET_JSON).stderr == ""
    assert run_cli(["--host", "1.1.1.1"], FLEET_JSON).stderr == ""
