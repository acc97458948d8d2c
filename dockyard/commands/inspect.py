"""`dockyard inspect [HOST]`: one host's facts as JSON, as `docker-machine inspect` printed
them: its `hosts` entry, how `dockyard ssh` logs in to it, and what EC2 says of it now.

    pulumi stack output --json --show-secrets | dockyard inspect my-prefix-2 | jq .live.state

The JSON is escaped for the terminal: every character outside printable ASCII is a
`\\uXXXX` escape, so a hostile tag or name cannot move the cursor, and `jq` reads it back
unchanged. --offline: no EC2 call (`live` is null).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from dockyard.commands import FROM_OUTPUTS, Subparsers, add_stack_option, stack_outputs
from dockyard.commands.lifecycle import add_aws_options
from dockyard.hosts import lifecycle
from dockyard.hosts.machines import machines, select


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="one host's facts as JSON (stack outputs and its EC2 state)",
        description=(
            "Print one host's facts as JSON: its entry of the hosts output, the ssh settings, "
            f"and its EC2 state and problems. {FROM_OUTPUTS}"
        ),
    )
    parser.add_argument("host", nargs="?", help="host name or index (default: the control host)")
    parser.add_argument("--offline", action="store_true", help="no EC2 call (live is null)")
    add_aws_options(parser)
    add_stack_option(parser)
    parser.set_defaults(func=run)


def terminal_json(document: Any) -> str:
    """JSON with every non-ASCII and control character escaped (DEL too, which json leaves
    as it is), so it is safe to print and parses back to the same value."""
    return json.dumps(document, indent=2, ensure_ascii=True).replace("\x7f", "\\u007f") + "\n"


def run(args: argparse.Namespace) -> int:
    outputs = stack_outputs(args, "inspect")
    found = machines(outputs)
    machine = select(found, args.host)
    facts: dict[str, Any] = {"index": machine.index, **machine.to_output()}
    ssh = outputs.get("ssh")
    facts["ssh"] = ssh if isinstance(ssh, dict) else None
    facts["live"] = None
    facts["errors"] = []
    if not args.offline:
        region = lifecycle.stack_region(found, args.region, os.environ)
        client = lifecycle.ec2_client(region)
        live = lifecycle.describe(client, region, [machine])[machine.instance_id]
        facts["region"] = region
        facts["live"] = live.to_json()
        facts["errors"] = lifecycle.problems(machine, live)
    print(terminal_json(facts), end="")
    return 0
