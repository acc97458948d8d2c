"""The instance-store hosts' user data (dockyard.fio.instance_store.user_data), run for
real by bash as root in a private mount namespace: loop devices stand in for the NVMe
disks, the kernel's sysfs `model` files for what the NVMe driver reports (an instance
store disk and an EBS volume), and copies of /etc and /mnt for the host's.

The script formats and mounts only the instance store disk (the EBS volume's bytes are
untouched), writes the fstab line and joins the cluster with the `mounted` attribute; on
an instance with no instance store it fails, naming the problem, and joins the cluster
without the attribute (so no instance-store task is ever placed there).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.fio.instance_store import MOUNT_PATH, MOUNTED, user_data
from tests.harness.tools import require_root, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]

STORE_MODEL = "Amazon EC2 NVMe Instance Storage        "
"""As the NVMe driver shows it: the model padded with spaces to 40 characters."""
EBS_MODEL = "Amazon Elastic Block Store              "
DECOY = b"the root EBS volume: never formatted\n"


@pytest.fixture
def loops(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Two 64 MiB loop devices: `store` (blank) and `ebs` (holding DECOY)."""
    require_root()
    losetup = require_tool("losetup")
    devices: dict[str, str] = {}
    try:
        for name in ("store", "ebs"):
            backing = tmp_path / f"{name}.img"
            with backing.open("wb") as out:
                out.truncate(64 * 1024 * 1024)
            if name == "ebs":
                with backing.open("r+b") as out:
                    out.write(DECOY)
            devices[name] = subprocess.run(
                [losetup, "--find", "--show", str(backing)],
                capture_output=True, text=True, check=True,
            ).stdout.strip()  # fmt: skip
        yield devices
    finally:
        for device in devices.values():
            subprocess.run([losetup, "--detach", device], check=False)


def _node(device: str) -> str:
    """`major minor` of a block device, for mknod."""
    rdev = Path(device).stat().st_rdev
    return f"{os.major(rdev)} {os.minor(rdev)}"


def _run(
    tmp_path: Path, models: dict[str, tuple[str, str]]
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """The user data in a private mount namespace where /dev/nvmeXn1 are the given loop
    devices with the given models; (the run, the copy of /etc it wrote to)."""
    require_tool("unshare")
    script = tmp_path / "user-data.sh"
    script.write_text(user_data("dev-dev-fio"), encoding="utf-8")
    etc = tmp_path / "etc"
    subprocess.run(["cp", "-a", "/etc", str(etc)], check=True)
    (etc / "ecs").mkdir(exist_ok=True)
    (etc / "fstab").write_text("# fstab\n", encoding="utf-8")
    setup = ["set -e", "mount --make-rprivate /", f"mount --bind {etc} /etc",
             "mount -t tmpfs none /mnt", "mount -t tmpfs none /sys/block",
             "mount -t tmpfs none /dev", "mknod -m 666 /dev/null c 1 3",
             "mknod -m 444 /dev/urandom c 1 9"]  # fmt: skip
    for name, (device, model) in models.items():
        setup += [
            f"mkdir -p /sys/block/{name}/device",
            f"printf '%s\\n' '{model}' > /sys/block/{name}/device/model",
            f"mknod -m 600 /dev/{name} b {_node(device)}",
        ]
    check = f"findmnt -n -o SOURCE,FSTYPE {MOUNT_PATH} && touch {MOUNT_PATH}/written || true"
    inner = "; ".join(setup) + f"; bash {script}; status=$?; {check}; exit $status"
    proc = subprocess.run(
        ["unshare", "--mount", "bash", "-c", inner], capture_output=True, text=True, timeout=120
    )
    return proc, etc


def _ecs_config(etc: Path) -> dict[str, str]:
    lines = (etc / "ecs" / "ecs.config").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_only_the_instance_store_is_formatted_and_mounted(
    tmp_path: Path, loops: dict[str, str]
) -> None:
    proc, etc = _run(
        tmp_path,
        {"nvme0n1": (loops["ebs"], EBS_MODEL), "nvme1n1": (loops["store"], STORE_MODEL)},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["/dev/nvme1n1", "ext4"], proc.stdout
    blkid = require_tool("blkid")
    found = subprocess.run(
        [blkid, "-o", "export", loops["store"]], capture_output=True, text=True, check=True
    ).stdout
    assert "TYPE=ext4" in found and "LABEL=dockyard-store" in found, found
    with Path(loops["ebs"]).open("rb") as ebs:
        assert ebs.read(len(DECOY)) == DECOY, "the EBS volume was written"
    fstab = (etc / "fstab").read_text(encoding="utf-8").splitlines()
    assert fstab[-1] == f"/dev/nvme1n1 {MOUNT_PATH} ext4 noatime,nofail 0 2"
    config = _ecs_config(etc)
    assert config["ECS_CLUSTER"] == "dev-dev-fio"
    assert json.loads(config["ECS_INSTANCE_ATTRIBUTES"]) == MOUNTED
    assert config["ECS_ENABLE_TASK_IAM_ROLE"] == "true"


def test_with_no_instance_store_it_fails_and_takes_no_attribute(
    tmp_path: Path, loops: dict[str, str]
) -> None:
    proc, etc = _run(tmp_path, {"nvme0n1": (loops["ebs"], EBS_MODEL)})
    assert proc.returncode == 1
    assert "dockyard: no instance store NVMe device" in proc.stderr
    assert proc.stdout == ""
    config = _ecs_config(etc)
    assert config["ECS_CLUSTER"] == "dev-dev-fio"
    assert "ECS_INSTANCE_ATTRIBUTES" not in config
    assert (etc / "fstab").read_text(encoding="utf-8") == "# fstab\n"
    with Path(loops["ebs"]).open("rb") as ebs:
        assert ebs.read(len(DECOY)) == DECOY
