"""An application load balancer in front of one ECS service: its security group (the
listener ports from the given CIDRs only), the ALB (invalid header fields dropped), the
target group and the listeners. Used by the Rails app and the fio plots.

With `https` (a domain name, optionally a Route 53 zone): an ACM certificate validated
by DNS (the validation record made in the zone, or printed and exported for the user's
DNS), an HTTPS listener on 443 with TLS_POLICY, port 80 answering only a redirect to
HTTPS, and an alias record for the domain when the zone is given. Without it: a plain
HTTP listener on `port`.

Children that the component using this one made itself before keep their names
(`former_names`) and identity (an alias to `former_parent`: moved, not replaced).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws

from components.config.rails import Https
from components.shared.network import ingress_from_cidrs
from dockyard.netrules import PortRule

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
"""TLS 1.3 and 1.2 only, forward-secret ciphers: AWS's recommended policy for new ALBs."""
HTTPS_PORT = 443
HTTPS_RULE = PortRule("https", "tcp", HTTPS_PORT, HTTPS_PORT, "HTTPS (TLS ends at the ALB)")


class LoadBalancerArgs(TypedDict):
    vpc_id: pulumi.Input[str]
    """The VPC of the balancer and its targets."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Subnets of the balancer: each in a zone of its own, two zones or more (the callers
    pass them through ResolvedNetwork.two_zones / checked_subnet_ids, which check the
    zones EC2 answers)."""
    ingress_rule: PortRule
    """The listener port (80 for the Rails app, 8000 for the fio plots; with HTTPS it only
    redirects): its rule from `ingress_cidrs` names the rules and describes them."""
    target_port: int
    """The port the targets listen on."""
    target_type: str
    """`ip` (awsvpc tasks) or `instance` (bridge networking on EC2 hosts)."""
    health_check: aws.lb.TargetGroupHealthCheckArgsDict
    """The target group's health check."""
    ingress_cidrs: Sequence[str]
    """Who may reach the listener ports; nobody when empty."""
    description: str
    """The security group's description."""
    https: NotRequired[Https | None]
    """Serve a domain over HTTPS (certificate, 443, redirect); default plain HTTP."""
    name_prefix: NotRequired[str | None]
    """name_prefix of the security group (default none: a generated name)."""
    balancer_name_prefix: NotRequired[str | None]
    """name_prefix of the ALB and the target group (at most 6 characters)."""
    deregistration_delay: NotRequired[int | None]
    """Seconds a draining target keeps its connections (default: AWS's 300)."""
    internal: NotRequired[bool | None]
    """Set `internal` explicitly (the ALB is internet-facing either way; an ALB made with
    the input keeps it: ForceNew)."""
    former_parent: NotRequired[pulumi.Resource]
    """The component the children named in former_names were made under before."""
    former_names: NotRequired[Mapping[str, str]]
    """Child suffix (sg, alb, tg, http, ingress) -> the name it keeps (default
    `<name>-<suffix>`; for `ingress` the prefix of the rules' names)."""
    legacy_ingress_prefix: NotRequired[str]
    """The ingress rules were named `<prefix>-<list index>` under former_parent before
    names came from the CIDR: aliases keep them."""
    tags: NotRequired[dict[str, str]]
    """Tags for every taggable resource."""


class LoadBalancer(pulumi.ComponentResource):
    """Security group, ALB, target group, listeners (and with HTTPS the certificate)."""

    security_group: aws.ec2.SecurityGroup
    target_group: aws.lb.TargetGroup
    listeners: list[aws.lb.Listener]
    url: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    """The ALB's ARN suffix (app/<name>/<id>): CloudWatch's LoadBalancer dimension."""
    validation_records: pulumi.Output[list[dict[str, str]]] | None
    """With HTTPS and no zone: the DNS records that validate the certificate."""

    def __init__(
        self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dockyard:load_balancer:LoadBalancer", name, None, opts)
        self._name = name
        self._former_parent = args.get("former_parent")
        self._former = dict(args.get("former_names", {}))
        tags = dict(args.get("tags", {}))
        https = args.get("https")
        port = args["ingress_rule"].from_port
        prefix = args.get("balancer_name_prefix")

        self.security_group = aws.ec2.SecurityGroup(
            self._child_name("sg"),
            name_prefix=args.get("name_prefix"),
            description=args["description"],
            vpc_id=args["vpc_id"],
            tags={**tags, "Name": self._child_name("sg")},
            opts=self._opts("sg"),
        )
        self._ingress(args, tags)
        balancer = aws.lb.LoadBalancer(
            self._child_name("alb"),
            name_prefix=prefix,
            load_balancer_type="application",
            internal=args.get("internal"),
            security_groups=[self.security_group.id],
            subnets=args["subnet_ids"],
            drop_invalid_header_fields=True,
            tags=tags,
            opts=self._opts("alb"),
        )
        self.target_group = aws.lb.TargetGroup(
            self._child_name("tg"),
            name_prefix=prefix,
            port=args["target_port"],
            protocol="HTTP",
            target_type=args["target_type"],
            vpc_id=args["vpc_id"],
            deregistration_delay=args.get("deregistration_delay"),
            health_check=args["health_check"],
            tags=tags,
            opts=self._opts("tg"),
        )
        self.dns_name = balancer.dns_name
        self.arn_suffix = balancer.arn_suffix
        self.validation_records = None
        if https is None:
            self._plain_listener(balancer, port, tags)
        else:
            self._https_listeners(balancer, port, https, tags)
        self.register_outputs(
            {"url": self.url, "dnsName": self.dns_name, "securityGroupId": self.security_group.id}
        )

    def _forward(self) -> list[aws.lb.ListenerDefaultActionArgsDict]:
        return [{"type": "forward", "target_group_arn": self.target_group.arn}]

    def _plain_listener(
        self, balancer: aws.lb.LoadBalancer, port: int, tags: dict[str, str]
    ) -> None:
        """HTTP on `port`, forwarding to the target group."""
        self.listeners = [
            aws.lb.Listener(
                self._child_name("http"),
                load_balancer_arn=balancer.arn,
                port=port,
                protocol="HTTP",
                default_actions=self._forward(),
                tags=tags,
                opts=self._opts("http"),
            )
        ]
        self.url = balancer.dns_name.apply(
            lambda dns: f"http://{dns}" + ("" if port == 80 else f":{port}")
        )

    def _https_listeners(
        self, balancer: aws.lb.LoadBalancer, port: int, https: Https, tags: dict[str, str]
    ) -> None:
        """HTTPS on 443 with the domain's certificate; `port` only redirects to it. With a
        hosted zone, an alias record for the domain."""
        certificate_arn = self._certificate(https, tags)
        self.listeners = [
            # Port 80 answers only a permanent redirect to the same URL over HTTPS.
            aws.lb.Listener(
                self._child_name("http"),
                load_balancer_arn=balancer.arn,
                port=port,
                protocol="HTTP",
                default_actions=[
                    {
                        "type": "redirect",
                        "redirect": {
                            "protocol": "HTTPS",
                            "port": str(HTTPS_PORT),
                            "status_code": "HTTP_301",
                        },
                    }
                ],
                tags=tags,
                opts=self._opts("http"),
            ),
            aws.lb.Listener(
                f"{self._name}-https",
                load_balancer_arn=balancer.arn,
                port=HTTPS_PORT,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=certificate_arn,
                default_actions=self._forward(),
                tags=tags,
                opts=self._opts("https"),
            ),
        ]
        if https.zone_id is not None:
            aws.route53.Record(
                f"{self._name}-alias",
                zone_id=https.zone_id,
                name=https.domain,
                type="A",
                aliases=[
                    {
                        "name": balancer.dns_name,
                        "zone_id": balancer.zone_id,
                        "evaluate_target_health": True,
                    }
                ],
                opts=self._opts("alias"),
            )
        self.url = pulumi.Output.from_input(f"https://{https.domain}")

    def _child_name(self, suffix: str) -> str:
        return self._former.get(suffix, f"{self._name}-{suffix}")

    def _opts(self, suffix: str) -> pulumi.ResourceOptions:
        if suffix not in self._former or self._former_parent is None:
            return pulumi.ResourceOptions(parent=self)
        return pulumi.ResourceOptions(
            parent=self, aliases=[pulumi.Alias(parent=self._former_parent)]
        )

    def _ingress(self, args: LoadBalancerArgs, tags: dict[str, str]) -> None:
        """Each listener port from each CIDR. The plain port's rules may have been made
        before (under former_parent, perhaps with legacy names); the HTTPS port's are new."""
        name = self._child_name("ingress")
        moved = self._former_parent if "ingress" in self._former else None
        child = pulumi.ResourceOptions(parent=self)
        cidrs = args["ingress_cidrs"]
        ingress_from_cidrs(
            name,
            self.security_group.id,
            [args["ingress_rule"]],
            cidrs,
            tags=tags,
            opts=child,
            legacy_prefix=args.get("legacy_ingress_prefix"),
            former_parent=moved,
        )
        if args.get("https") is not None:
            ingress_from_cidrs(
                name, self.security_group.id, [HTTPS_RULE], cidrs, tags=tags, opts=child
            )

    def _certificate(self, https: Https, tags: dict[str, str]) -> pulumi.Output[str]:
        """An ACM certificate for the domain, validated by DNS; its ARN once issued."""
        certificate = aws.acm.Certificate(
            f"{self._name}-certificate",
            domain_name=https.domain,
            validation_method="DNS",
            tags=tags,
            opts=self._opts("certificate"),
        )
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        record: dict[str, pulumi.Output[str]] = {
            "name": option.apply(lambda o: o.resource_record_name or ""),
            "type": option.apply(lambda o: o.resource_record_type or ""),
            "value": option.apply(lambda o: o.resource_record_value or ""),
        }
        fqdns: list[pulumi.Input[str]] = []
        if https.zone_id is not None:
            validation_record = aws.route53.Record(
                f"{self._name}-validation",
                zone_id=https.zone_id,
                name=record["name"],
                type=record["type"],
                records=[record["value"]],
                ttl=300,
                allow_overwrite=True,
                opts=self._opts("validation"),
            )
            fqdns = [validation_record.fqdn]
        else:
            self.validation_records = pulumi.Output.all(**record).apply(_announce)
        # The HTTPS listener takes the certificate only once it is issued: this waits for it.
        validation = aws.acm.CertificateValidation(
            f"{self._name}-certificate",
            certificate_arn=certificate.arn,
            validation_record_fqdns=fqdns or None,
            opts=self._opts("certificate-validation"),
        )
        return validation.certificate_arn


def _announce(record: dict[str, str]) -> list[dict[str, str]]:
    """Print the validation record while `pulumi up` waits for it (it is also exported)."""
    if record["name"]:
        pulumi.log.info(
            "create this DNS record to validate the certificate (pulumi up waits for it): "
            f"{record['name']} {record['type']} {record['value']}"
        )
    return [record]
