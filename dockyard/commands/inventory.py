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
from dockyard.hosts import clouds, ec2
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


def _discover(
    args: argparse.Namespace, env: Mapping[str, str], filters: list[ec2.Filter]
) -> dict[str, Any]:
    """One describe-instances document of every region asked."""
    prefix = args.name_prefix if args.name_prefix is not None else ec2.DEFAULT_NAME_PREFIX
    reservations: list[Any] = []
    for region in _regions(args, env):
        document = ec2.discover(
            name_prefix=prefix,
            region=region,
            profile=args.profile,
            endpoint_url=args.endpoint_url,
            filters=filters,
        )
        reservations.extend(document["Reservations"])
    return {"Reservations": reservations}


def _from_pipe(
    args: argparse.Namespace, options: dict[str, Any], filters: list[ec2.Filter]
) -> ec2.Fleet:
    data = _stdin()
    source = clouds.source_of(data) if args.source == "auto" else args.source
    if source != "aws":
        if filters:
            raise UsageError(
                f"--filter is describe-instances' syntax: it does not apply to {source}"
            )
        try:
            return clouds.fleet_from_cloud(data, source, name_prefix=args.name_prefix, **options)
        except clouds.InvalidJsonError:
            read_document(data)  # the standard library's message, with line and column
            raise
    if filters:
        document, left_out = ec2.filter_document(read_document(data), filters)
        fleet = ec2.fleet_from_document(document, name_prefix=args.name_prefix, **options)
        return replace(fleet, filtered_out=left_out)
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
        fleet = ec2.fleet_from_document(document, name_prefix=prefix, **options)
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
    "hostnames": ("hostname", list),
    "group_by": ("group_by", list),
    "group_by_tags": ("group_by_tag", list),
    "ansible_user": ("ansible_user", str),
    "cache": ("cache", int),
}
"""Config key -> the option it sets, and its type (lists are lists of strings)."""


def _load_config(path: Path) -> dict[str, Any]:
    """The settings in a YAML config file, each key and type checked."""
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
    for key, value in data.items():
        if key not in _CONFIG_KEYS:
            raise UsageError(
                f"--config {path}: unknown setting {printable(str(key))!r}; use "
                + ", ".join(_CONFIG_KEYS)
            )
        kind = _CONFIG_KEYS[key][1]
        if kind is list and isinstance(value, str):
            value = data[key] = [value]
        fits = isinstance(value, kind) and not isinstance(value, bool)
        if not fits or (kind is list and not all(isinstance(v, str) for v in value)):
            wanted = {list: "a list of strings", str: "a string", int: "a number"}[kind]
            raise UsageError(f"--config {path}: {key} must be {wanted}")
    return data


def _apply_config(args: argparse.Namespace, config: Mapping[str, Any]) -> None:
    """Settings from the config file, for each option not given on the command line."""
    for key, value in config.items():
        option = _CONFIG_KEYS[key][0]
        if getattr(args, option) in (None, []):
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
        inventory = build(args, env).inventory(ansible_user=args.ansible_user)
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
    inventory = fleet.inventory(ansible_user=args.ansible_user)
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
