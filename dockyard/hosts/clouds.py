"""Azure and GCE VMs -> inventory `Host` values, from their CLIs' JSON.

- `az vm list -d --output json` (`-d`/`--show-details` adds `powerState`, `publicIps`,
  `privateIps` and `fqdns`): a list of VMs. Running is `powerState` "VM running"
  (others: "VM deallocated", "VM stopped", "VM starting", ...). `publicIps` and
  `privateIps` are comma-separated strings ("a, b"); the first of each is used.
  The zone is `location` plus the VM's first zone (`eastus-1`), else the location.
  The id is `vmId` (a UUID: the HostKeyAlias); `id` is the resource path.
- `gcloud compute instances list --format=json`: a list of instances. Running is
  `status` RUNNING (others: PROVISIONING, STAGING, STOPPING, STOPPED, SUSPENDING,
  SUSPENDED, REPAIRING, TERMINATED). The private address is the first interface's
  `networkIP`, the public one the first `accessConfigs[].natIP` of any interface in
  order; the zone is the last part of the `zone` URL; the id is `id` (digits).

Which cloud a document is comes from its shape (`source_of`): describe-instances is an
object with `Reservations`; an Azure VM has `resourceGroup`, a GCE instance `selfLink`
(neither has the other's). Tags (Azure) and labels (GCE) play the EC2 tags' part:
`role=control`, `--group-by tag:KEY`, `--hostname tag:KEY`; the name prefix applies to
the VM's name. The same `_FleetBuilder` as EC2's makes the hosts and the control host.

Each document is decoded (msgspec) against the fields read here; one that does not fit
is refused with msgspec's message, which names the field and its place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from dockyard.hosts.ec2 import (
    DocumentError,
    Facts,
    Fleet,
    _FleetBuilder,
    _parse_time,
)

SOURCES = ("aws", "azure", "gce")
AZURE_RUNNING = "VM running"
GCE_RUNNING = "RUNNING"


class _AzureHardware(msgspec.Struct, gc=False):
    vmSize: str | None = None


class _AzureVm(msgspec.Struct, gc=False):
    resourceGroup: str
    name: str | None = None
    id: str | None = None
    vmId: str | None = None
    powerState: str | None = None
    publicIps: str | None = None
    privateIps: str | None = None
    fqdns: str | None = None
    location: str | None = None
    zones: list[str] | None = None
    tags: dict[str, str | None] | None = None
    hardwareProfile: _AzureHardware | None = None
    timeCreated: str | None = None


class _GceAccess(msgspec.Struct, gc=False):
    natIP: str | None = None


class _GceInterface(msgspec.Struct, gc=False):
    networkIP: str | None = None
    accessConfigs: list[_GceAccess] | None = None


class _GceVm(msgspec.Struct, gc=False):
    selfLink: str
    name: str | None = None
    id: str | int | None = None
    status: str | None = None
    zone: str | None = None
    machineType: str | None = None
    labels: dict[str, str] | None = None
    networkInterfaces: list[_GceInterface] | None = None
    creationTimestamp: str | None = None


class InvalidJsonError(DocumentError):
    """The input is not JSON at all (the caller gives the standard library's message)."""


_AZURE = msgspec.json.Decoder(list[_AzureVm])
_GCE = msgspec.json.Decoder(list[_GceVm])
_SHAPES = {
    "azure": "`az vm list -d --output json`",
    "gce": "`gcloud compute instances list --format=json`",
}


def _first(addresses: str | None) -> str | None:
    """The first of `az vm list -d`'s comma-separated addresses ("a, b")."""
    if not addresses:
        return None
    return addresses.split(",", 1)[0].strip() or None


def _time(value: str | None, where: str) -> datetime | None:
    if not value:
        return None
    try:
        return _parse_time(value)
    except (ValueError, OverflowError):
        raise DocumentError(f"{where} {value!r:.40} is not an ISO 8601 time") from None


def _decode(
    decoder: msgspec.json.Decoder[list[_AzureVm]] | msgspec.json.Decoder[list[_GceVm]],
    data: bytes,
    source: str,
) -> list[_AzureVm] | list[_GceVm]:
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as err:
        raise DocumentError(
            f"input is not {_SHAPES[source]} output ({err}): pipe that command's JSON"
        ) from None
    except (msgspec.DecodeError, RecursionError):
        raise InvalidJsonError(f"input is not valid JSON: pipe {_SHAPES[source]}") from None


def fleet_from_azure(data: bytes, builder: _FleetBuilder) -> Fleet:
    """`az vm list -d --output json` -> the running VMs as hosts."""
    vms: list[_AzureVm] = _decode(_AZURE, data, "azure")  # type: ignore[assignment]
    if vms and all(vm.powerState is None for vm in vms):
        raise DocumentError(
            "the Azure VMs have no powerState (nor addresses): `az vm list` prints them only "
            "with -d; pipe `az vm list -d --output json`"
        )
    for index, vm in enumerate(vms):
        if vm.powerState != AZURE_RUNNING:
            builder.not_running += 1
            continue
        if builder.excluded_name(vm.name):
            continue
        if not vm.name or not vm.vmId:
            raise DocumentError(f"$[{index}] is a running VM without a name or a vmId")
        tags = {k: v or "" for k, v in (vm.tags or {}).items()}
        zone = f"{vm.location}-{vm.zones[0]}" if vm.location and vm.zones else vm.location
        size = vm.hardwareProfile.vmSize if vm.hardwareProfile else None
        facts = Facts(public_dns=_first(vm.fqdns), instance_type=size, region=vm.location or None)
        builder.add(
            vm.vmId,
            tags,
            _first(vm.publicIps),
            _first(vm.privateIps),
            _time(vm.timeCreated, f"$[{index}].timeCreated"),
            zone or None,
            facts,
            name=vm.name,
        )
    return builder.fleet("azure")


def _gce_addresses(vm: _GceVm) -> tuple[str | None, str | None]:
    """(public, private): the first NAT IP of any interface, the first interface's IP."""
    interfaces = vm.networkInterfaces or []
    private = interfaces[0].networkIP or None if interfaces else None
    for interface in interfaces:
        for access in interface.accessConfigs or []:
            if access.natIP:
                return access.natIP, private
    return None, private


def fleet_from_gce(data: bytes, builder: _FleetBuilder) -> Fleet:
    """`gcloud compute instances list --format=json` -> the running instances as hosts."""
    vms: list[_GceVm] = _decode(_GCE, data, "gce")  # type: ignore[assignment]
    for index, vm in enumerate(vms):
        if vm.status != GCE_RUNNING:
            builder.not_running += 1
            continue
        if builder.excluded_name(vm.name):
            continue
        if not vm.name or vm.id is None or isinstance(vm.id, bool):
            raise DocumentError(f"$[{index}] is a running instance without a name or an id")
        zone = vm.zone.rsplit("/", 1)[-1] if vm.zone else None
        public, private = _gce_addresses(vm)
        facts = Facts(
            instance_type=vm.machineType.rsplit("/", 1)[-1] if vm.machineType else None,
            region=zone.rsplit("-", 1)[0] if zone else None,
        )
        builder.add(
            str(vm.id),
            dict(vm.labels or {}),
            public,
            private,
            _time(vm.creationTimestamp, f"$[{index}].creationTimestamp"),
            zone or None,
            facts,
            name=vm.name,
        )
    return builder.fleet("gce")


def source_of(data: bytes) -> str:
    """Which CLI printed the document: aws, azure or gce (DocumentError if none did)."""
    head = data.lstrip()[:1]
    if head == b"{":
        return "aws"
    if head == b"[":
        if b'"selfLink"' in data and b'"resourceGroup"' not in data:
            return "gce"
        if b'"resourceGroup"' in data:
            return "azure"
        if data.strip() == b"[]":
            raise DocumentError(
                "input is an empty list: no VMs to put in the inventory (pass --source to "
                "say which CLI printed it)"
            )
    return "aws"


def fleet_from_cloud(
    data: bytes,
    source: str,
    *,
    address: str = "auto",
    name_prefix: str | None = None,
    hostnames: Sequence[str] = (),
    group_by: Sequence[str] = (),
    group_by_tag: Sequence[str] = (),
) -> Fleet:
    """An Azure or GCE document -> the fleet (`source` azure or gce)."""
    builder = _FleetBuilder(address, group_by_tag, name_prefix, hostnames, group_by)
    if source == "azure":
        return fleet_from_azure(data, builder)
    return fleet_from_gce(data, builder)
