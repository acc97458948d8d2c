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
from pathlib import Path
from typing import Any

from dockyard.commands import Subparsers, check_endpoint_url
from dockyard.errors import UsageError
from dockyard.files import FileSpec, write_files
from dockyard.hosts import ec2
from dockyard.hosts.inventory import (
    FORMATS,
    FlockerDataset,
    Inventory,
    agent_yml_for,
    dynamic_host_vars,
    render,
    render_json,
)
from dockyard.hosts.region import REGION_ENV, Region, resolve_region

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
    source = parser.add_argument_group("where the instances come from")
    source.add_argument(
        "--discover",
        action="store_true",
        help="ask EC2 (boto3) instead of reading describe-instances JSON from stdin",
    )
    source.add_argument(
        "--region",
        help=(
            "AWS region (discovery and agent.yml); default: the first of $"
            + ", $".join(REGION_ENV)
            + " set, else the AWS config file's region, else the control host's zone's"
        ),
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
    hosts = parser.add_argument_group("which hosts and how Ansible reaches them")
    hosts.add_argument(
        "--address",
        choices=ec2.ADDRESS_KINDS,
        default="auto",
        help="address Ansible connects to; auto = public if present, else private",
    )
    hosts.add_argument(
        "--group-by-tag",
        action="append",
        default=[],
        metavar="KEY",
        help="add groups tag_KEY_VALUE for this tag (repeatable)",
    )
    hosts.add_argument("--ansible-user", help="ansible_user for every host")
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
    parser.set_defaults(func=run)


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


def _check_args(args: argparse.Namespace) -> None:
    dynamic = args.list or args.host is not None
    if dynamic and args.agent_yml is not None:
        raise UsageError("--agent-yml cannot be combined with --list/--host")
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


def build(args: argparse.Namespace, env: Mapping[str, str]) -> ec2.Fleet:
    """The fleet, from stdin or EC2, with skipped instances reported on stderr."""
    # The document is millions of acyclic objects: with the cyclic collector on, every
    # collection while it is parsed and hosts are built and rendered walks them all
    # again (about half of the cost, at 100,000 instances). `run` turns it back on.
    gc.disable()
    options: dict[str, Any] = {"address": args.address, "group_by_tag": args.group_by_tag}
    if args.discover:
        prefix = args.name_prefix if args.name_prefix is not None else ec2.DEFAULT_NAME_PREFIX
        document: object = ec2.discover(
            name_prefix=prefix,
            region=resolve_region(args.region, env, profile=args.profile).name,
            profile=args.profile,
            endpoint_url=args.endpoint_url,
        )
        fleet = ec2.fleet_from_document(document, name_prefix=prefix, **options)
    else:
        data = _stdin()
        fleet = ec2.fleet_from_json(
            data, name_prefix=args.name_prefix, **options
        ) or ec2.fleet_from_document(read_document(data), name_prefix=args.name_prefix, **options)
    for skipped in fleet.skipped:
        print(f"dockyard: {skipped}", file=sys.stderr)
    return fleet


def _host_answer(inventory: Inventory, name: str) -> dict[str, Any]:
    for host in inventory.hosts:
        if host.address == name:
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


def _run(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    _check_args(args)
    fleet = build(args, env)
    inventory = fleet.inventory(ansible_user=args.ansible_user)
    if args.list:
        return _emit(render_json(inventory))
    if args.host is not None:
        return _emit(json.dumps(_host_answer(inventory, args.host), indent=2) + "\n")
    text = render(inventory, args.format)
    specs = []
    written = ["stdout" if args.output == "-" else args.output]
    if args.output != "-":
        specs.append(FileSpec(Path(args.output), text))
    if args.agent_yml is not None:
        region = resolve_region(
            args.region,
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
