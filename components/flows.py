"""The three flows, each built from the stack config and what they share (the network),
with the stack outputs it exports (docs/outputs.md). __main__.py calls the ones the
config turns on.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.config import DockerHostsConfig, FioBenchConfig, RailsConfig, StackConfig
from components.config.hosts import check_flocker_zone
from components.fio.bench import FioBench
from components.hosts.ansible_run import AnsibleRun
from components.hosts.docker_hosts import DockerHosts
from components.rails.app import RailsApp
from components.rails.scaling import warn_if_ec2_capacity_is_short
from components.shared.ecs_cluster import EcsCluster
from components.shared.network import ResolvedNetwork


@dataclass(frozen=True)
class Site:
    """What every flow is wired to."""

    net: ResolvedNetwork
    """The VPC and subnets."""
    admin_cidrs: list[str]
    """Who may administer (adminCidrs, `me` resolved)."""
    security_group_id: pulumi.Output[str]
    """The cluster security group (ClusterNetwork)."""


def docker_hosts(cfg: StackConfig, hosts_cfg: DockerHostsConfig, site: Site) -> None:
    """Flow 1: the Docker hosts and their hand-off to Ansible."""
    check_flocker_zone(cfg.flocker, site.net.host_zones)
    hosts = DockerHosts(
        "docker",
        hosts_cfg,
        {
            "name_prefix": cfg.name_prefix,
            "subnet_ids": site.net.host_subnets,
            "security_group_id": site.security_group_id,
            "region": cfg.flocker.region,
            "tags": cfg.base_tags,
        },
    )
    ansible = AnsibleRun(
        "ansible",
        cfg.ansible,
        {
            "hosts": hosts.hosts,
            "flocker": cfg.flocker,
            "ssh_private_key": hosts.ssh_private_key or cfg.ansible.private_key,
            "server_tls": hosts.server_tls,
            "depends_on": list(hosts.instances),
        },
    )
    pulumi.export("hosts", hosts.hosts)
    if hosts.ssh_private_key is not None:
        pulumi.export("sshPrivateKey", hosts.ssh_private_key)
    # what `dockyard ssh` needs besides the key: the user, the address kind, known_hosts
    pulumi.export(
        "ssh",
        {
            "user": cfg.ansible.user,
            "address": cfg.ansible.address,
            "knownHostsFile": cfg.ansible.known_hosts_file,
            "ssm": hosts_cfg.ssm,
        },
    )
    pulumi.export("dockerTls", hosts.docker_tls)
    pulumi.export("inventoryIni", ansible.inventory_ini)
    pulumi.export("inventoryYaml", ansible.inventory_yaml)
    pulumi.export("agentYml", ansible.agent_yml)


def rails(cfg: StackConfig, rails_cfg: RailsConfig, site: Site) -> None:
    """Flow 3: the seed's Rails + MySQL app on ECS."""
    rails_subnets = site.net.two_zones(
        "railsSubnetIds",
        "the Rails load balancer (and the database's EFS mount targets)",
        rails_cfg.subnet_ids,
    )
    warn_if_ec2_capacity_is_short(rails_cfg, 2 * rails_cfg.instance_count)
    ecs = EcsCluster(
        "rails-ecs",
        {
            "name_prefix": cfg.name_prefix,
            "capacity": rails_cfg.capacity,
            "vpc_id": site.net.vpc_id,
            "subnet_ids": rails_subnets,
            "instance_type": rails_cfg.instance_type,
            "instance_count": rails_cfg.instance_count,
            "root_volume_size": rails_cfg.root_volume_size,
            "exec_log_retention_days": rails_cfg.log_retention_days,
            "tags": cfg.base_tags,
        },
    )
    if rails_cfg.https is None and pulumi.get_stack() != "dev":
        pulumi.log.warn(
            f"railsDomain is not set: stack {pulumi.get_stack()} serves the Rails app over "
            "plain HTTP; set railsDomain (and railsHostedZoneId) for HTTPS (docs/rails.md)"
        )
    rails = RailsApp(
        "rails",
        rails_cfg,
        {
            "name_prefix": cfg.name_prefix,
            "region": cfg.region,
            "vpc_id": site.net.vpc_id,
            "subnet_ids": rails_subnets,
            "cluster": ecs,
            "tags": cfg.base_tags,
        },
    )
    pulumi.export("railsUrl", rails.url)
    pulumi.export("railsClusterName", ecs.cluster_name)
    pulumi.export("railsClusterArn", ecs.cluster_arn)
    pulumi.export("railsServiceNames", {"web": rails.web_service_name, "db": rails.db_service_name})
    pulumi.export("railsDbPasswordSecretArn", rails.db_password_secret_arn)
    pulumi.export("railsAlbDnsName", rails.alb_dns_name)
    pulumi.export("railsTasks", rails.tasks)
    if rails.certificate_validation_records is not None:
        pulumi.export("railsCertificateValidation", rails.certificate_validation_records)


def fio_bench(cfg: StackConfig, fio_cfg: FioBenchConfig, site: Site) -> None:
    """Flow 2: fio on ECS against the volume under test."""
    subnets = site.net.subnet_ids
    if not fio_cfg.per_host:
        subnets = site.net.checked_subnet_ids("subnetIds", "the fio plots' load balancer")
    fio = FioBench(
        "fio",
        fio_cfg,
        {
            "name_prefix": cfg.name_prefix,
            "vpc_id": site.net.vpc_id,
            "subnet_ids": subnets,
            "admin_cidrs": site.admin_cidrs,
            "region": cfg.region,
            "host_security_group_id": (
                site.security_group_id if fio_cfg.launch_type == "EC2" else None
            ),
            "tags": cfg.base_tags,
        },
    )
    pulumi.export("fioPlotUrl", fio.plot_url)
    pulumi.export("fioResultsBucket", fio.bucket_name)
    pulumi.export("fioTasks", fio.tasks)
