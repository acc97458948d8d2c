"""The seed's Rails + MySQL app on ECS: two services, readiness instead of `sleep 15`,
secrets in Secrets Manager, data that survives a task replacement.

- database service: containers/mysql (or an existing image), one task at a time,
  its data on EFS through an encrypted access point, a container health check,
  published through Service Connect as `appdb:3306`;
- web service: containers/rails built and pushed to ECR (or an existing image),
  the seed's APPDB_* link variables pointing at `appdb:3306`, behind an ALB on 80
  forwarding to 3000 with a health check on /health;
- the root password, the app user's password (pulumi-random) and Rails'
  SECRET_KEY_BASE in Secrets Manager, injected through `secrets`, never `environment`;
  root's password reaches the database container only, the web container uses the app's
  own user (rights on its database only);
- security groups chained ALB -> web -> database (and database -> EFS) only;
- CloudWatch log groups with a retention.

The container definitions come from dockyard.rails.ecs (plain data).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components import PROJECT_DIR
from components.rails.db_imports import DumpImports
from components.shared import ecs_roles
from components.shared.ecr_image import EcrImage
from components.shared.load_balancer import Https, LoadBalancer
from components.shared.network import open_egress
from dockyard.netrules import PortRule
from dockyard.rails import ecs as r

CONTAINERS_DIR = PROJECT_DIR / "containers"
EFS_PORT = 2049
HTTP_RULE = PortRule("http", "tcp", r.PUBLIC_PORT, r.PUBLIC_PORT, "HTTP to the Rails app")


class RailsAppArgs(TypedDict):
    name_prefix: str
    """Prefix of every name (families, log groups, secrets, repositories)."""
    region: str
    """AWS region (for the awslogs driver)."""
    vpc_id: pulumi.Input[str]
    """VPC of the tasks, the EFS mount targets and the load balancer."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets of the tasks, the EFS mount targets and the ALB (two zones or more)."""
    cluster_arn: pulumi.Input[str]
    """The ECS cluster (an EcsCluster's cluster_arn)."""
    namespace_arn: pulumi.Input[str]
    """Service Connect namespace (an EcsCluster's namespace_arn)."""
    capacity_provider: pulumi.Input[str]
    """Capacity provider both services run on (FARGATE or the EC2 provider)."""
    fargate: bool
    """Whether the capacity is Fargate (task-level cpu/memory, FARGATE compatibility)."""
    cluster_ready: NotRequired[pulumi.Resource]
    """Created before the services (the cluster's capacity provider association)."""
    assign_public_ip: NotRequired[bool]
    """Give tasks public addresses (Fargate in public subnets without NAT); default false."""
    ingress_cidrs: NotRequired[Sequence[str]]
    """Who may reach the load balancer on port 80 (default 0.0.0.0/0: a public site)."""
    https: NotRequired[Https | None]
    """Serve a domain over HTTPS (ACM certificate, 443, 80 redirects); default plain HTTP."""
    web_image: NotRequired[str | None]
    """An existing web image; default: build containers/rails and push it to ECR."""
    app_source: NotRequired[str]
    """APP_SRC build argument (the app directory inside containers/rails); default sample."""
    db_image: NotRequired[str | None]
    """An existing MySQL/MariaDB image; default: build containers/mysql and push it to ECR."""
    web_limits: NotRequired[r.Limits]
    """cpu units and memory (MiB) of the Rails container; default the seed's 100 / 112."""
    db_limits: NotRequired[r.Limits]
    """cpu units and memory (MiB) of the database container; default the seed's 100 / 112."""
    desired_count: NotRequired[int]
    """Web tasks to run (default 1). The database always runs one task."""
    db_wait_timeout: NotRequired[int]
    """Seconds the web entrypoint waits for the database (default 120)."""
    log_retention_days: NotRequired[int]
    """CloudWatch Logs retention (default 30 days)."""
    tags: NotRequired[Mapping[str, str]]
    """Tags for every taggable resource."""


class RailsApp(pulumi.ComponentResource):
    """The web and database services of the Rails flow and everything they need."""

    url: pulumi.Output[str]
    certificate_validation_records: pulumi.Output[list[dict[str, str]]] | None
    """With HTTPS and no hosted zone: the DNS records that validate the certificate."""
    tasks: pulumi.Output[dict[str, Any]]
    alb_dns_name: pulumi.Output[str]
    web_service_name: pulumi.Output[str]
    db_service_name: pulumi.Output[str]
    db_password_secret_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: RailsAppArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dockyard:rails_app:RailsApp", name, None, opts)
        self._name = name
        self._child = pulumi.ResourceOptions(parent=self)
        prefix = args["name_prefix"]
        stack = pulumi.get_stack()
        tags = dict(args.get("tags", {}))
        self._tags = tags
        fargate = args["fargate"]
        web_limits = args.get("web_limits", r.Limits())
        db_limits = args.get("db_limits", r.Limits())
        db_wait_timeout = args.get("db_wait_timeout", 120)
        subnets = list(args["subnet_ids"])
        child = self._child

        # --- secrets: generated, stored in Secrets Manager, injected by ECS ----------
        self.db_password_secret = self._generated_secret(
            f"{name}-db-password",
            32,
            f"{prefix}/{stack}/appdb-root-password-",
            "Root password of the Rails flow's database (MYSQL_ROOT_PASSWORD)",
        )
        app_password_secret = self._generated_secret(
            f"{name}-db-app-password",
            32,
            f"{prefix}/{stack}/appdb-app-password-",
            f"Password of the Rails app's database user {r.APP_DB_USER} (rights on "
            f"{r.APP_DATABASE} only)",
        )
        key_base_secret = self._generated_secret(
            f"{name}-secret-key-base",
            128,
            f"{prefix}/{stack}/rails-secret-key-base-",
            "SECRET_KEY_BASE of the Rails app",
        )

        # --- logs --------------------------------------------------------------------
        retention = args.get("log_retention_days", 30)
        web_logs = aws.cloudwatch.LogGroup(
            f"{name}-web-logs",
            name=f"/dockyard/{prefix}-{stack}/web",
            retention_in_days=retention,
            tags=tags,
            opts=child,
        )
        db_logs = aws.cloudwatch.LogGroup(
            f"{name}-db-logs",
            name=f"/dockyard/{prefix}-{stack}/appdb",
            retention_in_days=retention,
            tags=tags,
            opts=child,
        )

        # --- security groups: ALB -> web -> db -> EFS, nothing else in ---------------
        web_sg = self._group("web", args["vpc_id"], "Rails web tasks: 3000 from the ALB", tags)
        db_sg = self._group("db", args["vpc_id"], "Rails database: 3306 from web tasks", tags)
        efs_sg = self._group("efs", args["vpc_id"], "Database EFS: NFS from the db tasks", tags)
        https = args.get("https")
        ingress_cidrs = list(args.get("ingress_cidrs", ["0.0.0.0/0"]))
        balancer = LoadBalancer(
            name,
            {
                "vpc_id": args["vpc_id"],
                "subnet_ids": subnets,
                "ingress_rule": HTTP_RULE,
                "target_port": r.APP_PORT,
                "target_type": "ip",
                "health_check": {
                    "enabled": True,
                    "path": r.HEALTH_PATH,
                    "port": "traffic-port",
                    "protocol": "HTTP",
                    "matcher": "200",
                    "interval": 15,
                    "timeout": 5,
                    "healthy_threshold": 2,
                    "unhealthy_threshold": 3,
                },
                "ingress_cidrs": ingress_cidrs,
                "description": "Rails load balancer: HTTP in",
                "https": https,
                "deregistration_delay": 30,
                "internal": False,
                "former_parent": self,
                "former_names": {
                    "sg": f"{name}-alb",
                    "alb": f"{name}-alb",
                    "tg": f"{name}-web",
                    "http": f"{name}-http",
                    "ingress": f"{name}-alb",
                },
                "legacy_ingress_prefix": f"{name}-alb-http",
                "tags": tags,
            },
            opts=child,
        )
        alb_sg = balancer.security_group
        self._link(
            "alb-to-web", alb_sg, web_sg, r.APP_PORT, "ALB to the Rails containers", egress=True
        )
        self._link("web-to-db", web_sg, db_sg, r.DB_PORT, "Rails to the database (appdb)")
        self._link("db-to-efs", db_sg, efs_sg, EFS_PORT, "Database to its EFS data")
        for sg, what in ((web_sg, "web"), (db_sg, "db")):
            open_egress(
                f"{name}-{what}-egress",
                sg.id,
                "Image pulls, Secrets Manager, logs, Service Connect",
                tags=tags,
                opts=child,
            )

        # --- the database's data: encrypted EFS through an access point ---------------
        fs = aws.efs.FileSystem(
            f"{name}-db-data",
            encrypted=True,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            tags={**tags, "Name": f"{prefix}-{stack}-appdb-data"},
            opts=child,
        )
        mount_targets = [
            aws.efs.MountTarget(
                f"{name}-db-data-{i}",
                file_system_id=fs.id,
                subnet_id=subnet,
                security_groups=[efs_sg.id],
                opts=child,
            )
            for i, subnet in enumerate(subnets)
        ]
        access_point = aws.efs.AccessPoint(
            f"{name}-db-data",
            file_system_id=fs.id,
            posix_user={"uid": r.MYSQL_UID, "gid": r.MYSQL_GID},
            root_directory={
                "path": "/appdb",
                "creation_info": {
                    "owner_uid": r.MYSQL_UID,
                    "owner_gid": r.MYSQL_GID,
                    "permissions": "0750",
                },
            },
            tags=tags,
            opts=child,
        )

        # --- roles -------------------------------------------------------------------
        execution_role = ecs_roles.execution_role(f"{name}-execution", tags, self)
        aws.iam.RolePolicy(
            f"{name}-execution-secrets",
            role=execution_role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["secretsmanager:GetSecretValue"],
                            "Resource": [
                                self.db_password_secret.arn,
                                app_password_secret.arn,
                                key_base_secret.arn,
                            ],
                        }
                    ],
                }
            ),
            opts=child,
        )
        # ECS Exec (`dockyard rails exec`): the SSM agent in the web task opens its channels.
        web_task_role = ecs_roles.task_role(f"{name}-web-task", tags, self)
        aws.iam.RolePolicy(
            f"{name}-web-task-exec",
            role=web_task_role.id,
            policy=json.dumps(r.exec_task_policy()),
            opts=child,
        )
        db_task_role = ecs_roles.task_role(f"{name}-db-task", tags, self)
        aws.iam.RolePolicy(
            f"{name}-db-task-efs",
            role=db_task_role.id,
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(fs.arn, access_point.arn).apply(
                    lambda v: {"Version": "2012-10-17", "Statement": [r.efs_client_statement(*v)]}
                )
            ),
            opts=child,
        )
        aws.efs.FileSystemPolicy(
            f"{name}-db-data",
            file_system_id=fs.id,
            policy=pulumi.Output.json_dumps(
                pulumi.Output.all(fs.arn, access_point.arn, db_task_role.arn).apply(
                    lambda v: r.efs_file_system_policy(*v)
                )
            ),
            opts=child,
        )

        # --- images ------------------------------------------------------------------
        web_image = self._image(
            "web",
            args.get("web_image"),
            CONTAINERS_DIR / "rails",
            {"APP_SRC": args.get("app_source", "sample")},
            prefix,
            tags,
        )
        db_image = self._image(
            "db", args.get("db_image"), CONTAINERS_DIR / "mysql", {}, prefix, tags
        )
        db_health = (
            r.OFFICIAL_DB_HEALTH_COMMAND if args.get("db_image") else r.BUILT_DB_HEALTH_COMMAND
        )

        # --- task definitions (plain data from dockyard.rails.ecs) ---------------------
        region = args["region"]
        db_containers = pulumi.Output.all(
            db_image, self.db_password_secret.arn, app_password_secret.arn, db_logs.name
        ).apply(
            lambda v: [
                r.db_container(
                    image=v[0],
                    password_secret_arn=v[1],
                    app_password_secret_arn=v[2],
                    logs=r.Logs(group=v[3], region=region, stream_prefix="appdb"),
                    limits=db_limits,
                    health_command=db_health,
                )
            ]
        )
        web_containers = pulumi.Output.all(
            web_image, app_password_secret.arn, key_base_secret.arn, web_logs.name
        ).apply(
            lambda v: [
                r.web_container(
                    image=v[0],
                    app_password_secret_arn=v[1],
                    secret_key_base_arn=v[2],
                    logs=r.Logs(group=v[3], region=region, stream_prefix="web"),
                    limits=web_limits,
                    db_wait_timeout=db_wait_timeout,
                )
            ]
        )
        db_task = self._task_definition(
            "db",
            f"{prefix}-{stack}-appdb",
            db_containers,
            db_limits,
            execution_role,
            fargate,
            task_role=db_task_role,
            volumes=[
                aws.ecs.TaskDefinitionVolumeArgs(
                    name=r.DB_DATA_VOLUME,
                    efs_volume_configuration=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationArgs(
                        file_system_id=fs.id,
                        transit_encryption="ENABLED",
                        authorization_config=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfigArgs(
                            access_point_id=access_point.id, iam="ENABLED"
                        ),
                    ),
                )
            ],
        )
        web_task = self._task_definition(
            "web",
            f"{prefix}-{stack}-web",
            web_containers,
            web_limits,
            execution_role,
            fargate,
            task_role=web_task_role,
        )
        imports = DumpImports(
            name,
            {
                "name_prefix": f"{prefix}-{stack}",
                "db_image": db_image,
                "password_secret_arn": self.db_password_secret.arn,
                "region": region,
                "log_group": db_logs.name,
                "limits": db_limits,
                "fargate": fargate,
                "execution_role_arn": execution_role.arn,
                "tags": tags,
            },
            opts=child,
        )

        # --- services ----------------------------------------------------------------
        ready = [args["cluster_ready"]] if "cluster_ready" in args else []
        public_ip = args.get("assign_public_ip", False)
        strategy = [
            aws.ecs.ServiceCapacityProviderStrategyArgs(
                capacity_provider=args["capacity_provider"], weight=1, base=1
            )
        ]
        db_service = aws.ecs.Service(
            f"{name}-db",
            name="appdb",
            cluster=args["cluster_arn"],
            task_definition=db_task.arn,
            desired_count=1,
            # One MariaDB on the data at a time: stop the old task before the new one.
            deployment_minimum_healthy_percent=0,
            deployment_maximum_percent=100,
            capacity_provider_strategies=strategy,
            # Switching railsCapacity changes the strategy, which ECS applies only with a new
            # deployment (the provider refuses to plan the change without it).
            force_new_deployment=True,
            # A crash-looping task fails the deployment and rolls back.
            deployment_circuit_breaker={"enable": True, "rollback": True},
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=subnets, security_groups=[db_sg.id], assign_public_ip=public_ip
            ),
            service_connect_configuration=aws.ecs.ServiceServiceConnectConfigurationArgs(
                enabled=True,
                namespace=args["namespace_arn"],
                services=[
                    aws.ecs.ServiceServiceConnectConfigurationServiceArgs(
                        port_name=r.DB_PORT_NAME,
                        discovery_name=r.APPDB_ALIAS,
                        client_alias=[
                            aws.ecs.ServiceServiceConnectConfigurationServiceClientAliasArgs(
                                port=r.DB_PORT, dns_name=r.APPDB_ALIAS
                            )
                        ],
                    )
                ],
            ),
            propagate_tags="SERVICE",
            wait_for_steady_state=False,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*mount_targets, *ready]),
        )
        web_service = aws.ecs.Service(
            f"{name}-web",
            name="web",
            cluster=args["cluster_arn"],
            task_definition=web_task.arn,
            desired_count=args.get("desired_count", 1),
            capacity_provider_strategies=strategy,
            force_new_deployment=True,
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=subnets, security_groups=[web_sg.id], assign_public_ip=public_ip
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=balancer.target_group.arn,
                    container_name=r.APP_CONTAINER,
                    container_port=r.APP_PORT,
                )
            ],
            health_check_grace_period_seconds=db_wait_timeout + 60,
            # `dockyard rails exec`: aws ecs execute-command into a running web task.
            enable_execute_command=True,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            service_connect_configuration=aws.ecs.ServiceServiceConnectConfigurationArgs(
                enabled=True, namespace=args["namespace_arn"]
            ),
            propagate_tags="SERVICE",
            wait_for_steady_state=False,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*balancer.listeners, db_service, *ready]
            ),
        )

        self.url = balancer.url
        self.certificate_validation_records = balancer.validation_records
        self.alb_dns_name = balancer.dns_name
        self.web_service_name = web_service.name
        self.db_service_name = db_service.name
        self.db_password_secret_arn = self.db_password_secret.arn
        # what `dockyard rails exec/run/import-db` need (docs/outputs.md: railsTasks)
        self.tasks = pulumi.Output.from_input(
            {
                "webService": web_service.name,
                "dbService": db_service.name,
                "webTaskDefinition": web_task.arn,
                "webContainer": r.APP_CONTAINER,
                "importTaskDefinition": imports.task_definition_arn,
                "importContainer": r.IMPORT_CONTAINER,
                "importBucket": imports.bucket_name,
                "logGroups": {"web": web_logs.name, "db": db_logs.name},
                "subnets": subnets,
                "securityGroups": [web_sg.id],
                "assignPublicIp": public_ip,
                "capacityProvider": args["capacity_provider"],
            }
        )
        self.register_outputs(
            {
                "url": self.url,
                "webServiceName": self.web_service_name,
                "dbServiceName": self.db_service_name,
                "dbPasswordSecretArn": self.db_password_secret_arn,
                "tasks": self.tasks,
            }
        )

    def _generated_secret(
        self, name: str, length: int, name_prefix: str, description: str
    ) -> aws.secretsmanager.Secret:
        """A random value (letters and digits) kept in Secrets Manager, for ECS to inject;
        the password, the secret and its version are all named `name`."""
        value = random.RandomPassword(name, length=length, special=False, opts=self._child)
        secret = aws.secretsmanager.Secret(
            name,
            name_prefix=name_prefix,
            description=description,
            recovery_window_in_days=7,
            tags=self._tags,
            opts=self._child,
        )
        aws.secretsmanager.SecretVersion(
            name, secret_id=secret.id, secret_string=value.result, opts=self._child
        )
        return secret

    def _group(
        self, what: str, vpc_id: pulumi.Input[str], description: str, tags: dict[str, str]
    ) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"{self._name}-{what}",
            vpc_id=vpc_id,
            description=description,
            tags={**tags, "Name": f"{self._name}-{what}"},
            opts=self._child,
        )

    def _link(
        self,
        what: str,
        source: aws.ec2.SecurityGroup,
        target: aws.ec2.SecurityGroup,
        port: int,
        description: str,
        *,
        egress: bool = False,
    ) -> None:
        """`target` admits `port` from members of `source`; with `egress`, `source` may
        send only that (its only egress rule)."""
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-{what}",
            security_group_id=target.id,
            referenced_security_group_id=source.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=description,
            tags=self._tags,
            opts=self._child,
        )
        if egress:
            aws.vpc.SecurityGroupEgressRule(
                f"{self._name}-{what}-out",
                security_group_id=source.id,
                referenced_security_group_id=target.id,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=description,
                tags=self._tags,
                opts=self._child,
            )

    def _image(
        self,
        what: str,
        existing: str | None,
        context: Path,
        build_args: dict[str, str],
        prefix: str,
        tags: dict[str, str],
    ) -> pulumi.Output[str]:
        """An existing image reference, or one built from `context` and pushed to ECR."""
        if existing:
            return pulumi.Output.from_input(existing)
        return EcrImage(
            f"{self._name}-{what}",
            {
                "repository_name": f"{prefix}-{pulumi.get_stack()}-{what}",
                "context": str(context),
                "dockerfile": str(context / "Dockerfile"),
                "build_args": build_args,
                "tags": tags,
            },
            opts=self._child,
        ).image_ref

    def _task_definition(
        self,
        what: str,
        family: str,
        containers: pulumi.Output[list[dict[str, Any]]],
        limits: r.Limits,
        execution_role: aws.iam.Role,
        fargate: bool,
        *,
        task_role: aws.iam.Role | None = None,
        volumes: Sequence[aws.ecs.TaskDefinitionVolumeArgs] = (),
    ) -> aws.ecs.TaskDefinition:
        extra: dict[str, Any] = {}
        if fargate:
            cpu, memory = r.fargate_task_size(limits.cpu, limits.memory)
            extra = {
                "cpu": str(cpu),
                "memory": str(memory),
                "runtime_platform": {
                    "cpu_architecture": "X86_64",
                    "operating_system_family": "LINUX",
                },
            }
        return aws.ecs.TaskDefinition(
            f"{self._name}-{what}",
            family=family,
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE" if fargate else "EC2"],
            container_definitions=pulumi.Output.json_dumps(containers),
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn if task_role else None,
            volumes=list(volumes),
            **extra,
            tags=self._tags,
            opts=self._child,
        )
