"""`dockyard ls`: the stack's Docker hosts as a table, as `docker-machine ls` listed them,
with each host's EC2 state and the problems found (an address that is not the stack's).

    pulumi stack output --json --show-secrets | dockyard ls
    dockyard ls --stack dev --filter state=running -q
    dockyard ls --stack dev --format '{{.Name}} {{.State}}'

The DOCKER column is each running engine's version, asked over TLS with the stack's client
certificate (dockerTls). --offline lists the stack outputs alone (no call to EC2 or an
engine); so does -q without a state filter. When EC2 or the certificate is not there,
the column says `unknown` and one line on stderr says why.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Mapping
from typing import Any

from dockyard.commands import FROM_OUTPUTS, Subparsers, add_stack_option, stack_outputs
from dockyard.commands.lifecycle import add_aws_options
from dockyard.errors import DockyardError
from dockyard.hosts import engines, lifecycle
from dockyard.hosts.listing import (
    FIELDS,
    FILTER_KEYS,
    Row,
    matches,
    parse_filters,
    render,
    sources,
)
from dockyard.hosts.machines import Machine, machines
from dockyard.terminal import printable


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "ls",
        help="list the stack's Docker hosts (name, role, state, addresses, Docker URL)",
        description=f"List the stack's Docker hosts, as `docker-machine ls` did. {FROM_OUTPUTS}",
    )
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"only hosts that match ({', '.join(FILTER_KEYS)}; name is a regex); repeatable",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print the names only")
    parser.add_argument(
        "--format",
        metavar="TEMPLATE",
        help="a line per host from {{.FIELD}} (" + ", ".join(FIELDS) + "); 'table ...' aligns",
    )
    parser.add_argument(
        "--offline", action="store_true", help="the stack outputs alone: no EC2 call"
    )
    add_aws_options(parser)
    add_stack_option(parser)
    parser.set_defaults(func=run)


def ec2_rows(found: list[Machine], region_flag: str | None) -> list[Row]:
    """Each host with its EC2 state and problems; `unknown` (and a line on stderr) when EC2
    cannot be asked."""
    try:
        region = lifecycle.stack_region(found, region_flag, os.environ)
        client = lifecycle.ec2_client(region)
        lives = lifecycle.describe(client, region, found)
    except DockyardError as err:
        print(f"dockyard: ls: no EC2 state ({printable(str(err))})", file=sys.stderr)
        return [Row(m, state="unknown") for m in found]
    rows = []
    for machine in found:
        live = lives[machine.instance_id]
        rows.append(Row(machine, state=live.state, errors=tuple(lifecycle.problems(machine, live))))
    return rows


def with_engines(rows: list[Row], outputs: Mapping[str, Any]) -> list[Row]:
    """The rows with each engine's version, asked over TLS with the stack's client
    certificate; without dockerTls (hidden), one line on stderr and `unknown`."""
    tls = engines.client_tls(outputs)
    if tls is None:
        print(
            "dockyard: ls: no engine versions (dockerTls is missing or hidden: read the "
            "outputs with --show-secrets)",
            file=sys.stderr,
        )
        return [dataclasses.replace(row, docker_version="unknown") for row in rows]
    running = [row.machine for row in rows if row.state in ("running", "-", "unknown")]
    answers = engines.versions(running, tls)
    updated = []
    for row in rows:
        version, problem = answers.get(row.machine.name, ("-", ""))
        errors = (*row.errors, problem) if problem else row.errors
        updated.append(dataclasses.replace(row, docker_version=version, errors=errors))
    return updated


def run(args: argparse.Namespace) -> int:
    filters = parse_filters(args.filter)
    outputs = stack_outputs(args, "ls")
    found = machines(outputs)
    needed = set() if args.offline else sources(filters, args.format, args.quiet)
    rows = ec2_rows(found, args.region) if "ec2" in needed else [Row(m) for m in found]
    if "engine" in needed:
        rows = with_engines(rows, outputs)
    chosen = [row for row in rows if matches(row, filters)]
    sys.stdout.write(render(chosen, quiet=args.quiet, template=args.format))
    return 0
