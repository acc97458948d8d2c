"""`bench ecs --volume instance-store`: the direct-attached NVMe of an EC2 container host.

Instance store cannot be configured at run time as an ECS-managed EBS volume can: it
comes with the instance type, and the container host formats and mounts it (`user_data`:
the fio stack's fioInstanceStoreType hosts run it) at the directory an EC2 task
definition mounts as the volume under test. So such a run needs three things that are
checked before anything starts: an instance type that has instance store
(DescribeInstanceTypes' InstanceStorageInfo), a task definition for EC2 whose
`fio-target` volume is a host path (DescribeTaskDefinition), and the task placed on the
cluster's EC2 capacity of that type (a capacity provider, or launch type EC2, with a
placement constraint on `ecs.instance-type`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockyard.ecs_instances import user_data as instance_user_data
from dockyard.fio.ecs import TARGET_VOLUME, check_run_task_value, task_overrides
from dockyard.fio.jobs import FioError

INSTANCE_STORE = "instance-store"
MOUNT_PATH = "/mnt/instance-store"
"""Where the hosts mount their instance store; the task definition's fio-target path."""
MOUNTED = {"dockyard.instance-store": "mounted"}
"""The ECS attribute a host registers with once its instance store is mounted."""
PLACEMENT = {
    "type": "memberOf",
    "expression": " and ".join(f"attribute:{k} == {v}" for k, v in MOUNTED.items()),
}
"""The task definition's placement constraint: only on a host whose store is mounted, so
a host that failed to mount it is never measured (its root volume would be)."""
_MODEL = "Amazon EC2 NVMe Instance Storage"
"""The NVMe model an instance store device reports (EBS volumes report "Amazon Elastic
Block Store"): the only devices the script formats."""
_MOUNT_SCRIPT = """\
# The instance store: the NVMe devices of the instance store model, never an EBS
# volume; one ext4 file system (RAID 0 over several disks), mounted before the ECS agent
# starts. fstab remounts it after a reboot (a stop/start erases it, and the group
# replaces a stopped instance anyway).
disks=()
for model in /sys/block/nvme*/device/model; do
  [[ -e $model ]] || continue
  read -r found <"$model" || true
  if [[ $found == "MODEL"* ]]; then
    name=${model#/sys/block/}
    disks+=("/dev/${name%%/*}")
  fi
done
if ((${#disks[@]} == 0)); then
  echo "dockyard: no instance store NVMe device (model MODEL)" >&2
  exit 1
fi
target=${disks[0]}
if ((${#disks[@]} > 1)); then
  command -v mdadm >/dev/null || dnf install -y mdadm
  mdadm --create /dev/md/dockyard-store --run --level=0 --raid-devices=${#disks[@]} "${disks[@]}"
  target=/dev/md/dockyard-store
fi
mkfs.ext4 -q -F -L dockyard-store "$target"
mkdir -p MOUNT
mount -o noatime "$target" MOUNT
echo "$target MOUNT ext4 noatime,nofail 0 2" >>/etc/fstab
"""
INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]{0,15}\.[a-z0-9]{1,16}$")
_CAPACITY_PROVIDER = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


@dataclass(frozen=True)
class InstanceStore:
    """An instance type's instance store, as EC2 describes it, mounted at `host_path`."""

    instance_type: str
    disks: str
    """e.g. `1 x 75 GB ssd, NVMe required` (DescribeInstanceTypes)."""
    host_path: str
    """Where the container host mounts it (the task definition's fio-target host path)."""


def user_data(cluster_name: str) -> str:
    """The instance-store hosts' user data: the host joins `cluster_name`, formats and
    mounts its store at MOUNT_PATH, and only then takes the MOUNTED attribute (a host
    without its store never takes a task of the instance-store task definition)."""
    script = _MOUNT_SCRIPT.replace("MODEL", _MODEL).replace("MOUNT", MOUNT_PATH)
    return instance_user_data(cluster_name, setup=script, attributes=MOUNTED)


def check_instance_type_name(instance_type: str, what: str = "--instance-type") -> str:
    """`instance_type` if it has an instance type's form (full match); FioError naming
    `what` (the flag or stack output it came from)."""
    if not isinstance(instance_type, str) or not INSTANCE_TYPE.fullmatch(instance_type):
        raise FioError(f"{what} {str(instance_type)[:40]!r} is not an instance type")
    return instance_type


def check_capacity_provider(name: str, what: str = "--capacity-provider") -> str:
    """`name` if it has a capacity provider name's form (full match); FioError naming
    `what` (the flag or stack output it came from)."""
    if not isinstance(name, str) or not _CAPACITY_PROVIDER.fullmatch(name):
        raise FioError(f"{what} {str(name)[:40]!r} is not a capacity provider name")
    return name


def check_instance_type(ec2: Any, instance_type: str, what: str = "--instance-type") -> str:
    """The instance type's instance store disks (`1 x 75 GB ssd, NVMe required`);
    FioError naming `what` when the type is unknown or has none."""
    check_instance_type_name(instance_type, what)
    try:
        answer = ec2.describe_instance_types(InstanceTypes=[instance_type])
    except Exception as err:  # botocore's ClientError: InvalidInstanceType
        raise FioError(f"{what} {instance_type}: EC2 does not know it ({err})") from err
    (described,) = answer.get("InstanceTypes") or [{}]
    info = described.get("InstanceStorageInfo") or {}
    disks = info.get("Disks") or []
    if not described.get("InstanceStorageSupported") or not disks:
        raise FioError(
            f"{what} {instance_type} has no instance store (DescribeInstanceTypes: "
            "InstanceStorageSupported false): choose a type with local NVMe, e.g. m5d.large, "
            "c6gd.large or i4i.large"
        )
    shown = ", ".join(f"{d.get('Count')} x {d.get('SizeInGB')} GB {d.get('Type')}" for d in disks)
    return f"{shown}, NVMe {info.get('NvmeSupport', 'unknown')}"


def host_path_of(definition: Mapping[str, Any], what: str = "--ec2-task-definition") -> str:
    """The directory a task definition (DescribeTaskDefinition's `taskDefinition`) mounts
    as the volume under test; FioError unless it is a host path on EC2 capacity (naming
    `what`, the flag or stack output that gave the definition)."""
    name = definition.get("taskDefinitionArn", "the task definition")
    volumes = {v.get("name"): v for v in definition.get("volumes") or []}
    source = ((volumes.get(TARGET_VOLUME) or {}).get("host") or {}).get("sourcePath")
    compatible = "EC2" in (definition.get("requiresCompatibilities") or ["EC2"])
    if not source or not compatible:
        raise FioError(
            f"{name} does not mount a host directory as {TARGET_VOLUME} on EC2: give "
            f"{what} the instance-store task definition of a stack with fioInstanceStoreType "
            "(fioTasks.instanceStoreTaskDefinition), or the fio task definition of a stack "
            "with fioLaunchType EC2, fioVolume host and fioHostPath where the hosts mount "
            "their instance store"
        )
    return str(source)


def slug(store: InstanceStore) -> str:
    """Its part of a run name: instance-store-m5d.large."""
    return f"{INSTANCE_STORE}-{store.instance_type}"


def run_task_params(
    *,
    cluster: str,
    task_definition: str,
    store: InstanceStore,
    plotname: str,
    capacity_provider: str | None = None,
    cpu: int | None = None,
    memory: int | None = None,
) -> dict[str, Any]:
    """RunTask input for one one-off task on the cluster's EC2 capacity of the instance
    type: the capacity provider's (else launch type EC2), placed on that type, the bench
    container told what it measures (volume type, disks, instance type, host path)."""
    check_run_task_value("cluster", cluster)
    check_run_task_value("task definition", task_definition)
    env = {
        "FIO_VOLUME_TYPE": INSTANCE_STORE,
        "FIO_VOLUME_DISKS": store.disks,
        "FIO_VOLUME_HOST_PATH": store.host_path,
        "FIO_COMPUTE": "EC2",
        "FIO_INSTANCE_TYPE": store.instance_type,
        "PLOTNAME": plotname,
        "FIO_NO_SERVE": "1",
    }
    params: dict[str, Any] = {
        "cluster": cluster,
        "taskDefinition": task_definition,
        "count": 1,
        "startedBy": "dockyard-bench-ecs",
        "placementConstraints": [
            {
                "type": "memberOf",
                "expression": f"attribute:ecs.instance-type == {store.instance_type}",
            }
        ],
        "overrides": task_overrides(env, cpu, memory),
        "tags": [{"key": "dockyard:volume", "value": slug(store)}],
    }
    if capacity_provider is None:
        params["launchType"] = "EC2"
    else:
        check_capacity_provider(capacity_provider)
        params["capacityProviderStrategy"] = [{"capacityProvider": capacity_provider, "weight": 1}]
    return params
