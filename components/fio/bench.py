"""fio benchmarks on ECS: the aio image in ECR, a task against the volume under test, results in S3.

The container definitions and the whole task definition come from the pure functions in
dockyard.fio.ecs (validated against botocore's ECS model in tests) and are registered as
they are; the component creates the AWS resources around them (the image, bucket,
roles, service, load balancer and security groups).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict, cast

import pulumi
import pulumi_aws as aws

from components import PROJECT_DIR
from components.config.fio import FioBenchConfig, InstanceStoreHosts
from components.config.reader import ConfigError
from components.shared import ecs_roles
from components.shared.ecr_image import EcrImage
from components.shared.ecs_cluster import FARGATE, ec2_capacity
from components.shared.load_balancer import LoadBalancer
from components.shared.network import (
    group_rule,
    ingress_from_cidrs,
    open_egress,
    subnets_offering,
)
from components.shared.private_bucket import private_bucket_settings
from components.shared.task_definition import register_task_definition
from dockyard.fio import ecs as fio_ecs
from dockyard.fio import instance_store
from dockyard.fio.outputs import FioTasks
from dockyard.netrules import PortRule

DOCKERFILE = f"{PROJECT_DIR}/containers/fio/Dockerfile"
REGISTERED_MEMORY_SHARE = 0.9
"""About what ECS registers of an instance's memory (the OS and the agent keep the rest)."""
STORE_ROOT_VOLUME_GIB = 30
"""The instance-store hosts' root volume: the ECS-optimized AL2023 AMI's snapshot size."""
PLOTS_RULE = PortRule("plots", "tcp", fio_ecs.PLOTS_PORT, fio_ecs.PLOTS_PORT, "fio plots")


class FioBenchArgs(TypedDict):
    """What the bench is wired to; its own settings are the FioBenchConfig."""

    name_prefix: str
    """Prefix of resource names."""
    vpc_id: pulumi.Input[str]
    """The VPC the task (and the load balancer) live in."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Subnets for the task and the load balancer (two zones or more for the balancer)."""
    admin_cidrs: list[str]
    """CIDRs allowed to reach the plots on port 8000."""
    region: str
    """AWS region (for the awslogs driver and boto3 in the container)."""
    host_security_group_id: pulumi.Input[str] | None
    """EC2 capacity: the hosts' security group, given port 8000 from the admin CIDRs."""
    tags: dict[str, str]
    """Tags for every taggable resource."""


def _bucket_policy(arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            # GetObject: the task pulls the bucket's earlier runs at start to compare them.
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": f"{arn}/*"},
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": arn},
        ],
    }


class FioBench(pulumi.ComponentResource):
    """ECR repository + image, S3 results bucket, ECS task and service, plots on 8000."""

    plot_url: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    tasks: pulumi.Output[dict[str, Any]]
    """The fioTasks output (dockyard.fio.outputs): what `bench ecs` runs with."""

    def __init__(
        self,
        name: str,
        cfg: FioBenchConfig,
        args: FioBenchArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("dockyard:fio_bench:FioBench", name, None, opts)
        self._name, self._cfg, self._args = name, cfg, args
        self._child = pulumi.ResourceOptions(parent=self)
        self._tags, self._prefix = args["tags"], args["name_prefix"]
        # Physical names carry the stack, as the Rails ones do: two stacks with one prefix
        # in one account must not share a cluster, repository, log group or family.
        self._stack_prefix = f"{self._prefix}-{pulumi.get_stack()}"
        self._run: dict[str, Any] = {}
        """What fioTasks says (FioTasks' fields), filled step by step."""
        image = self._image()
        bucket = self._bucket()
        task = self._task_definition(image, bucket)
        self._service(task)
        self.bucket_name = bucket.bucket
        self.tasks = pulumi.Output.from_input(FioTasks(**self._run).to_output())
        self.register_outputs(
            {"plotUrl": self.plot_url, "bucketName": self.bucket_name, "tasks": self.tasks}
        )

    def _image(self) -> EcrImage:
        """The aio image, built from containers/fio and pushed to its ECR repository."""
        return EcrImage(
            f"{self._name}-aio",
            {
                "repository_name": f"{self._stack_prefix}-fiotools-aio",
                "context": str(PROJECT_DIR),
                "dockerfile": DOCKERFILE,
                "target": "fiotools-aio",
                "tags": self._tags,
            },
            opts=self._child,
        )

    def _bucket(self) -> aws.s3.Bucket:
        """The results bucket. The results outlive the stack: `pulumi destroy` leaves the
        bucket and its settings (docs/fio.md says how to delete it on purpose).

        Its prefix alone has no stack in it: a new bucket_prefix replaces the bucket, and a
        replaced retained bucket is left behind, with every earlier run, while the stack
        writes to a new empty one. Its name is unique anyway (the provider's suffix)."""
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        bucket = aws.s3.Bucket(
            f"{self._name}-results",
            bucket_prefix=f"{self._prefix}-fio-",
            tags=self._tags,
            opts=kept,
        )
        private_bucket_settings(f"{self._name}-results", bucket, kept)
        return bucket

    def _roles(self, bucket: aws.s3.Bucket) -> tuple[aws.iam.Role, aws.iam.Role]:
        """The execution role, and the task role that writes (and reads) the results."""
        name, tags = self._name, self._tags
        execution_role = ecs_roles.execution_role(f"{name}-execution", tags, self)
        task_role = ecs_roles.task_role(f"{name}-task", tags, self)
        aws.iam.RolePolicy(
            f"{name}-task-results",
            role=task_role.id,
            policy=pulumi.Output.json_dumps(bucket.arn.apply(_bucket_policy)),
            opts=self._child,
        )
        return execution_role, task_role

    def _task_definition(self, image: EcrImage, bucket: aws.s3.Bucket) -> aws.ecs.TaskDefinition:
        """What dockyard.fio.ecs.task_definition() returns, registered as it is."""
        cfg = self._cfg
        launch_type: Any = cfg.launch_type
        logs = aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=f"/dockyard/{self._stack_prefix}/fio",
            retention_in_days=30,
            tags=self._tags,
            opts=self._child,
        )
        self._parts = (image, bucket, logs, *self._roles(bucket))
        host_port = fio_ecs.PLOTS_PORT if launch_type == "EC2" else None
        definition = self._definition(
            f"{self._stack_prefix}-fio", cfg.volume, launch_type, host_port, per_host=cfg.per_host
        )
        self._network_mode = definition["networkMode"]
        task = register_task_definition(
            f"{self._name}-task-definition", definition, tags=self._tags, opts=self._child
        )
        if isinstance(cfg.volume, fio_ecs.EbsVolume):
            self._run["task_definition"] = task.arn
        return task

    def _definition(
        self,
        family: str,
        volume: fio_ecs.TargetVolume,
        launch_type: Any,
        host_port: int | None,
        *,
        per_host: bool,
    ) -> dict[str, Any]:
        """dockyard.fio.ecs.task_definition() for `volume` on `launch_type`, with the
        stack's image, bucket, log group, roles and settings."""
        cfg, region = self._cfg, self._args["region"]
        image, bucket, logs, execution_role, task_role = self._parts
        containers = pulumi.Output.all(image.image_ref, bucket.bucket, logs.name).apply(
            lambda values: fio_ecs.container_definitions(
                values[0],
                jobfiles=list(cfg.jobfiles),
                remotefiles=list(cfg.remotefiles),
                plotname=cfg.plotname,
                bucket=values[1],
                region=region,
                log_group=values[2],
                # the short prepare-volume container takes 16 CPU units and 32 MiB
                cpu=cfg.cpu - 16,
                memory=cfg.memory - 64,
                host_port=host_port,
                results_prefix=None if per_host else cfg.plotname,
                volume=volume,
                launch_type=launch_type,
            )
        )
        return fio_ecs.task_definition(
            family,
            # Outputs stand in for the plain values: the definition holds them as-is.
            cast(Any, containers),
            target=volume,
            launch_type=launch_type,
            execution_role_arn=cast(Any, execution_role.arn),
            task_role_arn=cast(Any, task_role.arn),
            cpu=cfg.cpu,
            memory=cfg.memory,
            per_host=per_host,
        )

    def _service(self, task: aws.ecs.TaskDefinition) -> None:
        """The service, its cluster (unless given), and how the plots are reached."""
        name, prefix, tags, child = self._name, self._stack_prefix, self._tags, self._child
        cluster_arn: pulumi.Input[str] | None = self._cfg.cluster_arn
        if cluster_arn is None:
            cluster = aws.ecs.Cluster(
                f"{name}-cluster", name=f"{prefix}-fio", tags=tags, opts=child
            )
            cluster_arn = cluster.arn
            if self._cfg.instance_store is not None:
                self._instance_store(cluster, self._cfg.instance_store)
        self._run["cluster"] = cluster_arn
        self._run["results"] = pulumi.Output.concat("s3://", self._parts[1].bucket)
        service_args = self._per_host() if self._cfg.per_host else self._load_balanced()
        if isinstance(self._cfg.volume, fio_ecs.EbsVolume):
            service_args["volume_configuration"] = self._ebs_volume(self._cfg.volume)
        service_args.setdefault("opts", child)
        aws.ecs.Service(
            f"{name}-service",
            name=f"{prefix}-fio",
            cluster=cluster_arn,
            task_definition=task.arn,
            launch_type=self._cfg.launch_type,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            # A crash-looping benchmark (bad job file, no volume) fails the deployment and
            # rolls back instead of restarting forever, a new EBS volume each time.
            deployment_circuit_breaker={"enable": True, "rollback": True},
            wait_for_steady_state=False,
            tags=tags,
            **service_args,
        )

    def _per_host(self) -> dict[str, Any]:
        """One task per container host; the plots are on each host's port 8000."""
        host_sg = self._args["host_security_group_id"]
        if host_sg is not None:
            ingress_from_cidrs(
                f"{self._name}-host",
                host_sg,
                [PLOTS_RULE],
                self._args["admin_cidrs"],
                tags=self._tags,
                opts=self._child,
                legacy_prefix=f"{self._name}-host-plots",
            )
        self.plot_url = pulumi.Output.from_input(
            f"http://<each container host>:{fio_ecs.PLOTS_PORT}/"
        )
        return {"scheduling_strategy": "DAEMON"}

    def _load_balanced(self) -> dict[str, Any]:
        """One task behind a load balancer that takes port 8000 from the admin CIDRs only."""
        name, prefix, tags, child = self._name, self._stack_prefix, self._tags, self._child
        awsvpc = self._network_mode == "awsvpc"
        balancer = LoadBalancer(
            name,
            {
                "vpc_id": self._args["vpc_id"],
                "subnet_ids": self._args["subnet_ids"],
                "ingress_rule": PLOTS_RULE,
                "target_port": fio_ecs.PLOTS_PORT,
                "target_type": "ip" if awsvpc else "instance",
                "health_check": {"path": "/healthz", "matcher": "200"},
                "ingress_cidrs": self._args["admin_cidrs"],
                "description": "fio plots: port 8000 from the admin CIDRs only",
                "name_prefix": f"{prefix}-fio-plots-",
                "balancer_name_prefix": "fio-",
                "former_parent": self,
                "former_names": {
                    "sg": f"{name}-plots-sg",
                    "alb": f"{name}-lb",
                    "tg": f"{name}-tg",
                    "http": f"{name}-listener",
                    "ingress": f"{name}-lb",
                },
                "legacy_ingress_prefix": f"{name}-plots-admin",
                "tags": tags,
            },
            opts=child,
        )
        task_sg = self._task_security_group(balancer.security_group, awsvpc)
        service_args: dict[str, Any] = {
            "desired_count": 1,
            "load_balancers": [
                {
                    "target_group_arn": balancer.target_group.arn,
                    "container_name": fio_ecs.BENCH_CONTAINER,
                    "container_port": fio_ecs.PLOTS_PORT,
                }
            ],
            "opts": pulumi.ResourceOptions(parent=self, depends_on=balancer.listeners),
        }
        if awsvpc:
            service_args["network_configuration"] = {
                "subnets": self._args["subnet_ids"],
                "security_groups": [task_sg.id],
                "assign_public_ip": self._cfg.assign_public_ip,
            }
            self._run["subnets"] = self._args["subnet_ids"]
            self._run["security_groups"] = [task_sg.id]
            self._run["assign_public_ip"] = self._cfg.assign_public_ip
        self.plot_url = balancer.url.apply(lambda url: f"{url}/")
        return service_args

    def _task_security_group(
        self, lb_sg: aws.ec2.SecurityGroup, awsvpc: bool
    ) -> aws.ec2.SecurityGroup:
        """The task's group: port 8000 from its load balancer only; both may go out."""
        name, tags, child = self._name, self._tags, self._child
        task_sg = aws.ec2.SecurityGroup(
            f"{name}-task-sg",
            name_prefix=f"{self._stack_prefix}-fio-task-",
            description="fio task: port 8000 from its load balancer only",
            vpc_id=self._args["vpc_id"],
            tags=tags,
            opts=child,
        )
        # awsvpc tasks carry task_sg; bridge tasks on EC2 listen on their host's 8000.
        host_sg = self._args["host_security_group_id"]
        group_rule(
            f"{name}-task-from-lb",
            task_sg.id if awsvpc or host_sg is None else host_sg,
            lb_sg.id,
            "tcp",
            fio_ecs.PLOTS_PORT,
            fio_ecs.PLOTS_PORT,
            "fio plots from the load balancer",
            tags=tags,
            opts=child,
        )
        for group_name, group in (("plots", lb_sg), ("task", task_sg)):
            open_egress(
                f"{name}-{group_name}-egress",
                group.id,
                "Outbound (ECR, S3, REMOTEFILES, targets)",
                tags=tags,
                opts=child,
            )
        return task_sg

    def _ebs_volume(self, volume: fio_ecs.EbsVolume) -> dict[str, Any]:
        """The service's managed EBS volume and the role ECS attaches it with."""
        infra_role = aws.iam.Role(
            f"{self._name}-volumes",
            assume_role_policy=ecs_roles.service_trust("ecs.amazonaws.com", self),
            tags=self._tags,
            opts=self._child,
        )
        aws.iam.RolePolicyAttachment(
            f"{self._name}-volumes-policy",
            role=infra_role.name,
            policy_arn=(
                "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes"
            ),
            opts=self._child,
        )
        self._run["volume_role"] = infra_role.arn
        ebs = fio_ecs.ebs_settings(volume)
        return {
            "name": fio_ecs.TARGET_VOLUME,
            "managed_ebs_volume": {
                "role_arn": infra_role.arn,
                "encrypted": ebs["encrypted"],
                "volume_type": ebs["volumeType"],
                "size_in_gb": ebs["sizeInGiB"],
                "iops": ebs.get("iops"),
                "throughput": ebs.get("throughput"),
                "file_system_type": ebs["filesystemType"],
            },
        }

    def _instance_store(self, cluster: aws.ecs.Cluster, store: InstanceStoreHosts) -> None:
        """EC2 hosts of the instance type in the stack's cluster, none until a task needs
        one, each mounting its instance store (dockyard.fio.instance_store.user_data), and
        the task definition that measures it there (`bench ecs --volume instance-store`)."""
        name, prefix, tags = self._name, self._stack_prefix, self._tags
        _check_instance_store(store.instance_type, self._cfg.cpu, self._cfg.memory)
        subnets = subnets_offering(
            self._args["subnet_ids"], store.instance_type, "fioInstanceStoreType"
        )
        provider = ec2_capacity(
            f"{name}-store",
            {
                "vpc_id": self._args["vpc_id"],
                "subnet_ids": subnets,
                "instance_type": store.instance_type,
                "min_size": 0,
                "max_size": store.max_hosts,
                "root_volume_size": STORE_ROOT_VOLUME_GIB,
                # name prefixes are made unique by AWS's suffix; the provider's name is not
                "label": f"{self._prefix}-fio-store",
                "provider_name": f"{prefix}-fio-store",
                "user_data": cluster.name.apply(instance_store.user_data),
            },
            tags,
            self,
        )
        aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=[FARGATE, provider.name],
            opts=self._child,
        )
        definition = self._definition(
            f"{prefix}-fio-instance-store",
            fio_ecs.HostPath(instance_store.MOUNT_PATH),
            "EC2",
            None,
            per_host=False,
        )
        definition["placementConstraints"] = [instance_store.PLACEMENT]
        task = register_task_definition(
            f"{name}-store-task-definition", definition, tags=tags, opts=self._child
        )
        self._run |= {
            "instance_type": store.instance_type,
            "instance_store_task_definition": task.arn,
            "capacity_provider": provider.name,
        }


def _check_instance_store(instance_type: str, cpu: int, memory: int) -> None:
    """EC2's answer for the type (DescribeInstanceTypes): it must have instance store, run
    the x86_64 image and hold the task (fioCpu, fioMemory), or the preview stops here,
    before any host is launched or a task waits for room it never gets."""
    found = aws.ec2.get_instance_type(instance_type=instance_type)
    if not found.instance_storage_supported:
        raise ConfigError(
            "fioInstanceStoreType",
            f"{instance_type} has no instance store (DescribeInstanceTypes: "
            "InstanceStorageSupported false)",
            "choose a type with local NVMe, e.g. m5d.large or i4i.large",
        )
    if "x86_64" not in (found.supported_architectures or []):
        raise ConfigError(
            "fioInstanceStoreType",
            f"{instance_type} is not x86_64, and the fio image is built for linux/amd64",
            "choose an x86_64 type with local NVMe, e.g. m5d.large or i4i.large",
        )
    vcpus, mib = int(found.default_vcpus), int(found.memory_size)
    # the ECS agent registers the instance's memory less what the OS and agent keep
    if cpu > vcpus * 1024 or memory > mib * REGISTERED_MEMORY_SHARE:
        raise ConfigError(
            "fioInstanceStoreType",
            f"{instance_type} ({vcpus} vCPUs, {mib} MiB) cannot hold the fio task "
            f"(fioCpu {cpu}, fioMemory {memory})",
            "choose a larger type with instance store, or lower fioCpu and fioMemory",
        )
