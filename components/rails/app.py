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
- CloudWatch log groups with a retention;
- optionally: autoscaling of the web tasks (components/rails/scaling.py), deployment
  alarms that roll a bad web deploy back (alarms.py), and the app's secrets stored from
  secret config values (secrets.py).

The task definitions come from dockyard.rails.ecs (RegisterTaskDefinition requests, plain
data) and are registered as they are; every setting comes from the RailsConfig.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, cast

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from components import PROJECT_DIR
from components.config.rails import RailsConfig
from components.rails.alarms import DeploymentAlarms
from components.rails.backup import DbBackup
from components.rails.db_imports import DumpImports
from components.rails.scaling import WebScaling
from components.rails.secrets import stored_secrets
from components.shared import ecs_roles
from components.shared.ecr_image import EcrImage
from components.shared.ecs_cluster import EcsCluster
from components.shared.load_balancer import LoadBalancer
from components.shared.network import link_groups, open_egress
from components.shared.task_definition import register_task_definition
from dockyard.netrules import PortRule
from dockyard.rails import ecs as r
from dockyard.rails.outputs import RailsTasks

CONTAINERS_DIR = PROJECT_DIR / "containers"
EFS_PORT = 2049
HTTP_RULE = PortRule("http", "tcp", r.PUBLIC_PORT, r.PUBLIC_PORT, "HTTP to the Rails app")


class RailsAppArgs(TypedDict):
    """What the app is wired to; its own settings are the RailsConfig."""

    name_prefix: str
    """Prefix of every name (families, log groups, secrets, repositories)."""
    region: str
    """AWS region (for the awslogs driver)."""
    vpc_id: pulumi.Input[str]
    """VPC of the tasks, the EFS mount targets and the load balancer."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets of the tasks, the EFS mount targets and the ALB (two zones or more)."""
    cluster: EcsCluster
    """The ECS cluster: its Service Connect namespace and the capacity both services run on
    (Fargate or the EC2 provider; the services are created after its association)."""
    tags: Mapping[str, str]
    """Tags for every taggable resource."""


@dataclass(frozen=True)
class _Secrets:
    """The generated values ECS injects from Secrets Manager."""

    root: aws.secretsmanager.Secret
    """MYSQL_ROOT_PASSWORD (the database container and the dump loader only)."""
    app: aws.secretsmanager.Secret
    """The password of the app's own database user."""
    key_base: aws.secretsmanager.Secret
    """Rails' SECRET_KEY_BASE."""
    stored: dict[str, aws.secretsmanager.Secret]
    """railsSecretValues, by variable name."""


@dataclass(frozen=True)
class _Network:
    """The security groups (ALB -> web -> db -> EFS) and the load balancer."""

    web: aws.ec2.SecurityGroup
    db: aws.ec2.SecurityGroup
    efs: aws.ec2.SecurityGroup
    balancer: LoadBalancer


@dataclass(frozen=True)
class _Storage:
    """The database's data: an encrypted EFS file system through an access point."""

    fs: aws.efs.FileSystem
    mount_targets: list[aws.efs.MountTarget]
    access_point: aws.efs.AccessPoint


@dataclass(frozen=True)
class _Roles:
    execution: aws.iam.Role
    web_task: aws.iam.Role
    db_task: aws.iam.Role


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
        self,
        name: str,
        cfg: RailsConfig,
        args: RailsAppArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("dockyard:rails_app:RailsApp", name, None, opts)
        self._name, self._cfg, self._args = name, cfg, args
        self._child = pulumi.ResourceOptions(parent=self)
        self._tags = dict(args["tags"])
        self._prefix, self._stack = args["name_prefix"], pulumi.get_stack()
        self._subnets = list(args["subnet_ids"])
        self._cluster = args["cluster"]
        secrets = self._secrets()
        logs = self._logs()
        network = self._security_groups()
        storage = self._storage(network.efs)
        DbBackup(
            f"{name}-db-backup",
            cfg,
            {"name_prefix": self._prefix, "file_system": storage.fs, "tags": self._tags},
            opts=self._child,
        )
        roles = self._roles(secrets, storage)
        web_image, db_image = self._images()
        web_task, db_task = self._task_definitions(
            web_image, db_image, secrets, logs, storage, roles
        )
        imports = self._imports(db_image, secrets, logs, roles)
        db_service = self._db_service(db_task, network, storage)
        web_service = self._web_service(web_task, network, db_service, self._alarms(network))
        self._scaling(network, web_service)
        self._outputs(secrets, logs, network, web_task, imports, web_service, db_service)

    def _secrets(self) -> _Secrets:
        """Root's and the app user's passwords and SECRET_KEY_BASE, generated and kept in
        Secrets Manager for ECS to inject."""
        name, where = self._name, f"{self._prefix}/{self._stack}"
        return _Secrets(
            root=self._generated_secret(
                f"{name}-db-password",
                32,
                f"{where}/appdb-root-password-",
                "Root password of the Rails flow's database (MYSQL_ROOT_PASSWORD)",
            ),
            app=self._generated_secret(
                f"{name}-db-app-password",
                32,
                f"{where}/appdb-app-password-",
                f"Password of the Rails app's database user {r.APP_DB_USER} (rights on "
                f"{r.APP_DATABASE} only)",
            ),
            key_base=self._generated_secret(
                f"{name}-secret-key-base",
                128,
                f"{where}/rails-secret-key-base-",
                "SECRET_KEY_BASE of the Rails app",
            ),
            stored=stored_secrets(name, where, self._cfg.secret_values, self._tags, self),
        )

    def _logs(self) -> dict[str, aws.cloudwatch.LogGroup]:
        """The web and the database containers' CloudWatch log groups, by container."""
        return {
            what: aws.cloudwatch.LogGroup(
                f"{self._name}-{what}-logs",
                name=f"/dockyard/{self._prefix}-{self._stack}/{group}",
                retention_in_days=self._cfg.log_retention_days,
                tags=self._tags,
                opts=self._child,
            )
            for what, group in (("web", "web"), ("db", "appdb"))
        }

    def _security_groups(self) -> _Network:
        """ALB -> web -> db -> EFS, nothing else in; web and db may go out."""
        vpc_id, tags = self._args["vpc_id"], self._tags
        web_sg = self._group("web", vpc_id, "Rails web tasks: 3000 from the ALB", tags)
        db_sg = self._group("db", vpc_id, "Rails database: 3306 from web tasks", tags)
        efs_sg = self._group("efs", vpc_id, "Database EFS: NFS from the db tasks", tags)
        balancer = self._balancer()
        alb_sg = balancer.security_group
        links = (
            ("alb-to-web", alb_sg, web_sg, r.APP_PORT, "ALB to the Rails containers", True),
            ("web-to-db", web_sg, db_sg, r.DB_PORT, "Rails to the database (appdb)", False),
            ("db-to-efs", db_sg, efs_sg, EFS_PORT, "Database to its EFS data", False),
        )
        for what, source, target, port, description, egress in links:
            link_groups(
                f"{self._name}-{what}",
                source,
                target,
                port,
                description,
                tags=tags,
                opts=self._child,
                egress=egress,
            )
        for sg, what in ((web_sg, "web"), (db_sg, "db")):
            open_egress(
                f"{self._name}-{what}-egress",
                sg.id,
                "Image pulls, Secrets Manager, logs, Service Connect",
                tags=tags,
                opts=self._child,
            )
        return _Network(web=web_sg, db=db_sg, efs=efs_sg, balancer=balancer)

    def _balancer(self) -> LoadBalancer:
        """The ALB: port 80 (and 443 with a domain) from railsIngressCidrs, to 3000."""
        name, cfg = self._name, self._cfg
        return LoadBalancer(
            name,
            {
                "vpc_id": self._args["vpc_id"],
                "subnet_ids": self._subnets,
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
                "ingress_cidrs": list(cfg.ingress_cidrs),
                "description": "Rails load balancer: HTTP in",
                "https": cfg.https,
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
                "tags": self._tags,
            },
            opts=self._child,
        )

    def _storage(self, efs_sg: aws.ec2.SecurityGroup) -> _Storage:
        """Encrypted EFS, a mount target per subnet, and the access point (uid/gid 999)."""
        name, child = self._name, self._child
        fs = aws.efs.FileSystem(
            f"{name}-db-data",
            encrypted=True,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            tags={**self._tags, "Name": f"{self._prefix}-{self._stack}-appdb-data"},
            # `pulumi destroy` leaves the data (docs/rails.md, "Backups and destroy").
            opts=pulumi.ResourceOptions(
                parent=self, retain_on_delete=self._cfg.keep_data_on_destroy
            ),
        )
        mount_targets = [
            aws.efs.MountTarget(
                f"{name}-db-data-{i}",
                file_system_id=fs.id,
                subnet_id=subnet,
                security_groups=[efs_sg.id],
                opts=child,
            )
            for i, subnet in enumerate(self._subnets)
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
            tags=self._tags,
            opts=child,
        )
        return _Storage(fs=fs, mount_targets=mount_targets, access_point=access_point)

    def _roles(self, secrets: _Secrets, storage: _Storage) -> _Roles:
        """The execution role (reads the generated and the stored secrets and railsSecrets'
        ARNs), the web task's (ECS Exec) and the
        database task's (its EFS data, through the access point only)."""
        name, tags, child = self._name, self._tags, self._child
        execution_role = ecs_roles.execution_role(f"{name}-execution", tags, self)
        aws.iam.RolePolicy(
            f"{name}-execution-secrets",
            role=execution_role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": pulumi.Output.all(
                        secrets.root.arn,
                        secrets.app.arn,
                        secrets.key_base.arn,
                        *(s.arn for s in secrets.stored.values()),
                    ).apply(
                        lambda v: r.execution_secret_statements(v, list(self._cfg.secrets.values()))
                    ),
                }
            ),
            opts=child,
        )
        # ECS Exec (`dockyard rails exec`): the SSM agent in the web task opens its channels
        # and logs the session to the cluster's exec log group.
        web_task_role = ecs_roles.task_role(f"{name}-web-task", tags, self)
        aws.iam.RolePolicy(
            f"{name}-web-task-exec",
            role=web_task_role.id,
            policy=self._args["cluster"].exec_logs.arn.apply(
                lambda arn: json.dumps(r.exec_task_policy(arn))
            ),
            opts=child,
        )
        db_task_role = ecs_roles.task_role(f"{name}-db-task", tags, self)
        fs, access_point = storage.fs, storage.access_point
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
        return _Roles(execution=execution_role, web_task=web_task_role, db_task=db_task_role)

    def _images(self) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """The web and database images: railsImage / railsDbImage, or built and pushed."""
        cfg = self._cfg
        web = self._image(
            "web", cfg.web_image, CONTAINERS_DIR / "rails", {"APP_SRC": cfg.app_source}
        )
        db = self._image("db", cfg.db_image, CONTAINERS_DIR / "mysql", {})
        return web, db

    def _task_definitions(
        self,
        web_image: pulumi.Output[str],
        db_image: pulumi.Output[str],
        secrets: _Secrets,
        logs: dict[str, aws.cloudwatch.LogGroup],
        storage: _Storage,
        roles: _Roles,
    ) -> tuple[aws.ecs.TaskDefinition, aws.ecs.TaskDefinition]:
        """The web and database tasks: what dockyard.rails.ecs returns, registered as it is."""
        cfg, region = self._cfg, self._args["region"]
        health = r.OFFICIAL_DB_HEALTH_COMMAND if cfg.db_image else r.BUILT_DB_HEALTH_COMMAND
        db = pulumi.Output.all(db_image, secrets.root.arn, secrets.app.arn, logs["db"].name).apply(
            lambda v: r.db_container(
                image=v[0],
                password_secret_arn=v[1],
                app_password_secret_arn=v[2],
                logs=r.Logs(group=v[3], region=region, stream_prefix="appdb"),
                limits=cfg.db_limits,
                max_connections=cfg.db_max_connections,
                health_command=health,
            )
        )
        stored = pulumi.Output.from_input({k: v.arn for k, v in secrets.stored.items()})
        web = pulumi.Output.all(
            web_image, secrets.app.arn, secrets.key_base.arn, logs["web"].name, stored
        ).apply(
            lambda v: r.web_container(
                image=v[0],
                app_password_secret_arn=v[1],
                secret_key_base_arn=v[2],
                logs=r.Logs(group=v[3], region=region, stream_prefix="web"),
                limits=cfg.web_limits,
                db_wait_timeout=cfg.db_wait_timeout,
                environment=cfg.env,
                secrets={**cfg.secrets, **v[4]},
            )
        )
        volume = r.efs_volume(cast(Any, storage.fs.id), cast(Any, storage.access_point.id))
        db_task = self._register("db", "appdb", db, cfg.db_limits, roles, roles.db_task, [volume])
        # The web task has always been registered with an empty volume list (leaving the
        # key out would change its inputs, and so replace it).
        web_task = self._register("web", "web", web, cfg.web_limits, roles, roles.web_task, [])
        return web_task, db_task

    def _register(
        self,
        what: str,
        family: str,
        container: pulumi.Output[dict[str, Any]],
        limits: r.Limits,
        roles: _Roles,
        task_role: aws.iam.Role,
        volumes: list[dict[str, Any]],
    ) -> aws.ecs.TaskDefinition:
        """One task of a single container; Outputs stand in for the plain values."""
        definition = r.task_definition(
            family=f"{self._prefix}-{self._stack}-{family}",
            containers=[cast(Any, container)],
            limits=limits,
            execution_role_arn=cast(Any, roles.execution.arn),
            task_role_arn=cast(Any, task_role.arn),
            fargate=self._cluster.fargate,
            volumes=volumes,
        )
        return register_task_definition(
            f"{self._name}-{what}", definition, tags=self._tags, opts=self._child
        )

    def _imports(
        self,
        db_image: pulumi.Output[str],
        secrets: _Secrets,
        logs: dict[str, aws.cloudwatch.LogGroup],
        roles: _Roles,
    ) -> DumpImports:
        """The dump loader's bucket and task (`dockyard rails import-db`)."""
        return DumpImports(
            self._name,
            {
                "name_prefix": f"{self._prefix}-{self._stack}",
                "db_image": db_image,
                "password_secret_arn": secrets.root.arn,
                "region": self._args["region"],
                "log_group": logs["db"].name,
                "limits": self._cfg.db_limits,
                "fargate": self._cluster.fargate,
                "execution_role_arn": roles.execution.arn,
                "tags": self._tags,
            },
            opts=self._child,
        )

    def _strategy(self) -> list[aws.ecs.ServiceCapacityProviderStrategyArgs]:
        return [
            aws.ecs.ServiceCapacityProviderStrategyArgs(
                capacity_provider=self._cluster.capacity_provider, weight=1, base=1
            )
        ]

    def _db_service(
        self, task: aws.ecs.TaskDefinition, network: _Network, storage: _Storage
    ) -> aws.ecs.Service:
        """One database task at a time, published through Service Connect as appdb:3306."""
        return aws.ecs.Service(
            f"{self._name}-db",
            name="appdb",
            cluster=self._cluster.cluster_arn,
            task_definition=task.arn,
            desired_count=1,
            # One MariaDB on the data at a time: stop the old task before the new one.
            deployment_minimum_healthy_percent=0,
            deployment_maximum_percent=100,
            capacity_provider_strategies=self._strategy(),
            # Switching railsCapacity changes the strategy, which ECS applies only with a new
            # deployment (the provider refuses to plan the change without it).
            force_new_deployment=True,
            # A crash-looping task fails the deployment and rolls back.
            deployment_circuit_breaker={"enable": True, "rollback": True},
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=self._subnets,
                security_groups=[network.db.id],
                assign_public_ip=self._cfg.assign_public_ip,
            ),
            service_connect_configuration=aws.ecs.ServiceServiceConnectConfigurationArgs(
                enabled=True,
                namespace=self._cluster.namespace_arn,
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
            tags=self._tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*storage.mount_targets, self._cluster.capacity_providers],
            ),
        )

    def _alarms(self, network: _Network) -> DeploymentAlarms | None:
        """railsDeploymentAlarms: the 5xx and unhealthy-target alarms on the web tasks."""
        if not self._cfg.deployment_alarms:
            return None
        balancer = network.balancer
        return DeploymentAlarms(
            f"{self._name}-web-alarms",
            {
                "name_prefix": f"{self._prefix}-{self._stack}",
                "balancer_arn_suffix": balancer.arn_suffix,
                "target_group_arn_suffix": balancer.target_group.arn_suffix,
                "tags": self._tags,
            },
            opts=self._child,
        )

    def _scaling(self, network: _Network, web_service: aws.ecs.Service) -> None:
        """railsMaxCount: target tracking of the web service's desired count."""
        autoscaling = self._cfg.autoscaling
        if autoscaling is None:
            return
        balancer = network.balancer
        WebScaling(
            f"{self._name}-web-scaling",
            autoscaling,
            {
                "name_prefix": f"{self._prefix}-{self._stack}",
                "cluster_name": self._cluster.cluster_name,
                "service_name": web_service.name,
                "balancer_arn_suffix": balancer.arn_suffix,
                "target_group_arn_suffix": balancer.target_group.arn_suffix,
                "tags": self._tags,
            },
            opts=self._child,
        )

    def _web_service(
        self,
        task: aws.ecs.TaskDefinition,
        network: _Network,
        db_service: aws.ecs.Service,
        alarms: DeploymentAlarms | None,
    ) -> aws.ecs.Service:
        """The Rails tasks behind the load balancer, Service Connect clients of appdb; with
        autoscaling, its desired count is the scaler's (ignored by `up`), with deployment
        alarms, a deployment that sets one off rolls back."""
        balancer = network.balancer
        return aws.ecs.Service(
            f"{self._name}-web",
            name="web",
            cluster=self._cluster.cluster_arn,
            task_definition=task.arn,
            desired_count=self._cfg.desired_count,
            capacity_provider_strategies=self._strategy(),
            force_new_deployment=True,
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=self._subnets,
                security_groups=[network.web.id],
                assign_public_ip=self._cfg.assign_public_ip,
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=balancer.target_group.arn,
                    container_name=r.APP_CONTAINER,
                    container_port=r.APP_PORT,
                )
            ],
            health_check_grace_period_seconds=self._cfg.db_wait_timeout + 60,
            # `dockyard rails exec`: aws ecs execute-command into a running web task.
            enable_execute_command=True,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            alarms=None
            if alarms is None
            else {"alarm_names": alarms.names, "enable": True, "rollback": True},
            service_connect_configuration=aws.ecs.ServiceServiceConnectConfigurationArgs(
                enabled=True, namespace=self._cluster.namespace_arn
            ),
            propagate_tags="SERVICE",
            # Honest deploys: `pulumi up` waits (at most railsDeployTimeout minutes) until the
            # new deployment is COMPLETED, and fails with ECS's reason when the circuit breaker
            # rolled it back (docs/rails.md, "Deploys that wait"). Not ForceNew.
            wait_for_steady_state=True,
            tags=self._tags,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[*balancer.listeners, db_service, self._cluster.capacity_providers],
                ignore_changes=["desiredCount"] if self._cfg.autoscaling else None,
                custom_timeouts=pulumi.CustomTimeouts(
                    create=f"{self._cfg.deploy_timeout}m", update=f"{self._cfg.deploy_timeout}m"
                ),
            ),
        )

    def _outputs(
        self,
        secrets: _Secrets,
        logs: dict[str, aws.cloudwatch.LogGroup],
        network: _Network,
        web_task: aws.ecs.TaskDefinition,
        imports: DumpImports,
        web_service: aws.ecs.Service,
        db_service: aws.ecs.Service,
    ) -> None:
        balancer = network.balancer
        self.url = balancer.url
        self.certificate_validation_records = balancer.validation_records
        self.alb_dns_name = balancer.dns_name
        self.web_service_name = web_service.name
        self.db_service_name = db_service.name
        self.db_password_secret_arn = secrets.root.arn
        # what `dockyard rails exec/run/import-db` need (docs/outputs.md: railsTasks)
        # Outputs stand in for the plain values, as in the task definitions.
        tasks: dict[str, Any] = {
            "web_service": web_service.name,
            "db_service": db_service.name,
            "web_task_definition": web_task.arn,
            "web_container": r.APP_CONTAINER,
            "import_task_definition": imports.task_definition_arn,
            "import_container": r.IMPORT_CONTAINER,
            "import_bucket": imports.bucket_name,
            "log_groups": {"web": logs["web"].name, "db": logs["db"].name},
            "subnets": self._subnets,
            "security_groups": [network.web.id],
            "assign_public_ip": self._cfg.assign_public_ip,
            "capacity_provider": self._cluster.capacity_provider,
        }
        self.tasks = pulumi.Output.from_input(RailsTasks(**tasks).to_output())
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

    def _image(
        self,
        what: str,
        existing: str | None,
        context: Path,
        build_args: dict[str, str],
    ) -> pulumi.Output[str]:
        """An existing image reference, or one built from `context` and pushed to ECR."""
        if existing:
            return pulumi.Output.from_input(existing)
        return EcrImage(
            f"{self._name}-{what}",
            {
                "repository_name": f"{self._prefix}-{self._stack}-{what}",
                "context": str(context),
                "dockerfile": str(context / "Dockerfile"),
                "build_args": build_args,
                "tags": self._tags,
            },
            opts=self._child,
        ).image_ref
