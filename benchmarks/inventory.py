"""How much does `dockyard inventory` cost next to just parsing its input?

Generates `aws ec2 describe-instances --output json` documents (the CLI's layout,
4-space indent, a few stopped instances) of 1,000, 10,000 and 100,000 instances in
these shapes:

- full:    1-4 instances per reservation, every field EC2 returns for an instance in
           a VPC (~5 KB per instance);
- compact: 4 instances per reservation, only the fields the command reads;
- dense:   the full document as boto3 users write it (`json.dumps`, no indent);
- azure:   `az vm list -d --output json` (2-space indent), every field it prints;
- gce:     `gcloud compute instances list --format=json` (2-space indent), every field.

The Azure and GCE VMs come from tests/unit/cloud_documents.py, the suite's documents
built from those CLIs' documented output; about 1 in 20 is not running.

and measures side by side in this one run, best of --repeat:

- bare:    `json.load` of the file, in this process (nothing else);
- cli:     `python -m dockyard inventory -o FILE < doc.json`, end to end in a fresh
           process (interpreter start, imports, read, parse, build, render, write);
- in-proc: the same command through `dockyard.cli.main` in this process (no start-up).

and prints cli / bare and in-proc / bare. Target: at 100,000 instances cli / bare is
at most 1.0 on every shape (dense is the issue's "compact document": json.dumps with no
indent): the whole command no slower than parsing its input.

    .venv/bin/python benchmarks/inventory.py [--sizes 1000,10000,100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import ipaddress
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dockyard.cli import main as dockyard_main

TARGET_RATIO = 1.0
TARGET_SIZE = 100_000
SHAPES = ("compact", "full", "dense", "azure", "gce")
COMPACT_FIELDS = (
    *("InstanceId", "State", "Tags", "PublicIpAddress", "PrivateIpAddress", "Placement"),
    "LaunchTime",
)


def _instance(n: int, rng: random.Random, start: datetime) -> dict[str, Any]:
    instance_id = f"i-{n:017x}"
    private = str(ipaddress.IPv4Address(0x0A000000 + n + 10))
    public = str(ipaddress.IPv4Address(0x36000000 + n + 10))
    zone = "us-east-1" + "abcdef"[n % 6]
    running = rng.random() > 0.05
    launched = (start + timedelta(seconds=rng.randrange(10_000_000))).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"
    )
    eni = f"eni-{n:017x}"
    doc: dict[str, Any] = {
        "AmiLaunchIndex": 0,
        "ImageId": "ami-0c55b159cbfafe1f0",
        "InstanceId": instance_id,
        "InstanceType": "t3.medium",
        "KeyName": "my-key",
        "LaunchTime": launched,
        "Monitoring": {"State": "disabled"},
        "Placement": {"AvailabilityZone": zone, "GroupName": "", "Tenancy": "default"},
        "PrivateDnsName": f"ip-{private.replace('.', '-')}.ec2.internal",
        "PrivateIpAddress": private,
        "ProductCodes": [],
        "PublicDnsName": f"ec2-{public.replace('.', '-')}.compute-1.amazonaws.com",
        "State": {"Code": 16, "Name": "running"} if running else {"Code": 80, "Name": "stopped"},
        "StateTransitionReason": "",
        "SubnetId": "subnet-0bb1c79de3EXAMPLE",
        "VpcId": "vpc-0dc1c79de3EXAMPLE",
        "Architecture": "x86_64",
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {
                    "AttachTime": launched,
                    "DeleteOnTermination": True,
                    "Status": "attached",
                    "VolumeId": f"vol-{n:017x}",
                },
            }
        ],
        "ClientToken": "",
        "EbsOptimized": False,
        "EnaSupport": True,
        "Hypervisor": "xen",
        "NetworkInterfaces": [
            {
                "Association": {
                    "IpOwnerId": "amazon",
                    "PublicDnsName": f"ec2-{public.replace('.', '-')}.compute-1.amazonaws.com",
                    "PublicIp": public,
                },
                "Attachment": {
                    "AttachTime": launched,
                    "AttachmentId": f"eni-attach-{n:017x}",
                    "DeleteOnTermination": True,
                    "DeviceIndex": 0,
                    "Status": "attached",
                },
                "Description": "",
                "Groups": [{"GroupName": "my-prefix-sg", "GroupId": "sg-0a1b2c3d4e5f6a7b8"}],
                "Ipv6Addresses": [],
                "MacAddress": "0e:"
                + ":".join(f"{(n >> b) & 0xFF:02x}" for b in (32, 24, 16, 8, 0)),
                "NetworkInterfaceId": eni,
                "OwnerId": "123456789012",
                "PrivateIpAddress": private,
                "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": private}],
                "SourceDestCheck": True,
                "Status": "in-use",
                "SubnetId": "subnet-0bb1c79de3EXAMPLE",
                "VpcId": "vpc-0dc1c79de3EXAMPLE",
                "InterfaceType": "interface",
            }
        ],
        "RootDeviceName": "/dev/xvda",
        "RootDeviceType": "ebs",
        "SecurityGroups": [{"GroupName": "my-prefix-sg", "GroupId": "sg-0a1b2c3d4e5f6a7b8"}],
        "SourceDestCheck": True,
        "Tags": [
            {"Key": "Name", "Value": f"my-prefix-{n}"},
            {"Key": "env", "Value": rng.choice(["prod", "stage"])},
        ],
        "VirtualizationType": "hvm",
        "CpuOptions": {"CoreCount": 1, "ThreadsPerCore": 2},
        "MetadataOptions": {
            "State": "applied",
            "HttpTokens": "required",
            "HttpPutResponseHopLimit": 1,
            "HttpEndpoint": "enabled",
        },
    }
    if running:
        doc["PublicIpAddress"] = public
    return doc


def _compact(instance: dict[str, Any]) -> dict[str, Any]:
    """Only the fields `dockyard inventory` reads (State.Code, Placement.AvailabilityZone)."""
    kept = {key: instance[key] for key in COMPACT_FIELDS if key in instance}
    kept["State"] = {"Code": instance["State"]["Code"]}
    kept["Placement"] = {"AvailabilityZone": instance["Placement"]["AvailabilityZone"]}
    return kept


def _cloud_vms(count: int, shape: str) -> list[dict[str, Any]]:
    """`count` Azure or GCE VMs, one in 20 deallocated/terminated, a third private-only."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.unit.cloud_documents import azure_vm, gce_vm

    vms = []
    for n in range(count):
        private = str(ipaddress.IPv4Address(0x0A000000 + n + 10))
        public = str(ipaddress.IPv4Address(0x36000000 + n + 10)) if n % 3 else ""
        running = n % 20 != 7
        if shape == "azure":
            power = "VM running" if running else "VM deallocated"
            vms.append(
                azure_vm(
                    f"my-prefix-{n}",
                    power=power,
                    public=public,
                    private=private,
                    zones=[str(n % 3 + 1)],
                    tags={"env": "prod"},
                )
            )
        else:
            status = "RUNNING" if running else "TERMINATED"
            nat = [[public]] if public else [[]]
            vms.append(
                gce_vm(
                    f"my-prefix-{n}",
                    n,
                    status=status,
                    nat=nat,
                    private=[private],
                    labels={"env": "prod"},
                )
            )
    return vms


def write_document(path: Path, count: int, shape: str) -> None:
    """The document of `count` instances in `shape`, laid out as its CLI (or boto3) writes it."""
    if shape in ("azure", "gce"):
        path.write_text(json.dumps(_cloud_vms(count, shape), indent=2))
    elif shape == "dense":
        path.write_text(json.dumps(make_document(count, shape="full")))
    else:
        path.write_text(json.dumps(make_document(count, shape=shape), indent=4))


def make_document(count: int, seed: int = 7, shape: str = "full") -> dict[str, Any]:
    """A describe-instances document of `count` instances (shape full or compact)."""
    rng = random.Random(seed)  # noqa: S311 (test data, not secrets)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    reservations = []
    n = 0
    while n < count:
        size = min(4 if shape == "compact" else rng.randint(1, 4), count - n)
        instances = [_instance(n + k, rng, start) for k in range(size)]
        if shape == "compact":
            reservations.append({"Instances": [_compact(i) for i in instances]})
        else:
            reservations.append(
                {
                    "Groups": [],
                    "Instances": instances,
                    "OwnerId": "123456789012",
                    "ReservationId": f"r-{n:017x}",
                }
            )
        n += size
    return {"Reservations": reservations}


def time_bare(path: Path) -> float:
    begin = time.perf_counter()
    with path.open("rb") as handle:
        json.load(handle)
    return time.perf_counter() - begin


def time_cli(path: Path, out: Path) -> float:
    begin = time.perf_counter()
    with path.open("rb") as stdin:
        subprocess.run(
            [sys.executable, "-m", "dockyard", "inventory", "-o", str(out)],
            stdin=stdin,
            stderr=subprocess.DEVNULL,
            check=True,
        )
    return time.perf_counter() - begin


def time_in_process(path: Path, out: Path) -> float:
    begin = time.perf_counter()
    with (
        path.open("rb") as raw,
        io.TextIOWrapper(raw) as stdin,
        contextlib.redirect_stderr(io.StringIO()),
    ):
        saved, sys.stdin = sys.stdin, stdin
        try:
            status = dockyard_main(["inventory", "-o", str(out)])
        finally:
            sys.stdin = saved
    elapsed = time.perf_counter() - begin
    if status != 0:
        raise SystemExit(f"dockyard inventory exited {status} on {path}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    shapes = args.shapes.split(",")
    print(
        f"{'instances':>10} {'shape':>8} {'MB':>7} {'json.load s':>12} {'cli s':>8} "
        f"{'cli/bare':>9} {'in-proc s':>10} {'in-proc/bare':>13}"
    )
    missed = []
    with tempfile.TemporaryDirectory(prefix="dockyard-bench-") as tmp:
        for size in sizes:
            for shape in shapes:
                doc_path = Path(tmp) / f"describe-{size}-{shape}.json"
                write_document(doc_path, size, shape)
                out = Path(tmp) / "ansible_inventory"
                bare, cli, inproc = [], [], []
                for _ in range(args.repeat):
                    bare.append(time_bare(doc_path))
                    cli.append(time_cli(doc_path, out))
                    inproc.append(time_in_process(doc_path, out))
                hosts = sum(1 for line in out.read_text().split("\n[")[1].splitlines()[1:] if line)
                ratio = min(cli) / min(bare)
                mb = doc_path.stat().st_size / 1e6
                print(
                    f"{size:>10} {shape:>8} {mb:>7.1f} {min(bare):>12.3f} {min(cli):>8.3f} "
                    f"{ratio:>9.2f} {min(inproc):>10.3f} {min(inproc) / min(bare):>13.2f}"
                    f"   ({hosts} running hosts in the inventory)",
                    flush=True,
                )
                if size == TARGET_SIZE and ratio > TARGET_RATIO:
                    missed.append(shape)
                doc_path.unlink()
    if TARGET_SIZE in sizes:
        state = f"MISSED ({', '.join(missed)})" if missed else "met"
        print(
            f"target: cli/bare <= {TARGET_RATIO} at {TARGET_SIZE} instances "
            f"({', '.join(shapes)}): {state}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
