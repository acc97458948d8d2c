"""dockyard: read the stack config, build the components, export the outputs.

Stack outputs are a public contract (docs/outputs.md): stable names,
secrets marked secret.
"""

import pulumi

from components import config
from components.fio.bench import FioBench
from components.hosts.ansible_run import AnsibleRun
from components.hosts.docker_hosts import DockerHosts
from components.rails.app import RailsApp
from components.shared.ecs_cluster import EcsCluster
from components.shared.load_balancer import Https
from components.shared.network import ClusterNetwork, resolve_admin_cidrs, resolve_network
from dockyard.rails.ecs import Limits

cfg = config.load()
tags = cfg.base_tags

# The VPC and subnets: from the config, from another stack's outputs (networkStack), or
# the account's default VPC. Admin CIDRs: `me` is this machine's address, looked up now.
host_count = cfg.docker_hosts.count if cfg.docker_hosts is not None else 0
net = resolve_network(cfg.network, host_count)
vpc_id, subnet_ids, host_subnets = net.vpc_id, net.subnet_ids, net.host_subnets
admin_cidrs = resolve_admin_cidrs(cfg.network.admin_cidrs)
for cidr in cfg.network.world_open_admin_cidrs:
    pulumi.log.warn(
        f"adminCidrs lists {cidr}: SSH and the Docker API are open to the whole internet"
    )

network = ClusterNetwork(
    "cluster",
    {
        "vpc_id": vpc_id,
        "name_prefix": cfg.name_prefix,
        "admin_cidrs": admin_cidrs,
        "tags": tags,
    },
)
pulumi.export("vpcId", vpc_id)
pulumi.export("subnetIds", subnet_ids)
pulumi.export("securityGroupId", network.security_group_id)

if cfg.docker_hosts is not None:
    hosts_cfg = cfg.docker_hosts
    hosts = DockerHosts(
        "docker",
        hosts_cfg,
        {
            "name_prefix": cfg.name_prefix,
            "subnet_ids": host_subnets,
            "security_group_id": network.security_group_id,
            "region": cfg.flocker.region,
            "tags": tags,
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

if cfg.rails is not None:
    rails_cfg = cfg.rails
    rails_subnets = list(rails_cfg.subnet_ids) or net.two_zones(
        "railsSubnetIds", "the Rails load balancer"
    )
    ecs = EcsCluster(
        "rails-ecs",
        {
            "name_prefix": cfg.name_prefix,
            "capacity": rails_cfg.capacity,
            "vpc_id": vpc_id,
            "subnet_ids": rails_subnets,
            "instance_type": rails_cfg.instance_type,
            "instance_count": rails_cfg.instance_count,
            "root_volume_size": rails_cfg.root_volume_size,
            "tags": tags,
        },
    )
    if rails_cfg.domain is None and pulumi.get_stack() != "dev":
        pulumi.log.warn(
            f"railsDomain is not set: stack {pulumi.get_stack()} serves the Rails app over "
            "plain HTTP; set railsDomain (and railsHostedZoneId) for HTTPS (docs/rails.md)"
        )
    rails = RailsApp(
        "rails",
        {
            "name_prefix": cfg.name_prefix,
            "region": cfg.region,
            "vpc_id": vpc_id,
            "subnet_ids": rails_subnets,
            "cluster_arn": ecs.cluster_arn,
            "namespace_arn": ecs.namespace_arn,
            "capacity_provider": ecs.capacity_provider,
            "fargate": ecs.fargate,
            "cluster_ready": ecs.capacity_providers,
            "assign_public_ip": rails_cfg.assign_public_ip,
            "ingress_cidrs": list(rails_cfg.ingress_cidrs),
            "https": (
                Https(rails_cfg.domain, rails_cfg.hosted_zone_id) if rails_cfg.domain else None
            ),
            "web_image": rails_cfg.web_image,
            "app_source": rails_cfg.app_source,
            "db_image": rails_cfg.db_image,
            "web_limits": Limits(cpu=rails_cfg.web_cpu, memory=rails_cfg.web_memory),
            "db_limits": Limits(cpu=rails_cfg.db_cpu, memory=rails_cfg.db_memory),
            "desired_count": rails_cfg.desired_count,
            "db_wait_timeout": rails_cfg.db_wait_timeout,
            "log_retention_days": rails_cfg.log_retention_days,
            "tags": tags,
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

if cfg.fio_bench is not None:
    # Flow 2 (off unless dockyard:fioBench is true): fio on ECS against the volume under test.
    fio_cfg = cfg.fio_bench
    if net.default_vpc and not fio_cfg.per_host:
        net.two_zones("subnetIds", "the fio plots' load balancer")
    fio = FioBench(
        "fio",
        fio_cfg,
        {
            "name_prefix": cfg.name_prefix,
            "vpc_id": vpc_id,
            "subnet_ids": subnet_ids,
            "admin_cidrs": admin_cidrs,
            "region": cfg.region,
            "host_security_group_id": (
                network.security_group_id if fio_cfg.launch_type == "EC2" else None
            ),
            "tags": tags,
        },
    )
    pulumi.export("fioPlotUrl", fio.plot_url)
    pulumi.export("fioResultsBucket", fio.bucket_name)
