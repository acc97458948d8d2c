"""Which AWS region `dockyard inventory` works in: one order and one message on every path.

The pipe (for agent.yml), `--discover` and the dynamic-inventory wrapper all ask
`resolve_region`, which looks, in this order, at:

1. the `--region` flag;
2. the environment: DOCKYARD_REGION, MY_AWS_DEFAULT_REGION (the seed's name),
   AWS_DEFAULT_REGION, AWS_REGION, the first one set;
3. the AWS shared config, read by botocore as boto3 reads it: `region` of the profile
   (--profile, else AWS_PROFILE, else default) in AWS_CONFIG_FILE or ~/.aws/config;
4. the control host's availability zone (`eu-west-1a` is in `eu-west-1`), which only
   piped describe-instances output gives: `--discover` needs the region to ask EC2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from dockyard.hosts.inventory import InventoryError

REGION_ENV = ("DOCKYARD_REGION", "MY_AWS_DEFAULT_REGION", "AWS_DEFAULT_REGION", "AWS_REGION")

# A zone name is its region's name plus a letter (eu-west-1a), or for Local and
# Wavelength Zones plus a dash and a location (us-east-1-bos-1a, us-east-1-wl1-bos-wlz-1).
# Region names: two letters, dash-separated words (gov, iso..., a direction), a number.
_ZONE = re.compile(r"(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]+)(?:[a-z]|-[a-z0-9-]+)")


class RegionError(InventoryError):
    """No region from any source, or an AWS profile that does not exist."""


@dataclass(frozen=True)
class Region:
    """A region and where it was found (for messages)."""

    name: str
    source: str


def region_of_zone(zone: str) -> str | None:
    """The region an availability zone name is in, or None if `zone` is not a zone name.

    `eu-west-1a` -> `eu-west-1`, `us-gov-west-1b` -> `us-gov-west-1`,
    `us-east-1-bos-1a` (a Local Zone) -> `us-east-1`; a zone id (`use1-az1`) or a
    bare letter names no region.
    """
    found = _ZONE.fullmatch(zone)
    return found["region"] if found else None


def unknown_profile(err: Exception) -> str:
    """The message for botocore's ProfileNotFound, wherever it is raised."""
    return f"{err}: pick a profile from ~/.aws/config, or drop --profile and AWS_PROFILE"


def _config_region(profile: str | None) -> tuple[str | None, str]:
    """`region` from the AWS shared config as botocore resolves it, and where it looked."""
    # botocore costs ~0.1 s to import: only a command that needs a region pays for it.
    import botocore.exceptions
    import botocore.session

    session = botocore.session.Session(profile=profile)
    where = (
        f"profile {session.profile or 'default'} in {session.get_config_variable('config_file')}"
    )
    try:
        # Only the shared config: the environment was read first, in dockyard's order.
        region = session.get_config_variable("region", methods=("config",))
    except botocore.exceptions.ProfileNotFound as err:
        raise RegionError(unknown_profile(err)) from None
    return (region or None), where


def resolve_region(
    flag: str | None,
    env: Mapping[str, str],
    *,
    profile: str | None = None,
    control_zone: str | None = None,
) -> Region:
    """The region from the first source that names one (see the module docstring)."""
    if flag:
        return Region(flag, "--region")
    for name in REGION_ENV:
        if env.get(name):
            return Region(env[name], name)
    region, where = _config_region(profile)
    if region:
        return Region(region, f"the AWS config file ({where})")
    from_zone = region_of_zone(control_zone) if control_zone else None
    if from_zone:
        return Region(from_zone, f"the control host's zone {control_zone}")
    raise RegionError(
        "no AWS region: pass --region, or set it in the environment ("
        + ", ".join(REGION_ENV[:-1])
        + f" or {REGION_ENV[-1]}) or in the AWS config file (`region` for {where}); "
        "the last resort, the control host's availability zone, comes only with piped "
        "describe-instances output"
    )
