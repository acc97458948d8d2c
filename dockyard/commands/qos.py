"""`dockyard qos [HOST]`: each hostQos rule on a host, with its tc class and counters.

    pulumi stack output --json --show-secrets | dockyard qos my-prefix-2

Logs in as `dockyard ssh` does (the stack's key, host keys checked) and runs the
traffic_qos role's `traffic-qos.sh show` (sudo unless the login is root), which lists the
rules the role applied and `tc -s class show` for the interface and the ifb device.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from dockyard.commands import FROM_OUTPUTS, Subparsers, add_stack_option, stack_outputs
from dockyard.errors import UsageError
from dockyard.files import write_file
from dockyard.hosts.machines import machines, private_key, select, ssh_argv, ssh_settings
from dockyard.hosts.qos import parse_show, show_table
from dockyard.terminal import printable

RULES_DIR = "/etc/dockyard/traffic-qos"


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "qos",
        help="show a host's traffic rules (hostQos) with their classes and counters",
        description=(
            "Show each hostQos rule on a host: its direction, device, tc class and rate, "
            f"and the class's sent bytes and packets, drops and overlimits. {FROM_OUTPUTS}"
        ),
    )
    parser.add_argument("host", nargs="?", help="host name or index (default: the control host)")
    parser.add_argument(
        "-i", "--identity", metavar="PATH", help="private key file (default: sshPrivateKey)"
    )
    parser.add_argument("--user", help="login user (default: the stack's ssh.user)")
    parser.add_argument(
        "--known-hosts", metavar="PATH", help="known_hosts file (default: ssh.knownHostsFile)"
    )
    parser.add_argument("--private", action="store_true", help="connect to the private address")
    parser.add_argument(
        "--rules-dir",
        metavar="DIR",
        default=RULES_DIR,
        help=f"the role's traffic_qos_dir on the host (default: {RULES_DIR})",
    )
    add_stack_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.rules_dir.startswith("/") or any(
        c.isspace() or c in "'\"$`\\;&|" for c in args.rules_dir
    ):
        raise UsageError(f"--rules-dir {printable(args.rules_dir)!r} is not a plain absolute path")
    outputs = stack_outputs(args, "qos")
    machine = select(machines(outputs), args.host)
    settings = ssh_settings(
        outputs,
        user=args.user,
        address="private" if args.private else None,
        known_hosts=args.known_hosts,
    )
    if shutil.which("ssh") is None:
        raise UsageError("ssh (the OpenSSH client) is not on PATH")
    key_text = None if args.identity else private_key(outputs)
    if args.identity and not Path(args.identity).expanduser().is_file():
        raise UsageError(f"--identity {args.identity} is not a file")
    settings.known_hosts_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    sudo = [] if settings.user == "root" else ["sudo", "-n"]
    remote = [*sudo, f"{args.rules_dir}/traffic-qos.sh", "show", args.rules_dir]
    with tempfile.TemporaryDirectory(prefix="dockyard-qos-") as private_dir:
        identity = Path(args.identity).expanduser() if args.identity else Path(private_dir) / "id"
        if key_text is not None:
            write_file(identity, key_text, 0o600)
        argv = ssh_argv(machine, settings, identity, remote)
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode == 127 or "No such file" in proc.stderr:
        raise UsageError(
            f"{machine.name} has no traffic rules ({args.rules_dir}/traffic-qos.sh is not "
            "there): hostQos is empty, or the playbook has not run since it was set"
        )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise UsageError(f"reading the rules on {machine.name} failed: {printable(last)[:200]}")
    try:
        rules = parse_show(proc.stdout)
    except ValueError as err:
        raise UsageError(f"{machine.name}: {err}") from None
    # rule names and device names come from the host: escaped line by line
    for line in show_table(rules).splitlines():
        print(printable(line))
    return 0
