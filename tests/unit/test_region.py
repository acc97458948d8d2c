"""Which AWS region: zone names to regions, and the order of the sources (dockyard.hosts.region)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.hosts.region import RegionError, region_of_zone, resolve_region


@pytest.mark.parametrize(
    ("zone", "region"),
    [
        ("eu-west-1a", "eu-west-1"),
        ("us-east-1f", "us-east-1"),
        ("ap-northeast-3c", "ap-northeast-3"),
        ("us-gov-west-1b", "us-gov-west-1"),
        ("cn-northwest-1a", "cn-northwest-1"),
        ("us-east-1-bos-1a", "us-east-1"),
        ("us-west-2-lax-1b", "us-west-2"),
        ("us-east-1-wl1-bos-wlz-1", "us-east-1"),
        ("use1-az1", None),
        ("a", None),
        ("eu-west-1", None),
        ("", None),
    ],
)
def test_region_of_zone(zone: str, region: str | None) -> None:
    """A zone name is its region plus a letter, or plus a Local/Wavelength Zone suffix;
    zone ids, bare letters and region names name no region."""
    assert region_of_zone(zone) == region


def test_sources_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """flag > environment > AWS config file > control host's zone; each answer says its source."""
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-west-3\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    env = {"AWS_DEFAULT_REGION": "eu-central-1"}
    zone = "sa-east-1a"
    assert resolve_region("ca-central-1", env, control_zone=zone).source == "--region"
    assert resolve_region(None, env, control_zone=zone).name == "eu-central-1"
    from_config = resolve_region(None, {}, control_zone=zone)
    assert from_config.name == "eu-west-3"
    assert from_config.source == f"the AWS config file (profile default in {config})"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent"))
    assert resolve_region(None, {}, control_zone=zone).name == "sa-east-1"
    with pytest.raises(RegionError, match=r"^no AWS region: pass --region"):
        resolve_region(None, {}, control_zone="use1-az1")


def test_unknown_profile_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A profile the config file lacks is an error naming it, not a silent fall to the zone."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent"))
    with pytest.raises(RegionError, match=r"profile \(nope\) could not be found.*drop --profile"):
        resolve_region(None, {}, profile="nope", control_zone="eu-west-1a")
