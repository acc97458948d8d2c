"""EC2's DescribeInstanceTypes answer for one type, as pulumi-aws's getInstanceType
returns it (the vCPU, memory, instance store, architecture and network interface fields
dockyard reads), from moto's copy of AWS's instance type data
(moto/ec2/resources/instance_types.json.gz: VCpuInfo, InstanceStorageInfo, ProcessorInfo,
NetworkInfo and MemoryInfo as DescribeInstanceTypes lists them)."""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path
from typing import Any

import moto


@functools.cache
def _instance_types() -> dict[str, Any]:
    data = Path(moto.__file__).parent / "ec2" / "resources" / "instance_types.json.gz"
    with gzip.open(data, "rt", encoding="utf-8") as stream:
        loaded: dict[str, Any] = json.load(stream)
    return loaded


def instance_type(name: str) -> dict[str, Any] | None:
    """getInstanceType's outputs for `name` (None: EC2 does not know the type)."""
    info = _instance_types().get(name)
    if info is None:
        return None
    vcpu = info.get("VCpuInfo", {})
    storage = info.get("InstanceStorageInfo", {})
    return {
        "id": name,
        "instanceType": name,
        "defaultCores": vcpu.get("DefaultCores"),
        "defaultThreadsPerCore": vcpu.get("DefaultThreadsPerCore"),
        "defaultVcpus": vcpu.get("DefaultVCpus"),
        "validCores": vcpu.get("ValidCores", []),
        "validThreadsPerCores": vcpu.get("ValidThreadsPerCore", []),
        "instanceStorageSupported": bool(info.get("InstanceStorageSupported")),
        "instanceDisks": [
            {"count": d["Count"], "size": d["SizeInGB"], "type": d["Type"]}
            for d in storage.get("Disks", [])
        ],
        "totalInstanceStorage": storage.get("TotalSizeInGB", 0),
        "supportedArchitectures": info.get("ProcessorInfo", {}).get("SupportedArchitectures", []),
        "maximumNetworkInterfaces": info.get("NetworkInfo", {}).get("MaximumNetworkInterfaces"),
        "memorySize": info.get("MemoryInfo", {}).get("SizeInMiB"),
    }
