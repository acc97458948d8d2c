"""Flow 3's settings: the seed's Rails + MySQL containers on ECS (off unless `rails`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pulumi
from pulumi.runtime import config as runtime_config

from components import PROJECT_DIR
from components.config.network import NetworkConfig, require_two_zones, subnet_ids
from components.config.reader import NAMESPACE, ConfigError, Reader, check_ids
from dockyard.rails import ecs as rails_ecs
from dockyard.rails import scaling

RAILS_DIR = PROJECT_DIR / "containers" / "rails"

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip


@dataclass(frozen=True)
class Https:
    """Serve `domain` over HTTPS (railsDomain)."""

    domain: str
    zone_id: str | None = None
    """A Route 53 hosted zone for `domain` (railsHostedZoneId): validation and alias
    records made there."""


@dataclass(frozen=True)
class Autoscaling:
    """Target tracking of the web tasks between railsDesiredCount and railsMaxCount."""

    min_count: int
    max_count: int
    cpu_percent: int
    """railsScaleCpuPercent: the average CPU utilization to keep."""
    requests_per_target: int
    """railsScaleRequestsPerTarget: requests a minute per task to keep; 0: CPU only."""


@dataclass(frozen=True)
class RailsConfig:
    """Flow 3: the seed's Rails + MySQL containers on ECS (off unless `rails` is true).
    Every value comes from the stack config; Pulumi.yaml holds the defaults."""

    capacity: str
    """`ec2` (an Auto Scaling group on the ECS-optimized AMI) or `fargate`."""
    instance_type: str
    instance_count: int
    root_volume_size: int
    subnet_ids: tuple[str, ...]
    """Subnets for the tasks, the EFS mount targets and the load balancer (2+ zones); empty
    means the default VPC's subnets."""
    assign_public_ip: bool
    """Give tasks public addresses (Fargate in public subnets without NAT)."""
    ingress_cidrs: tuple[str, ...]
    """Who may reach the load balancer on port 80 (and 443 with a domain)."""
    https: Https | None
    """Serve the app over HTTPS at a domain; None: plain HTTP."""
    web_image: str | None
    """An existing image for the web task; None builds containers/rails and pushes it to ECR."""
    app_source: str
    """APP_SRC build argument: the app's directory inside containers/rails."""
    db_image: str | None
    """An existing MySQL/MariaDB image; None builds containers/mysql and pushes it to ECR."""
    web_limits: rails_ecs.Limits
    """cpu units and memory (MiB) of the Rails container (railsCpu, railsMemory)."""
    db_limits: rails_ecs.Limits
    """cpu units and memory (MiB) of the database container (railsDbCpu, railsDbMemory)."""
    desired_count: int
    """Web tasks to run; the database always runs one."""
    db_wait_timeout: int
    """Seconds the web entrypoint waits for the database."""
    deploy_timeout: int
    """Minutes `pulumi up` waits for the web service's steady state (its create/update
    custom timeouts; the provider's default is 20)."""
    log_retention_days: int
    """CloudWatch Logs retention of both log groups."""
    env: dict[str, str]
    """railsEnv: the app's plain environment variables (web and one-off tasks)."""
    secrets: dict[str, str]
    """railsSecrets: variable names to Secrets Manager or SSM ARNs."""
    backup_retention_days: int
    """Days AWS Backup keeps each daily backup of the database's EFS; 0: no backup plan."""
    keep_data_on_destroy: bool
    """`pulumi destroy` leaves the database's file system and backup vault (retainOnDelete)."""
    autoscaling: Autoscaling | None
    """Target tracking of the web service (railsMaxCount > 0); None: a fixed desired count."""
    deployment_alarms: bool
    """The 5xx and unhealthy-target alarms roll back a bad web deployment."""
    db_max_connections: int
    """The database's max_connections (checked against what the tasks may open)."""
    secret_values: dict[str, pulumi.Output[str]]
    """railsSecretValues: names to secret values the stack stores in Secrets Manager."""


def read_rails(reader: Reader, network: NetworkConfig) -> RailsConfig | None:
    """Flow 3's section; None unless `rails` is true."""
    if not reader.boolean("rails"):
        return None
    # read in this order, so that of several bad keys the same one is reported first
    subnets = _subnets(reader, network)
    ingress = tuple(reader.cidrs("railsIngressCidrs") or ["0.0.0.0/0"])
    https = _https(reader)
    app_source = reader.string("railsAppSource")
    web_image = reader.optional("railsImage")
    if web_image is None:
        _check_app_source(app_source)
    retention = _retention(reader)
    web_limits = _limits(reader, "railsCpu", "railsMemory")
    desired_count = reader.integer("railsDesiredCount", minimum=0, maximum=100)
    env = _env(reader)
    secrets = _app_secrets(reader)
    autoscaling = _autoscaling(reader, desired_count)
    max_connections = _max_connections(reader, env, desired_count, autoscaling)
    return RailsConfig(
        capacity=reader.choice("railsCapacity", ("ec2", "fargate")),
        instance_type=reader.string("railsInstanceType"),
        instance_count=reader.integer("railsInstanceCount", minimum=1, maximum=20),
        root_volume_size=reader.integer("railsRootVolumeSize", minimum=30, maximum=16384),
        subnet_ids=subnets,
        assign_public_ip=reader.boolean("railsAssignPublicIp"),
        ingress_cidrs=ingress,
        https=https,
        web_image=web_image,
        app_source=app_source,
        db_image=reader.optional("railsDbImage"),
        web_limits=web_limits,
        db_limits=_limits(reader, "railsDbCpu", "railsDbMemory"),
        desired_count=desired_count,
        db_wait_timeout=reader.integer("railsDbWaitTimeout", minimum=5, maximum=3600),
        deploy_timeout=reader.integer("railsDeployTimeout", minimum=1, maximum=180),
        log_retention_days=retention,
        env=env,
        secrets=secrets,
        backup_retention_days=reader.integer("railsBackupRetentionDays", minimum=0, maximum=36500),
        keep_data_on_destroy=reader.boolean("railsKeepDataOnDestroy"),
        autoscaling=autoscaling,
        deployment_alarms=reader.boolean("railsDeploymentAlarms"),
        db_max_connections=max_connections,
        secret_values=_secret_values(reader, secrets),
    )


def _subnets(reader: Reader, network: NetworkConfig) -> tuple[str, ...]:
    """railsSubnetIds, or the stack's subnetIds: two or more (the load balancer's zones)."""
    subnets = subnet_ids(reader, "railsSubnetIds") or list(network.subnet_ids)
    check_ids("railsSubnetIds", "subnet-", subnets)
    # With the default VPC and no railsSubnetIds, components.shared.network checks its subnets.
    if subnets or not network.default_vpc:
        require_two_zones(
            "railsSubnetIds",
            "the Rails load balancer",
            subnets,
            holder="railsSubnetIds (else subnetIds) lists",
            fix="pulumi config set --path 'railsSubnetIds[1]' subnet-0123456789abcdef1 "
            "(or list two in subnetIds; with networkStack, list them in railsSubnetIds)",
        )
    return tuple(subnets)


def _https(reader: Reader) -> Https | None:
    """railsDomain and railsHostedZoneId: a DNS name, and a Route 53 zone id only with it."""
    domain = reader.optional("railsDomain")
    zone = reader.optional("railsHostedZoneId")
    if zone is not None and domain is None:
        raise ConfigError(
            "railsHostedZoneId",
            "is set but railsDomain is not (the zone is where the domain's records go)",
            "pulumi config set railsDomain www.example.com, or remove railsHostedZoneId",
        )
    if domain is not None and ("." not in domain or any(c.isspace() or c in "/:@" for c in domain)):
        raise ConfigError(
            "railsDomain",
            f"{domain!r} is not a DNS name",
            "pulumi config set railsDomain www.example.com (a name, without https://)",
        )
    if zone is not None and not zone.startswith("Z"):
        raise ConfigError(
            "railsHostedZoneId",
            f"{zone!r} is not a Route 53 hosted zone id",
            "use the zone's id as `aws route53 list-hosted-zones` shows it, e.g. Z0123456789ABC",
        )
    return None if domain is None else Https(domain, zone)


def _check_app_source(app_source: str) -> None:
    """railsAppSource, to be built: a directory under containers/rails holding a Gemfile."""
    source_dir = (RAILS_DIR / app_source).resolve()
    if not (source_dir.is_relative_to(RAILS_DIR) and (source_dir / "Gemfile").is_file()):
        raise ConfigError(
            "railsAppSource",
            f"containers/rails/{app_source} holds no Gemfile (the build context is "
            "containers/rails)",
            "put the app under containers/rails/ and name its directory, e.g. sample",
        )


def _retention(reader: Reader) -> int:
    """railsLogRetentionDays: one of the periods CloudWatch Logs accepts."""
    retention = reader.integer("railsLogRetentionDays")
    if retention not in LOG_RETENTION_DAYS:
        raise ConfigError(
            "railsLogRetentionDays",
            f"{retention} is not a retention CloudWatch Logs accepts",
            f"use one of {', '.join(map(str, LOG_RETENTION_DAYS))}",
        )
    return retention


def _limits(reader: Reader, cpu_key: str, memory_key: str) -> rails_ecs.Limits:
    """A container's cpu units and memory (MiB) within what ECS accepts."""
    return rails_ecs.Limits(
        cpu=reader.integer(cpu_key, minimum=0, maximum=10240),
        memory=reader.integer(
            memory_key, minimum=rails_ecs.MIN_CONTAINER_MEMORY_MIB, maximum=30720
        ),
    )


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _names(key: str, names: Iterable[str]) -> None:
    """Environment variable names, none of those the web container sets itself."""
    for name in names:
        if not _ENV_NAME.fullmatch(name):
            raise ConfigError(
                key, f"{name!r} is not an environment variable name", "use letters, digits and _"
            )
        if name in rails_ecs.WEB_RESERVED:
            raise ConfigError(key, f"{name} is set by dockyard itself", "choose another name")


def _env(reader: Reader) -> dict[str, str]:
    """railsEnv: plain values only; a secret-looking name belongs in railsSecrets."""
    env = reader.string_map("railsEnv")
    _names("railsEnv", env)
    for name in env:
        if rails_ecs.looks_secret(name):
            raise ConfigError(
                "railsEnv",
                f"{name} looks like a secret and would be stored in plain text",
                f"store it in Secrets Manager and set --path 'railsSecrets.{name}' to its ARN",
            )
    return env


def _app_secrets(reader: Reader) -> dict[str, str]:
    """railsSecrets: each value a Secrets Manager or SSM Parameter Store ARN."""
    secrets = reader.string_map("railsSecrets")
    _names("railsSecrets", secrets)
    for name, arn in secrets.items():
        if not rails_ecs.is_secret_arn(arn):
            raise ConfigError(
                "railsSecrets",
                f"{name} must be a Secrets Manager or SSM parameter ARN, not a value",
                "e.g. arn:aws:secretsmanager:us-east-1:123456789012:secret:app/api-key-AbCdEf",
            )
    return secrets


def _autoscaling(reader: Reader, desired: int) -> Autoscaling | None:
    """railsMaxCount (0: none) with its targets; railsDesiredCount is the minimum."""
    max_count = reader.integer("railsMaxCount", minimum=0, maximum=100)
    cpu = reader.integer("railsScaleCpuPercent", minimum=10, maximum=90)
    requests = reader.integer("railsScaleRequestsPerTarget", minimum=0, maximum=1_000_000)
    if max_count == 0:
        return None
    if desired < 1 or max_count < desired:
        raise ConfigError(
            "railsMaxCount",
            f"{max_count} with railsDesiredCount {desired}: autoscaling runs between "
            "railsDesiredCount (at least 1) and railsMaxCount",
            f"pulumi config set railsMaxCount {max(desired, 1) * 2} (and railsDesiredCount 1 "
            "or more), or railsMaxCount 0 for a fixed count",
        )
    return Autoscaling(
        min_count=desired, max_count=max_count, cpu_percent=cpu, requests_per_target=requests
    )


def _max_connections(
    reader: Reader, env: dict[str, str], desired: int, autoscaling: Autoscaling | None
) -> int:
    """railsDbMaxConnections, which must hold what the most web tasks (during a rolling
    deploy), the one-off tasks and the single clients may open (dockyard.rails.scaling)."""
    limit = reader.integer("railsDbMaxConnections", minimum=10, maximum=10000)
    try:
        pool = scaling.pool_size(env)
    except ValueError as err:
        raise ConfigError(
            "railsEnv", str(err), "pulumi config set --path 'railsEnv.RAILS_MAX_THREADS' 5"
        ) from None
    max_count = autoscaling.max_count if autoscaling else 0
    need = scaling.connections(desired, max_count, pool)
    if need.needed > limit:
        tasks = "railsMaxCount" if autoscaling else "railsDesiredCount"
        raise ConfigError(
            "railsDbMaxConnections",
            f"{limit} is fewer than the {need.needed} connections the tasks may open: "
            f"{need.web_tasks} web tasks during a rolling deploy ({tasks} "
            f"{max(desired, max_count)}, twice) and {scaling.ONE_OFF_RAILS_TASKS} one-off "
            f"Rails tasks, {need.pool} each (railsEnv RAILS_MAX_THREADS), and "
            f"{scaling.SINGLE_CONNECTIONS} single connections (import-db, the health check)",
            f"pulumi config set railsDbMaxConnections {need.needed}, or lower {tasks} or "
            "RAILS_MAX_THREADS",
        )
    return limit


def _secret_values(reader: Reader, secrets: dict[str, str]) -> dict[str, pulumi.Output[str]]:
    """railsSecretValues: names to values, which must be secrets in the stack file (as
    `pulumi config set --secret --path` makes them: the CLI marks a map holding a `secure:`
    value a secret key, pulumi/pulumi sdk/go/common/resource/config/value.go @507db165
    hasSecureValue); a name may not be in railsSecrets too."""
    key = "railsSecretValues"
    values = reader.string_map(key)
    if not values:
        return {}
    if not runtime_config.is_config_secret(f"{NAMESPACE}:{key}"):
        raise ConfigError(
            key,
            "holds values stored in plain text in the stack file",
            f"set each with pulumi config set --secret --path '{key}.NAME' VALUE",
        )
    _names(key, values)
    for name in values:
        if name in secrets:
            raise ConfigError(
                key, f"{name} is in railsSecrets too", "keep it in one of the two maps"
            )
    return {name: pulumi.Output.secret(value) for name, value in sorted(values.items())}
