"""`dockyard inventory`: an Ansible inventory (and Flocker agent.yml) from EC2 instances.

Three ways to use it:

    aws ec2 describe-instances --output json | dockyard inventory          # from a pipe
    dockyard inventory --discover --region eu-west-1 --name-prefix web      # from EC2
    ansible-playbook -i inventory/dockyard-inventory site.yml               # dynamic

Files are written all or nothing (temp file + rename); on any error nothing is
created or changed and the command exits 2 with one line on stderr. On success one
summary line goes to stderr (not with --list/--host: Ansible shows a dynamic
inventory's stderr as an error).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from dockyard.commands import Subparsers, check_endpoint_url
from dockyard.errors import UsageError
from dockyard.files import FileSpec, write_files
from dockyard.hosts import clouds, compose, ec2
from dockyard.hosts.inventory import (
    FORMATS,
    FlockerDataset,
    Inventory,
    agent_yml_for,
    dynamic_host_vars,
    host_name,
    render,
    render_json,
)
from dockyard.hosts.region import REGION_ENV, Region, resolve_region
from dockyard.terminal import printable

DEFAULT_OUTPUT = "./ansible_inventory"
ZONE_ENV = "MY_AWS_ZONE"
AGENT_YML_MODE = 0o600


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "inventory",
        help="Ansible inventory from describe-instances JSON on stdin, or from EC2",
        description=(
            "Make the seed's Ansible inventory (flocker_control_service, flocker_agents, "
            "flocker_docker_plugin, nodes:children) from `aws ec2 describe-instances "
            "--output json` on stdin, or from EC2 with --discover. With --list/--host it "
            "answers Ansible's dynamic-inventory protocol."
        ),
    )
    _source_options(parser)
    _host_options(parser)
    _output_options(parser)
    parser.set_defaults(func=run)


def _source_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("where the instances come from")
    source.add_argument(
        "--discover",
        action="store_true",
        help="ask EC2 (boto3) instead of reading describe-instances JSON from stdin",
    )
    source.add_argument(
        "--region",
        action="append",
        help=(
            "AWS region (discovery and agent.yml; repeat it for --discover in several); "
            "default: the first of $"
            + ", $".join(REGION_ENV)
            + " set, else the AWS config file's region, else the control host's zone's"
        ),
    )
    source.add_argument(
        "--source",
        choices=("auto", *clouds.SOURCES),
        default="auto",
        help="which CLI printed stdin: aws (describe-instances), azure (az vm list -d), gce "
        "(gcloud compute instances list); default: told from the document's shape",
    )
    source.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="Name=NAME,Values=V1[,V2]",
        help="a describe-instances filter (repeatable, AND'ed; values OR'ed, * and ? "
        "wildcards): applied to piped documents as EC2 does, passed to EC2 with --discover",
    )
    source.add_argument(
        "--include-filter",
        action="append",
        default=[],
        metavar="FILTERS",
        help="a set of filters ('Name=...,Values=... Name=...,Values=...', AND'ed; repeatable): "
        "an instance any set (or all of --filter) matches is kept, as the aws_ec2 plugin's "
        "include_filters",
    )
    source.add_argument(
        "--exclude-filter",
        action="append",
        default=[],
        metavar="FILTERS",
        help="a set of filters (as --include-filter; repeatable): an instance any set matches "
        "is left out (exclude_filters)",
    )
    source.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="YAML file of settings (the dynamic inventory's); flags given override it",
    )
    source.add_argument("--profile", help="AWS profile for --discover")
    source.add_argument("--endpoint-url", help="EC2 endpoint for --discover (e.g. moto server)")
    source.add_argument(
        "--name-prefix",
        help=(
            f"only instances whose Name tag starts with this (--discover default: "
            f"{ec2.DEFAULT_NAME_PREFIX}; stdin default: every instance)"
        ),
    )


def _host_options(parser: argparse.ArgumentParser) -> None:
    hosts = parser.add_argument_group("which hosts and how Ansible reaches them")
    hosts.add_argument(
        "--address",
        choices=ec2.ADDRESS_KINDS,
        help="address Ansible connects to; auto (the default) = public if present, else private",
    )
    hosts.add_argument(
        "--group-by-tag",
        action="append",
        default=[],
        metavar="KEY",
        help="add groups tag_KEY_VALUE for this tag (repeatable)",
    )
    hosts.add_argument(
        "--hostname",
        action="append",
        default=[],
        metavar="KIND[,KIND...]",
        help="inventory names, first kind an instance has: tag:KEY, "
        + ", ".join(ec2.HOSTNAME_KINDS)
        + " (default: the address; with a name, Ansible connects to ansible_host)",
    )
    hosts.add_argument(
        "--group-by",
        action="append",
        default=[],
        metavar="KEY[,KEY...]",
        help="keyed groups: tag:KEY (tag_KEY_VALUE), " + ", ".join(ec2.GROUP_BY_KEYS),
    )
    hosts.add_argument("--ansible-user", help="ansible_user for every host")
    hosts.add_argument(
        "--compose",
        action="append",
        default=[],
        metavar="VAR=PATH",
        help="a host variable from an instance field, as the aws_ec2 plugin's compose, but "
        "only a path (private_ip_address, placement.availability_zone, tags.Env, "
        "tags['Name']), never a Jinja2 expression; describe-instances input only (repeatable)",
    )
    hosts.add_argument(
        "--hostvars-prefix",
        default="",
        metavar="TEXT",
        help="before the names of the variables from the instance (ec2_name, instance_id, "
        "private_ip, public_ip, availability_zone), as hostvars_prefix",
    )
    hosts.add_argument(
        "--hostvars-suffix",
        default="",
        metavar="TEXT",
        help="after those names, as hostvars_suffix",
    )


def _output_options(parser: argparse.ArgumentParser) -> None:
    output = parser.add_argument_group("output")
    output.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="ini",
        help="ini (default, as the seed wrote it), yaml, or json (the dynamic --list document)",
    )
    output.add_argument(
        "-o",
        "--output",
        default=DEFAULT_OUTPUT,
        help=f"inventory file, or - for stdout (default {DEFAULT_OUTPUT})",
    )
    output.add_argument("--agent-yml", type=Path, metavar="PATH", help="also write agent.yml")
    output.add_argument(
        "--zone",
        help=f"agent.yml zone: a zone or its letter (default ${ZONE_ENV}, else the control "
        "host's zone)",
    )
    output.add_argument(
        "--embed-credentials",
        action="store_true",
        help="put AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY into agent.yml (written 0600)",
    )
    dynamic = parser.add_argument_group(
        "dynamic inventory (ansible -i <script>)"
    ).add_mutually_exclusive_group()
    dynamic.add_argument("--list", action="store_true", help="print groups and _meta.hostvars")
    dynamic.add_argument("--host", metavar="NAME", help="print one host's variables")
    parser.add_argument(
        "--cache",
        type=_seconds,
        metavar="SECONDS",
        help="with --discover and --list/--host: answer from an answer at most this old",
    )


def read_document(data: bytes) -> object:
    """Parse describe-instances JSON; errors name line and column."""
    if not data.strip():
        raise UsageError(
            "stdin is empty: pipe `aws ec2 describe-instances --output json` into "
            "`dockyard inventory`, or use --discover"
        )
    try:
        document = json.loads(data)
    except json.JSONDecodeError as err:
        raise UsageError(
            f"stdin is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg}): "
            "pipe `aws ec2 describe-instances --output json`"
        ) from None
    except UnicodeDecodeError as err:
        raise UsageError(
            f"stdin is not UTF-8 text ({err.reason} at byte {err.start}): pipe "
            "`aws ec2 describe-instances --output json`"
        ) from None
    except RecursionError:
        raise UsageError(
            "stdin is JSON nested too deeply to be describe-instances output"
        ) from None
    except ValueError:  # an integer longer than Python converts (4,300 digits)
        raise UsageError(
            "stdin holds a number too long to be describe-instances output: pipe "
            "`aws ec2 describe-instances --output json`"
        ) from None
    return document


def _stdin() -> bytes:
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError(
            "stdin is a terminal: pipe `aws ec2 describe-instances --output json` into "
            "`dockyard inventory`, or use --discover"
        )
    return sys.stdin.buffer.read()


def _dataset(
    args: argparse.Namespace, inventory: Inventory, region: Region, env: Mapping[str, str]
) -> FlockerDataset:
    zone = args.zone or env.get(ZONE_ENV) or inventory.control.availability_zone
    if not zone:
        raise UsageError(f"agent.yml needs a zone: pass --zone or set {ZONE_ENV}")
    key_id = secret = None
    if args.embed_credentials:
        key_id = env.get("AWS_ACCESS_KEY_ID")
        secret = env.get("AWS_SECRET_ACCESS_KEY")
        if not key_id or not secret:
            raise UsageError(
                "--embed-credentials needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the "
                "environment"
            )
    return FlockerDataset(
        region=region.name, zone=zone, access_key_id=key_id, secret_access_key=secret
    )


def _seconds(text: str) -> int:
    if not text.isdigit() or len(text) > 9:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a number of seconds")
    return int(text)


def _split(values: list[str]) -> list[str]:
    """Repeated and comma-separated values, in order: `a,b` `c` -> a, b, c."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _check_args(args: argparse.Namespace) -> None:
    dynamic = args.list or args.host is not None
    if dynamic and args.agent_yml is not None:
        raise UsageError("--agent-yml cannot be combined with --list/--host")
    if args.cache is not None and not (dynamic and args.discover):
        raise UsageError("--cache needs --discover and --list or --host")
    if args.discover and args.source not in ("auto", "aws"):
        raise UsageError(f"--discover asks EC2 only: pipe the {args.source} CLI's JSON instead")
    if args.region and len(args.region) > 1 and (not args.discover or args.agent_yml):
        raise UsageError(
            "several --region need --discover, and agent.yml names one region: pass one "
            "--region with --agent-yml or a pipe"
        )
    if args.embed_credentials and args.agent_yml is None:
        raise UsageError("--embed-credentials only applies to --agent-yml PATH")
    if not args.discover and (args.profile or args.endpoint_url):
        raise UsageError("--profile and --endpoint-url need --discover")
    check_endpoint_url(args.endpoint_url)
    if (
        args.agent_yml is not None
        and args.output != "-"
        and Path(args.output).resolve() == args.agent_yml.resolve()
    ):
        raise UsageError("--agent-yml and -o name the same file: give them different paths")


def _regions(args: argparse.Namespace, env: Mapping[str, str]) -> list[str]:
    """The regions --discover asks, each once, in the order given (else the resolved one)."""
    if args.region:
        return list(dict.fromkeys(args.region))
    return [resolve_region(None, env, profile=args.profile).name]


def _filter_sets(
    args: argparse.Namespace,
) -> tuple[list[ec2.FilterSet], list[ec2.FilterSet]]:
    """--include-filter and --exclude-filter, each set parsed."""
    return (
        [ec2.parse_filter_set(text) for text in args.include_filter],
        [ec2.parse_filter_set(text) for text in args.exclude_filter],
    )


def _discover(
    args: argparse.Namespace, env: Mapping[str, str], filters: list[ec2.Filter]
) -> dict[str, Any]:
    """One describe-instances document of every region asked.

    As the aws_ec2 plugin queries (_query): one search per include set (--filter's the
    first, none: one search), each instance once; one per exclude set, whose instances
    are left out."""
    prefix = args.name_prefix if args.name_prefix is not None else ec2.DEFAULT_NAME_PREFIX
    include, exclude = _filter_sets(args)
    searches = ([tuple(filters)] if filters else []) + include or [()]
    reservations: list[Any] = []
    for region in _regions(args, env):

        def search(filter_set: ec2.FilterSet, region: str = region) -> list[Any]:
            document = ec2.discover(
                name_prefix=prefix,
                region=region,
                profile=args.profile,
                endpoint_url=args.endpoint_url,
                filters=filter_set,
            )
            found: list[Any] = document["Reservations"]
            return found

        ignored = {
            i.get("InstanceId")
            for filter_set in exclude
            for r in search(filter_set)
            for i in r.get("Instances", [])
        }
        for filter_set in searches:
            for reservation in search(filter_set):
                kept = [
                    i
                    for i in reservation.get("Instances", [])
                    if i.get("InstanceId") not in ignored
                ]
                ignored.update(i.get("InstanceId") for i in kept)
                if kept:
                    reservations.append({**reservation, "Instances": kept})
    return {"Reservations": reservations}


def _from_pipe(
    args: argparse.Namespace, options: dict[str, Any], filters: list[ec2.Filter]
) -> ec2.Fleet:
    data = _stdin()
    source = clouds.source_of(data) if args.source == "auto" else args.source
    include, exclude = _filter_sets(args)
    entries = compose.parse_pairs(args.compose)
    if source != "aws":
        if filters or include or exclude or entries:
            raise UsageError(
                "--filter is describe-instances' syntax (so are --include-filter, "
                f"--exclude-filter and --compose's paths): it does not apply to {source}"
            )
        try:
            return clouds.fleet_from_cloud(data, source, name_prefix=args.name_prefix, **options)
        except clouds.InvalidJsonError:
            read_document(data)  # the standard library's message, with line and column
            raise
    if filters or include or exclude:
        document, left_out = ec2.filter_document(
            read_document(data), filters, include=include, exclude=exclude
        )
        fleet = ec2.fleet_from_document(
            document, name_prefix=args.name_prefix, compose=entries, **options
        )
        return replace(fleet, filtered_out=left_out)
    if entries:  # the fields compose reads are the whole instance: the reference parser
        return ec2.fleet_from_document(
            read_document(data), name_prefix=args.name_prefix, compose=entries, **options
        )
    return ec2.fleet_from_json(
        data, name_prefix=args.name_prefix, **options
    ) or ec2.fleet_from_document(read_document(data), name_prefix=args.name_prefix, **options)


def build(args: argparse.Namespace, env: Mapping[str, str]) -> ec2.Fleet:
    """The fleet, from stdin or EC2, with skipped instances reported on stderr."""
    # The document is millions of acyclic objects: with the cyclic collector on, every
    # collection while it is parsed and hosts are built and rendered walks them all
    # again (about half of the cost, at 100,000 instances). `run` turns it back on.
    gc.disable()
    options: dict[str, Any] = {
        "address": args.address,
        "group_by_tag": args.group_by_tag,
        "hostnames": ec2.check_hostnames(_split(args.hostname)),
        "group_by": ec2.check_group_by(_split(args.group_by)),
    }
    filters = [ec2.parse_filter(text) for text in args.filter]
    if args.discover:
        prefix = args.name_prefix if args.name_prefix is not None else ec2.DEFAULT_NAME_PREFIX
        document = _discover(args, env, filters)
        entries = compose.parse_pairs(args.compose)
        fleet = ec2.fleet_from_document(document, name_prefix=prefix, compose=entries, **options)
    else:
        fleet = _from_pipe(args, options, filters)
    for skipped in fleet.skipped:
        print(f"dockyard: {skipped}", file=sys.stderr)
    return fleet


# --- --config FILE: the dynamic inventory's settings, as the aws_ec2 plugin takes its YAML ----

_CONFIG_KEYS: Mapping[str, tuple[str, type]] = {
    "regions": ("region", list),
    "profile": ("profile", str),
    "endpoint_url": ("endpoint_url", str),
    "name_prefix": ("name_prefix", str),
    "address": ("address", str),
    "filters": ("filter", list),
    "include_filters": ("include_filter", list),
    "exclude_filters": ("exclude_filter", list),
    "hostnames": ("hostname", list),
    "group_by": ("group_by", list),
    "group_by_tags": ("group_by_tag", list),
    "keyed_groups": ("group_by", list),
    "compose": ("compose", dict),
    "hostvars_prefix": ("hostvars_prefix", str),
    "hostvars_suffix": ("hostvars_suffix", str),
    "ansible_user": ("ansible_user", str),
    "cache": ("cache", int),
    "cache_timeout": ("cache", int),
    "plugin": ("", str),
}
"""Config key -> the option it sets, and its type (lists are lists of strings). The
amazon.aws aws_ec2 plugin's keys are among them, in that plugin's shapes too (a mapping
of filters, hostnames by filter name, keyed_groups, `cache: true` with cache_timeout):
ansible-collections/amazon.aws plugins/inventory/aws_ec2.py @5f058532, DOCUMENTATION."""
PLUGIN_NAMES = ("aws_ec2", "amazon.aws.aws_ec2")
_PLUGIN_HOSTNAMES = {
    "dns-name": "dns",
    "private-dns-name": "private-dns",
    "ip-address": "ip",
    "private-ip-address": "private-ip",
    "instance-id": "id",
}
"""The aws_ec2 plugin's `hostnames` (describe-instances filter names) -> --hostname kinds."""
_PLUGIN_KEYED_GROUPS = {
    ("placement.availability_zone", "availability_zone"): "placement.availability_zone",
    ("placement.region", "region"): "placement.region",
    ("instance_type", "instance_type"): "instance_type",
    ("vpc_id", "vpc_id"): "vpc_id",
}
"""keyed_groups entries ({key, prefix}, separator `_`) that make --group-by's groups."""
DEFAULT_CACHE_TIMEOUT = 3600
"""The plugin's cache_timeout default (Ansible's inventory_cache fragment)."""


class _ConfigProblem(Exception):
    """A value of the wrong shape; the message says what it must be."""


def _filter_text(name: object, values: object) -> str:
    """One filter of the plugin's mapping form as `Name=NAME,Values=V1,V2`."""
    items = values if isinstance(values, list) else [values]
    if not isinstance(name, str) or not all(isinstance(v, (str, int)) for v in items):
        raise _ConfigProblem("a mapping of filter names to a value or a list of values")
    texts = [str(v) for v in items]
    if any("," in t for t in texts):
        raise _ConfigProblem(f"free of commas in filter values (filter {name})")
    return f"Name={name},Values={','.join(texts)}"


def _filter_texts(value: object) -> list[str]:
    """`filters`: a list of `Name=...,Values=...`, or the plugin's mapping."""
    if isinstance(value, dict):
        return [_filter_text(k, v) for k, v in value.items()]
    return _strings(value)


def _config_filter_sets(value: object) -> list[str]:
    """`include_filters`/`exclude_filters`: a list of sets, each a mapping (the plugin's
    form) or a `Name=... Name=...` string."""
    if not isinstance(value, list):
        raise _ConfigProblem("a list of filter sets")
    return [
        " ".join(_filter_texts(item)) if isinstance(item, dict) else _strings([item])[0]
        for item in value
    ]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _ConfigProblem("a list of strings")
    return list(value)


def _keyed_groups(value: object) -> list[str]:
    """The plugin's keyed_groups, those --group-by makes (tags.KEY with prefix tag_KEY,
    the zone, region, instance type, VPC); others are refused by their key."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _ConfigProblem("a list of {key, prefix} mappings")
    keys = []
    for entry in value:
        key, prefix = str(entry.get("key", "")), str(entry.get("prefix", ""))
        unknown = set(entry) - {"key", "prefix", "separator"}
        if unknown or entry.get("separator", "_") != "_":
            raise _ConfigProblem(f"entries of key, prefix and separator '_' (not {entry})")
        if key.startswith("tags.") and prefix == f"tag_{key[5:]}":
            keys.append(f"tag:{key[5:]}")
        elif (key, prefix) in _PLUGIN_KEYED_GROUPS:
            keys.append(_PLUGIN_KEYED_GROUPS[key, prefix])
        else:
            raise _ConfigProblem(
                f"entries dockyard makes: {{key: tags.KEY, prefix: tag_KEY}} or a key and "
                f"prefix of {', '.join(k for k, _ in _PLUGIN_KEYED_GROUPS)} (not {entry})"
            )
    return keys


def _convert(key: str, value: Any) -> Any:
    """A config value as the option takes it; _ConfigProblem if it has another shape."""
    kind = _CONFIG_KEYS[key][1]
    if key == "filters":
        return _filter_texts(value)
    if key in ("include_filters", "exclude_filters"):
        return _config_filter_sets(value)
    if key == "keyed_groups":
        return _keyed_groups(value)
    if key == "hostnames":
        names = _strings(value)
        if any("=" in name for name in names):
            raise _ConfigProblem("names dockyard makes (tag:KEY, not the plugin's tag:KEY=VALUE)")
        return [_PLUGIN_HOSTNAMES.get(v, v) for v in names]
    if key == "compose":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise _ConfigProblem("a mapping of variable names to paths")
        return [f"{k}={v}" for k, v in value.items()]
    if key == "plugin" and value not in PLUGIN_NAMES:
        raise _ConfigProblem(f"one of {', '.join(PLUGIN_NAMES)}")
    if key == "cache" and isinstance(value, bool):
        return value
    if kind is list:
        return _strings(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _ConfigProblem({str: "a string", int: "a number"}[kind])
    return value


def _load_config(path: Path) -> dict[str, Any]:
    """The settings in a YAML config file, each key and type checked, as options take them."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"cannot read --config {path}: {err.strerror or err}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise UsageError(f"--config {path} is not YAML: {str(err).splitlines()[0]}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UsageError(f"--config {path} is not a mapping of settings")
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _CONFIG_KEYS:
            raise UsageError(
                f"--config {path}: unknown setting {printable(str(key))!r}; use "
                + ", ".join(_CONFIG_KEYS)
            )
        try:
            settings[key] = _convert(key, value)
        except _ConfigProblem as err:
            raise UsageError(f"--config {path}: {key} must be {err}") from None
    return _cache_setting(settings)


def _cache_setting(settings: dict[str, Any]) -> dict[str, Any]:
    """The plugin's `cache: true` (with cache_timeout) as our `cache: SECONDS`."""
    cache, timeout = settings.pop("cache", None), settings.pop("cache_timeout", None)
    if cache is True or (cache is None and timeout is not None):
        settings["cache"] = DEFAULT_CACHE_TIMEOUT if timeout is None else timeout
    elif cache is not None and cache is not False:
        settings["cache"] = cache
    settings.pop("plugin", None)
    if "keyed_groups" in settings:  # both make --group-by's groups
        settings["group_by"] = [*settings.get("group_by", []), *settings.pop("keyed_groups")]
    return settings


def _apply_config(args: argparse.Namespace, config: Mapping[str, Any]) -> None:
    """Settings from the config file, for each option not given on the command line."""
    for key, value in config.items():
        option = _CONFIG_KEYS[key][0]
        if getattr(args, option) in (None, [], ""):
            setattr(args, option, value)
    if args.address is not None and args.address not in ec2.ADDRESS_KINDS:
        raise UsageError(f"address {args.address!r}: use one of {', '.join(ec2.ADDRESS_KINDS)}")


# --- --cache SECONDS: the --list answer kept for the dynamic inventory's next call ---------


def _cache_path(args: argparse.Namespace, env: Mapping[str, str]) -> Path:
    """Where the answer for these settings is kept: one file per set of settings."""
    import hashlib

    settings = [
        *(_regions(args, env), args.profile, args.endpoint_url, args.name_prefix),
        *(args.address, args.filter, args.hostname, args.group_by, args.group_by_tag),
        args.ansible_user,
    ]
    extra = [args.include_filter, args.exclude_filter, args.compose]
    extra += [args.hostvars_prefix, args.hostvars_suffix]
    if any(extra):  # a key as before for the settings there were before
        settings.append(extra)
    digest = hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:32]
    explicit = env.get("DOCKYARD_CACHE_DIR")
    if explicit:
        root = Path(explicit)
    else:
        root = Path(env.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser()) / "dockyard"
    return root / f"inventory-{digest}.json"


def _cache_read(args: argparse.Namespace, env: Mapping[str, str]) -> str | None:
    """The kept answer, if there is one younger than --cache seconds."""
    import time

    path = _cache_path(args, env)
    try:
        if time.time() - path.stat().st_mtime >= args.cache:
            return None
        text = path.read_text(encoding="utf-8")
        if not isinstance(json.loads(text)["_meta"]["hostvars"], dict):
            return None  # a torn or foreign file is not used
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return text


def _cache_write(args: argparse.Namespace, env: Mapping[str, str], listing: str) -> None:
    path = _cache_path(args, env)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_files([FileSpec(path, listing, 0o600)])
    except OSError:
        pass  # a cache that cannot be written is only a slower next call


def _inventory(args: argparse.Namespace, fleet: ec2.Fleet) -> Inventory:
    return fleet.inventory(
        ansible_user=args.ansible_user,
        hostvars_prefix=args.hostvars_prefix,
        hostvars_suffix=args.hostvars_suffix,
    )


def _host_answer(inventory: Inventory, name: str) -> dict[str, Any]:
    for host in inventory.hosts:
        if host_name(host) == name:
            return dynamic_host_vars(inventory, host)
    return {}


def _emit(text: str) -> int:
    """Print to stdout; a reader that went away (`| head`) is not a traceback."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's recipe: point stdout at /dev/null so the flush at exit stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0


def run(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> int:
    collecting = gc.isenabled()
    try:
        return _run(args, os.environ if env is None else env)
    finally:
        if collecting:
            gc.enable()


def _dynamic(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """--list or --host: from the cache if asked and fresh, else from the fleet."""
    cached = _cache_read(args, env) if args.cache is not None else None
    if cached is None:
        inventory = _inventory(args, build(args, env))
        listing = render_json(inventory)
        if args.cache is not None:
            _cache_write(args, env, listing)
        if args.host is not None:
            return _emit(json.dumps(_host_answer(inventory, args.host), indent=2) + "\n")
    else:
        listing = cached
    if args.list:
        return _emit(listing)
    hostvars = json.loads(listing)["_meta"]["hostvars"]
    return _emit(json.dumps(hostvars.get(args.host, {}), indent=2) + "\n")


def _run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    if args.config is not None:
        _apply_config(args, _load_config(args.config))
    if args.address is None:
        args.address = "auto"
    _check_args(args)
    if args.list or args.host is not None:
        return _dynamic(args, env)
    fleet = build(args, env)
    inventory = _inventory(args, fleet)
    text = render(inventory, args.format)
    specs = []
    written = ["stdout" if args.output == "-" else args.output]
    if args.output != "-":
        specs.append(FileSpec(Path(args.output), text))
    if args.agent_yml is not None and fleet.cloud != "aws":
        written.append(
            f"agent.yml not written (it configures Flocker's AWS backend; these are "
            f"{fleet.cloud} VMs)"
        )
    elif args.agent_yml is not None:
        region = resolve_region(
            args.region[0] if args.region else None,
            env,
            profile=args.profile,
            control_zone=inventory.control.availability_zone,
        )
        agent = agent_yml_for(inventory, _dataset(args, inventory, region, env))
        specs.append(FileSpec(args.agent_yml, agent, AGENT_YML_MODE))
        written.append(f"agent.yml to {args.agent_yml} (region {region.name} from {region.source})")
    try:
        write_files(specs)
    except OSError as err:
        targets = ", ".join(str(spec.path) for spec in specs)
        raise UsageError(
            f"cannot write {targets}: {err.strerror or err}; nothing was written"
        ) from None
    status = _emit(text) if args.output == "-" else 0
    print(f"dockyard: {ec2.summary(fleet, address=args.address, written=written)}", file=sys.stderr)
    return status
