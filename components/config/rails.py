"""Flow 3's settings: the seed's Rails + MySQL containers on ECS (off unless `rails`)."""

from __future__ import annotations

from dataclasses import dataclass

from components import PROJECT_DIR
from components.config.network import NetworkConfig, subnet_ids
from components.config.reader import ConfigError, Reader, check_ids
from dockyard.rails import ecs as rails_ecs

RAILS_DIR = PROJECT_DIR / "containers" / "rails"

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)  # fmt: skip


@dataclass(frozen=True)
class RailsConfig:
    """Flow 3: the seed's Rails + MySQL containers on ECS (off unless `rails` is true)."""

    capacity: str
    """`ec2` (an Auto Scaling group on the ECS-optimized AMI) or `fargate`."""
    instance_type: str
    instance_count: int
    root_volume_size: int
    subnet_ids: tuple[str, ...]
    """Subnets for the tasks, the EFS mount targets and the load balancer (2+ zones); empty
    means the default VPC's subnets."""
    assign_public_ip: bool
    ingress_cidrs: tuple[str, ...]
    """Who may reach the load balancer on port 80 (and 443 with a domain)."""
    domain: str | None
    """Serve the app over HTTPS at this name; None: plain HTTP."""
    hosted_zone_id: str | None
    """Route 53 zone of `domain` (validation and alias records made there)."""
    web_image: str | None
    """An existing image for the web task; None builds containers/rails and pushes it to ECR."""
    app_source: str
    """APP_SRC build argument: the app's directory inside containers/rails."""
    db_image: str | None
    """An existing MySQL/MariaDB image; None builds containers/mysql and pushes it to ECR."""
    web_cpu: int
    web_memory: int
    db_cpu: int
    db_memory: int
    desired_count: int
    db_wait_timeout: int
    log_retention_days: int


def read_rails(reader: Reader, network: NetworkConfig) -> RailsConfig | None:
    """Flow 3's section; None unless `rails` is true."""
    if not reader.boolean("rails"):
        return None
    subnets = subnet_ids(reader, "railsSubnetIds") or list(network.subnet_ids)
    check_ids("railsSubnetIds", "subnet-", subnets)
    # With the default VPC and no railsSubnetIds, components.shared.network checks its subnets.
    if (subnets or not network.default_vpc) and len(set(subnets)) < 2:
        raise ConfigError(
            "railsSubnetIds",
            "needs at least two subnets (in two availability zones) for the load balancer",
            "pulumi config set --path 'railsSubnetIds[1]' subnet-0123456789abcdef1 "
            "(or list two in subnetIds; with networkStack, list them in railsSubnetIds)",
        )
    ingress = reader.cidrs("railsIngressCidrs") or ["0.0.0.0/0"]
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
    app_source = reader.string("railsAppSource")
    source_dir = (RAILS_DIR / app_source).resolve()
    web_image = reader.optional("railsImage")
    if web_image is None and not (
        source_dir.is_relative_to(RAILS_DIR) and (source_dir / "Gemfile").is_file()
    ):
        raise ConfigError(
            "railsAppSource",
            f"containers/rails/{app_source} holds no Gemfile (the build context is "
            "containers/rails)",
            "put the app under containers/rails/ and name its directory, e.g. sample",
        )
    retention = reader.integer("railsLogRetentionDays")
    if retention not in LOG_RETENTION_DAYS:
        raise ConfigError(
            "railsLogRetentionDays",
            f"{retention} is not a retention CloudWatch Logs accepts",
            f"use one of {', '.join(map(str, LOG_RETENTION_DAYS))}",
        )
    web_cpu = reader.integer("railsCpu", minimum=0, maximum=10240)
    web_memory = reader.integer(
        "railsMemory", minimum=rails_ecs.MIN_CONTAINER_MEMORY_MIB, maximum=30720
    )
    return RailsConfig(
        capacity=reader.choice("railsCapacity", ("ec2", "fargate")),
        instance_type=reader.string("railsInstanceType"),
        instance_count=reader.integer("railsInstanceCount", minimum=1, maximum=20),
        root_volume_size=reader.integer("railsRootVolumeSize", minimum=30, maximum=16384),
        subnet_ids=tuple(subnets),
        assign_public_ip=reader.boolean("railsAssignPublicIp"),
        ingress_cidrs=tuple(ingress),
        domain=domain,
        hosted_zone_id=zone,
        web_image=web_image,
        app_source=app_source,
        db_image=reader.optional("railsDbImage"),
        web_cpu=web_cpu,
        web_memory=web_memory,
        db_cpu=reader.integer("railsDbCpu", minimum=0, maximum=10240),
        db_memory=reader.integer(
            "railsDbMemory", minimum=rails_ecs.MIN_CONTAINER_MEMORY_MIB, maximum=30720
        ),
        desired_count=reader.integer("railsDesiredCount", minimum=0, maximum=100),
        db_wait_timeout=reader.integer("railsDbWaitTimeout", minimum=5, maximum=3600),
        log_retention_days=retention,
    )
