"""dockyard: read the stack config, build the components, export the outputs.

Stack outputs are a public contract (docs/outputs.md): stable names, secrets marked
secret. Each flow is built, with its outputs, in components/flows.py.
"""

import pulumi

from components import config, flows
from components.shared.network import ClusterNetwork, resolve_admin_cidrs, resolve_network

cfg = config.load()

# The VPC and subnets: from the config, from another stack's outputs (networkStack), or
# the account's default VPC. Admin CIDRs: `me` is this machine's address, looked up now.
hosts_cfg = cfg.docker_hosts
net = resolve_network(
    cfg.network,
    hosts_cfg.count if hosts_cfg else 0,
    hosts_cfg.instance_type if hosts_cfg else None,
)
admin_cidrs = resolve_admin_cidrs(cfg.network.admin_cidrs)
for cidr in cfg.network.world_open_admin_cidrs:
    pulumi.log.warn(
        f"adminCidrs lists {cidr}: SSH and the Docker API are open to the whole internet"
    )

network = ClusterNetwork(
    "cluster",
    {
        "vpc_id": net.vpc_id,
        "name_prefix": cfg.name_prefix,
        "admin_cidrs": admin_cidrs,
        "tags": cfg.base_tags,
    },
)
pulumi.export("vpcId", net.vpc_id)
pulumi.export("subnetIds", net.subnet_ids)
pulumi.export("securityGroupId", network.security_group_id)

site = flows.Site(net, admin_cidrs, network.security_group_id)
if cfg.docker_hosts is not None:
    flows.docker_hosts(cfg, cfg.docker_hosts, site)
if cfg.rails is not None:
    flows.rails(cfg, cfg.rails, site)
if cfg.fio_bench is not None:
    flows.fio_bench(cfg, cfg.fio_bench, site)
