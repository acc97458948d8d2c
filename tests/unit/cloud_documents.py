"""`az vm list -d --output json` and `gcloud compute instances list --format=json` VMs.

Every field each CLI prints for a VM, from their documented output:

- Azure: `az vm list` (https://learn.microsoft.com/en-us/cli/azure/vm#az-vm-list),
  whose `-d/--show-details` adds `powerState`, `publicIps`, `privateIps`, `fqdns` and
  `macAddresses` ("Show public ip address, FQDN, and power states"); the rest is the
  VirtualMachine resource (https://learn.microsoft.com/en-us/rest/api/compute/virtual-machines/get),
  flattened as the CLI prints it (`properties.*` at the top, camelCase). Power states:
  "VM running", "VM deallocated", "VM stopped", "VM starting", "VM deallocating".
  Several addresses are printed comma-separated ("a, b").
- GCE: `gcloud compute instances list`
  (https://cloud.google.com/sdk/gcloud/reference/compute/instances/list) prints the
  Instance resource (https://cloud.google.com/compute/docs/reference/rest/v1/instances)
  with `--format=json`: `id` as a string (uint64), `zone` and `machineType` as URLs,
  `networkInterfaces[].networkIP` and `accessConfigs[].natIP`; status one of
  PROVISIONING, STAGING, RUNNING, STOPPING, STOPPED, SUSPENDING, SUSPENDED, REPAIRING,
  TERMINATED.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
PROJECT = "my-project"


def azure_vm(
    name: str,
    *,
    power: str = "VM running",
    public: str = "",
    private: str = "10.0.0.4",
    zones: list[str] | None = None,
    tags: dict[str, str] | None = None,
    location: str = "eastus",
    group: str = "my-rg",
    created: str = "2024-03-01T10:00:00.1234567+00:00",
    size: str = "Standard_B2s",
) -> dict[str, Any]:
    """One VM as `az vm list -d --output json` prints it."""
    vm_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, name))
    base = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{group.upper()}/providers"
    return {
        "additionalCapabilities": None,
        "applicationProfile": None,
        "availabilitySet": None,
        "billingProfile": None,
        "capacityReservation": None,
        "diagnosticsProfile": {"bootDiagnostics": {"enabled": True, "storageUri": None}},
        "etag": None,
        "evictionPolicy": None,
        "extendedLocation": None,
        "extensionsTimeBudget": None,
        "fqdns": "",
        "hardwareProfile": {"vmSize": size, "vmSizeProperties": None},
        "host": None,
        "hostGroup": None,
        "id": f"{base}/Microsoft.Compute/virtualMachines/{name}",
        "identity": None,
        "instanceView": None,
        "licenseType": None,
        "location": location,
        "macAddresses": "00-0D-3A-1B-2C-3D",
        "managedBy": None,
        "name": name,
        "networkProfile": {
            "networkApiVersion": None,
            "networkInterfaceConfigurations": None,
            "networkInterfaces": [
                {
                    "deleteOption": None,
                    "id": f"{base}/Microsoft.Network/networkInterfaces/{name}VMNic",
                    "primary": None,
                    "resourceGroup": group.upper(),
                }
            ],
        },
        "osProfile": {
            "adminPassword": None,
            "adminUsername": "azureuser",
            "allowExtensionOperations": True,
            "computerName": name,
            "customData": None,
            "linuxConfiguration": {
                "disablePasswordAuthentication": True,
                "enableVmAgentPlatformUpdates": False,
                "patchSettings": {"assessmentMode": "ImageDefault", "patchMode": "ImageDefault"},
                "provisionVmAgent": True,
                "ssh": {"publicKeys": [{"keyData": "ssh-ed25519 AAAA", "path": "/home/a"}]},
            },
            "requireGuestProvisionSignal": True,
            "secrets": [],
            "windowsConfiguration": None,
        },
        "plan": None,
        "platformFaultDomain": None,
        "powerState": power,
        "priority": None,
        "privateIps": private,
        "provisioningState": "Succeeded",
        "proximityPlacementGroup": None,
        "publicIps": public,
        "resourceGroup": group,
        "resources": None,
        "scheduledEventsPolicy": None,
        "scheduledEventsProfile": None,
        "securityProfile": {"securityType": "TrustedLaunch", "uefiSettings": None},
        "storageProfile": {
            "dataDisks": [],
            "diskControllerType": "SCSI",
            "imageReference": {
                "offer": "0001-com-ubuntu-server-jammy",
                "publisher": "Canonical",
                "sku": "22_04-lts-gen2",
                "version": "latest",
            },
            "osDisk": {
                "caching": "ReadWrite",
                "createOption": "FromImage",
                "diskSizeGb": 30,
                "managedDisk": {"id": f"{base}/Microsoft.Compute/disks/{name}_OsDisk"},
                "name": f"{name}_OsDisk",
                "osType": "Linux",
            },
        },
        "tags": tags if tags is not None else {},
        "timeCreated": created,
        "type": "Microsoft.Compute/virtualMachines",
        "userData": None,
        "virtualMachineScaleSet": None,
        "vmId": vm_id,
        "zones": zones,
    }


def gce_vm(
    name: str,
    number: int,
    *,
    status: str = "RUNNING",
    nat: list[list[str]] | None = None,
    private: list[str] | None = None,
    zone: str = "us-central1-a",
    labels: dict[str, str] | None = None,
    created: str = "2024-03-01T02:00:00.000-08:00",
    machine: str = "e2-medium",
) -> dict[str, Any]:
    """One instance as `gcloud compute instances list --format=json` prints it.

    `private` is each interface's networkIP, `nat` each interface's natIPs.
    """
    api = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}"
    privates = private if private is not None else ["10.128.0.2"]
    nats = nat if nat is not None else [[] for _ in privates]
    interfaces = [
        {
            "accessConfigs": [
                {
                    "kind": "compute#accessConfig",
                    "name": "External NAT",
                    "natIP": ip,
                    "networkTier": "PREMIUM",
                    "type": "ONE_TO_ONE_NAT",
                }
                for ip in ips
            ],
            "fingerprint": "abcdEFGH123=",
            "kind": "compute#networkInterface",
            "name": f"nic{index}",
            "network": f"{api}/global/networks/default",
            "networkIP": ip_private,
            "stackType": "IPV4_ONLY",
            "subnetwork": f"{api}/regions/{zone[:-2]}/subnetworks/default",
        }
        for index, (ip_private, ips) in enumerate(zip(privates, nats, strict=True))
    ]
    doc: dict[str, Any] = {
        "canIpForward": False,
        "cpuPlatform": "Intel Broadwell",
        "creationTimestamp": created,
        "deletionProtection": False,
        "disks": [
            {
                "architecture": "X86_64",
                "autoDelete": True,
                "boot": True,
                "deviceName": name,
                "diskSizeGb": "10",
                "guestOsFeatures": [{"type": "VIRTIO_SCSI_MULTIQUEUE"}],
                "index": 0,
                "interface": "SCSI",
                "kind": "compute#attachedDisk",
                "licenses": [f"{api}/global/licenses/debian-12-bookworm"],
                "mode": "READ_WRITE",
                "source": f"{api}/zones/{zone}/disks/{name}",
                "type": "PERSISTENT",
            }
        ],
        "fingerprint": "xyzXYZ98765=",
        "id": str(7_000_000_000_000_000_000 + number),
        "kind": "compute#instance",
        "labelFingerprint": "42WmSpB8rSM=",
        "lastStartTimestamp": created,
        "machineType": f"{api}/zones/{zone}/machineTypes/{machine}",
        "metadata": {"fingerprint": "Xp8Qe6mFw0M=", "kind": "compute#metadata"},
        "name": name,
        "networkInterfaces": interfaces,
        "scheduling": {
            "automaticRestart": True,
            "onHostMaintenance": "MIGRATE",
            "preemptible": False,
            "provisioningModel": "STANDARD",
        },
        "selfLink": f"{api}/zones/{zone}/instances/{name}",
        "serviceAccounts": [
            {
                "email": "123-compute@developer.gserviceaccount.com",
                "scopes": ["https://www.googleapis.com/auth/devstorage.read_only"],
            }
        ],
        "shieldedInstanceConfig": {
            "enableIntegrityMonitoring": True,
            "enableSecureBoot": False,
            "enableVtpm": True,
        },
        "shieldedInstanceIntegrityPolicy": {"updateAutoLearnPolicy": True},
        "startRestricted": False,
        "status": status,
        "tags": {"fingerprint": "42WmSpB8rSM=", "items": ["docker"]},
        "zone": f"{api}/zones/{zone}",
    }
    if labels is not None:
        doc["labels"] = labels
    if status == "TERMINATED":
        doc["lastStopTimestamp"] = created
    return doc


def azure_fleet() -> list[dict[str, Any]]:
    """Running VMs with one, several and no public address; deallocated, stopped and
    starting VMs; another prefix; a control VM by tag."""
    return [
        azure_vm("my-prefix-1", public="20.1.1.1", private="10.0.0.4", zones=["1"]),
        azure_vm(
            "my-prefix-2",
            public="20.1.1.2, 20.1.1.9",
            private="10.0.0.5, 10.0.1.5",
            zones=["2"],
            tags={"role": "control", "Env": "prod"},
        ),
        azure_vm("my-prefix-3", private="10.0.0.6", tags={"Env": "stage/eu"}),
        azure_vm("my-prefix-4", power="VM deallocated", public="", private=""),
        azure_vm("my-prefix-5", power="VM stopped", public="20.1.1.5", private="10.0.0.8"),
        azure_vm("my-prefix-6", power="VM starting", private="10.0.0.9"),
        azure_vm("other-1", public="20.1.1.7", private="10.0.0.10"),
    ]


def gce_fleet() -> list[dict[str, Any]]:
    """Running instances with one NAT IP, two interfaces (NAT on the second) and none;
    terminated, staging and stopping ones; another prefix; a control by label."""
    return [
        gce_vm("my-prefix-1", 1, nat=[["34.1.1.1"]], private=["10.128.0.2"]),
        gce_vm(
            "my-prefix-2",
            2,
            nat=[[], ["34.1.1.2"]],
            private=["10.128.0.3", "10.8.0.3"],
            labels={"role": "control", "env": "prod"},
            zone="us-central1-b",
        ),
        gce_vm("my-prefix-3", 3, private=["10.128.0.4"], labels={"env": "stage"}),
        gce_vm("my-prefix-4", 4, status="TERMINATED", private=["10.128.0.5"]),
        gce_vm("my-prefix-5", 5, status="STAGING", private=["10.128.0.6"]),
        gce_vm("my-prefix-6", 6, status="STOPPING", nat=[["34.1.1.6"]]),
        gce_vm("other-1", 7, nat=[["34.1.1.7"]], private=["10.128.0.8"]),
    ]


def dockyard(stdin: object, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockyard", "inventory", *args],
        input=stdin if isinstance(stdin, str) else json.dumps(stdin, indent=2),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=cwd,
    )


EXPECTED = {
    "azure": {
        "20.1.1.1": ("my-prefix-1", "10.0.0.4", "20.1.1.1", "eastus-1"),
        "20.1.1.2": ("my-prefix-2", "10.0.0.5", "20.1.1.2", "eastus-2"),
        "10.0.0.6": ("my-prefix-3", "10.0.0.6", None, "eastus"),
    },
    "gce": {
        "34.1.1.1": ("my-prefix-1", "10.128.0.2", "34.1.1.1", "us-central1-a"),
        "34.1.1.2": ("my-prefix-2", "10.128.0.3", "34.1.1.2", "us-central1-b"),
        "10.128.0.4": ("my-prefix-3", "10.128.0.4", None, "us-central1-a"),
    },
}
"""Address -> (name, private IP, public IP, zone) of the running my-prefix VMs of
`azure_fleet()` and `gce_fleet()`."""
