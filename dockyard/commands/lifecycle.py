"""`dockyard status|start|stop|restart [HOST...|--all]`: the hosts' EC2 state, and changes
to it, as `docker-machine status|start|stop|restart` made them.

    pulumi stack output --json --show-secrets | dockyard stop --all
    pulumi stack output --json --show-secrets | dockyard start --all

A start, stop or restart waits (at most --timeout seconds) until every host named is
running (or stopped), then prints each host's state before and after. Each host keeps its
network interface and Elastic IP, so its addresses, and the engine certificates that
name them, are the same after a stop and a start (docs/hosts-and-ansible.md#lifecycle).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from dockyard.commands import FROM_OUTPUTS, Subparsers, add_stack_option, stack_outputs
from dockyard.errors import UsageError
from dockyard.hosts import lifecycle
from dockyard.hosts.machines import Machine, machines, pick
from dockyard.terminal import printable

HELP = {
    "status": "print the hosts' EC2 state (running, stopped...)",
    "start": "start stopped hosts and wait until they run",
    "stop": "stop running hosts and wait until they have stopped",
    "restart": "reboot running hosts (start stopped ones) and wait until they run",
}


def register(subparsers: Subparsers) -> None:
    for name, text in HELP.items():
        parser = subparsers.add_parser(
            name,
            help=text,
            description=f"{text[0].upper()}{text[1:]}, through the EC2 API. {FROM_OUTPUTS}",
        )
        parser.add_argument("hosts", nargs="*", metavar="HOST", help="host names or indexes")
        parser.add_argument("--all", action="store_true", help="every host of the stack")
        add_aws_options(parser)
        if name != "status":
            parser.add_argument(
                "--timeout",
                type=_seconds,
                default=lifecycle.DEFAULT_TIMEOUT,
                metavar="SECONDS",
                help=f"wait at most this long (default {lifecycle.DEFAULT_TIMEOUT})",
            )
            parser.add_argument(
                "--no-wait", action="store_true", help="make the calls, do not wait"
            )
        add_stack_option(parser)
        parser.set_defaults(func=status if name == "status" else change, action=name)


def add_aws_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--region",
        help="the stack's AWS region (default: the region of the hosts' availability zones)",
    )


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 1 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r} is not 1 to 3600 seconds")
    return seconds


def _hosts(args: argparse.Namespace) -> tuple[list[Machine], str, Any]:
    found = machines(stack_outputs(args, args.action))
    # status without names: every host, as `ls` lists them
    every = args.all or (args.action == "status" and not args.hosts)
    chosen = pick(found, args.hosts, every=every)
    region = lifecycle.stack_region(found, args.region, os.environ)
    return chosen, region, lifecycle.ec2_client(region)


def status(args: argparse.Namespace) -> int:
    """One host named: its state alone (as `docker-machine status`); else NAME STATE lines."""
    chosen, region, client = _hosts(args)
    lives = lifecycle.describe(client, region, chosen)
    if len(args.hosts) == 1 and not args.all:
        print(lives[chosen[0].instance_id].state)
        return 0
    width = max(len(m.name) for m in chosen)
    for machine in chosen:
        print(f"{printable(machine.name).ljust(width)}  {lives[machine.instance_id].state}")
    return 0


def change(args: argparse.Namespace) -> int:
    """Each host's `NAME: BEFORE -> AFTER`."""
    chosen, region, client = _hosts(args)
    if not chosen:
        raise UsageError("no host to change")
    states = lifecycle.change(
        client, region, args.action, chosen, timeout=None if args.no_wait else args.timeout
    )
    for machine in chosen:
        before, after = states[machine.instance_id]
        print(f"{printable(machine.name)}: {before} -> {after}")
    return 0
