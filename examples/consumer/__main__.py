"""A consumer of dockyard's stack outputs.

Reads vpcId, subnetIds, securityGroupId and hosts from a dockyard stack by
StackReference, makes a security group for its own service in that VPC, and adds a rule
to dockyard's cluster security group admitting that service to the Docker hosts on
`servicePort`.
"""

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
dockyard = pulumi.StackReference(config.require("dockyardStack"))
port = config.get_int("servicePort") or 8080

vpc_id = dockyard.require_output("vpcId")
subnet_ids = dockyard.require_output("subnetIds")
cluster_sg = dockyard.require_output("securityGroupId")
hosts = dockyard.require_output("hosts")

tags = {"Project": pulumi.get_project(), "Stack": pulumi.get_stack(), "ManagedBy": "pulumi"}

service_sg = aws.ec2.SecurityGroup(
    "service",
    vpc_id=vpc_id,
    description="The consumer's service; may reach dockyard's Docker hosts",
    tags=tags,
)
aws.vpc.SecurityGroupIngressRule(
    "service-to-docker-hosts",
    security_group_id=cluster_sg,
    referenced_security_group_id=service_sg.id,
    ip_protocol="tcp",
    from_port=port,
    to_port=port,
    description=f"{pulumi.get_project()}/{pulumi.get_stack()}: its service to the Docker hosts",
    tags=tags,
)

pulumi.export("serviceSecurityGroupId", service_sg.id)
pulumi.export("subnetId", subnet_ids.apply(lambda ids: ids[0]))
pulumi.export("endpoints", hosts.apply(lambda hs: [f"{h['privateIp']}:{port}" for h in hs]))
