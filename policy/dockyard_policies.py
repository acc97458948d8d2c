"""dockyard's safe defaults as pulumi-policy policies (all mandatory).

Each validation reads the resource properties the engine hands to a policy pack (the
same camelCase inputs the program registers), so it covers every component that uses
the resource type, now and later. __main__.py assembles the pack; the tests call the
validation functions directly with ResourceValidationArgs / StackValidationArgs.
"""

from __future__ import annotations

import importlib
import inspect
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

ADMIN_PORTS = (22, 2376, 8000, 3306)
"""SSH, the Docker TLS API, the Flocker control API and MySQL."""
REQUIRED_TAGS = ("Project", "Stack", "ManagedBy")
"""The tags components.config.StackConfig.base_tags puts on every taggable resource."""
SECRET_NAME = re.compile(r"password|secret|key|token", re.IGNORECASE)

SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG = "aws:ec2/securityGroup:SecurityGroup"
INSTANCE = "aws:ec2/instance:Instance"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EBS_VOLUME = "aws:ebs/volume:Volume"
EFS = "aws:efs/fileSystem:FileSystem"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONINGS = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)

Validation = Callable[[ResourceValidationArgs, ReportViolation], None]


def _truthy(value: Any) -> bool:
    """True for True and "true" (launch template EBS flags are strings in pulumi-aws)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _world(cidrs: Iterable[Any]) -> list[str]:
    found = []
    for cidr in cidrs:
        if not isinstance(cidr, str):
            continue
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        if network.prefixlen == 0:
            found.append(cidr)
    return found


def _admin_ports(protocol: Any, from_port: Any, to_port: Any) -> list[int]:
    """Admin ports a rule's protocol and port range admit."""
    if str(protocol).lower() in {"-1", "all"}:
        return list(ADMIN_PORTS)
    if str(protocol).lower() not in {"tcp", "6"}:
        return []
    # the engine hands numbers over as floats (22.0)
    ports = (from_port, to_port)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in ports):
        return []
    return [p for p in ADMIN_PORTS if from_port <= p <= to_port]


def _check_open(
    report: ReportViolation, where: str, cidrs: list[Any], protocol: Any, lo: Any, hi: Any
) -> None:
    world = _world(cidrs)
    ports = _admin_ports(protocol, lo, hi)
    if world and ports:
        report(
            f"{where} admits admin port(s) {', '.join(map(str, ports))} from "
            f"{', '.join(world)}; list specific CIDRs (dockyard:adminCidrs) instead",
            None,
        )


def no_admin_port_open_to_world(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """No ingress to 22, 2376, 8000 or 3306 from 0.0.0.0/0 or ::/0, in any rule form."""
    props = args.props
    if args.resource_type == SG_INGRESS_RULE:
        cidrs = [props.get("cidrIpv4"), props.get("cidrIpv6")]
        _check_open(
            report,
            "this ingress rule",
            cidrs,
            props.get("ipProtocol"),
            props.get("fromPort"),
            props.get("toPort"),
        )
    elif args.resource_type == SG_RULE and props.get("type") == "ingress":
        cidrs = [*(props.get("cidrBlocks") or []), *(props.get("ipv6CidrBlocks") or [])]
        _check_open(
            report,
            "this ingress rule",
            cidrs,
            props.get("protocol"),
            props.get("fromPort"),
            props.get("toPort"),
        )
    elif args.resource_type == SG:
        for index, rule in enumerate(props.get("ingress") or []):
            if not isinstance(rule, Mapping):
                continue
            cidrs = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
            _check_open(
                report,
                f"inline ingress[{index}]",
                cidrs,
                rule.get("protocol"),
                rule.get("fromPort"),
                rule.get("toPort"),
            )


def imdsv2_required(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Instances and launch templates require IMDSv2 session tokens (httpTokens: required)."""
    if args.resource_type not in (INSTANCE, LAUNCH_TEMPLATE):
        return
    options = args.props.get("metadataOptions") or {}
    if options.get("httpEndpoint") == "disabled":
        return
    if options.get("httpTokens") != "required":
        report(
            "the instance metadata service allows IMDSv1; set "
            "metadata_options={'http_tokens': 'required'}",
            None,
        )


def storage_encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """EBS volumes (root, extra, launch template mappings, aws.ebs.Volume) and EFS are encrypted."""
    props = args.props
    if args.resource_type == INSTANCE:
        if not _truthy((props.get("rootBlockDevice") or {}).get("encrypted")):
            report("the root volume is not encrypted; set root_block_device.encrypted", None)
        for device in props.get("ebsBlockDevices") or []:
            if not _truthy(device.get("encrypted")):
                report(f"EBS volume {device.get('deviceName')} is not encrypted", None)
    elif args.resource_type == LAUNCH_TEMPLATE:
        for mapping in props.get("blockDeviceMappings") or []:
            ebs = mapping.get("ebs")
            if ebs is not None and not _truthy(ebs.get("encrypted")):
                report(
                    f"block device {mapping.get('deviceName')} is not encrypted; set "
                    "ebs.encrypted 'true'",
                    None,
                )
    elif args.resource_type in (EBS_VOLUME, EFS) and not _truthy(props.get("encrypted")):
        report("the volume is not encrypted; set encrypted=True", None)


def _container_definitions(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [c for c in value if isinstance(c, Mapping)] if isinstance(value, list) else []


def no_secret_in_container_environment(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """No container `environment` variable named like a secret; use `secrets` instead."""
    if args.resource_type != TASK_DEFINITION:
        return
    for container in _container_definitions(args.props.get("containerDefinitions")):
        for variable in container.get("environment") or []:
            name = str(variable.get("name", ""))
            if SECRET_NAME.search(name):
                report(
                    f"container {container.get('name')} has {name} in environment; pass it "
                    "through `secrets` (Secrets Manager / SSM) instead",
                    None,
                )


@cache
def _taggable(resource_type: str) -> bool:
    """Whether pulumi-aws's resource class for this type token takes `tags`."""
    parts = re.fullmatch(r"aws:([A-Za-z0-9]+)/[A-Za-z0-9]+:([A-Za-z0-9]+)", resource_type)
    if parts is None:
        return False
    try:
        module = importlib.import_module(f"pulumi_aws.{parts.group(1).lower()}")
        cls = getattr(module, parts.group(2))
    except (ImportError, AttributeError):
        return False
    init = getattr(cls, "_internal_init", None)
    return init is not None and "tags" in inspect.signature(init).parameters


def _tag_keys(tags: Any) -> set[str]:
    if isinstance(tags, Mapping):
        return {k for k, v in tags.items() if v not in (None, "")}
    if isinstance(tags, list):  # Auto Scaling groups: [{key, value, propagateAtLaunch}]
        return {t.get("key") for t in tags if isinstance(t, Mapping) and t.get("value")}
    return set()


def required_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Every taggable AWS resource carries Project, Stack and ManagedBy."""
    if not _taggable(args.resource_type):
        return
    missing = [t for t in REQUIRED_TAGS if t not in _tag_keys(args.props.get("tags"))]
    if missing:
        report(
            f"missing tag(s) {', '.join(missing)}; pass tags=cfg.base_tags (components.config)",
            None,
        )


def _refers_to(resource: PolicyResource, bucket: PolicyResource) -> bool:
    """Whether `resource`'s `bucket` property is this bucket (by dependency or by name)."""
    if bucket in resource.property_dependencies.get("bucket", []):
        return True
    name = resource.props.get("bucket")
    return name is not None and name in (bucket.props.get("bucket"), bucket.name)


def buckets_private_and_versioned(args: StackValidationArgs, report: ReportViolation) -> None:
    """Each S3 bucket has a full public access block and versioning enabled.

    In pulumi-aws 7 both are separate resources (BucketPublicAccessBlock,
    BucketVersioning[V2]) pointing at the bucket, so this is a stack-level check.
    """
    buckets = [r for r in args.resources if r.resource_type in BUCKETS]
    for bucket in buckets:
        blocks = [
            r
            for r in args.resources
            if r.resource_type == PUBLIC_ACCESS_BLOCK and _refers_to(r, bucket)
        ]
        if not any(all(_truthy(b.props.get(f)) for f in PUBLIC_ACCESS_FLAGS) for b in blocks):
            report(
                f"bucket {bucket.name} has no BucketPublicAccessBlock with "
                f"{', '.join(PUBLIC_ACCESS_FLAGS)} all true",
                bucket.urn,
            )
        inline = (bucket.props.get("versioning") or {}).get("enabled") is True
        versioned = inline or any(
            ((r.props.get("versioningConfiguration") or {}).get("status") == "Enabled")
            for r in args.resources
            if r.resource_type in VERSIONINGS and _refers_to(r, bucket)
        )
        if not versioned:
            report(
                f"bucket {bucket.name} has no BucketVersioning with status Enabled",
                bucket.urn,
            )


RESOURCE_VALIDATIONS: dict[str, tuple[str, Validation]] = {
    "no-admin-port-open-to-world": (
        "SSH (22), Docker TLS (2376), Flocker (8000) and MySQL (3306) are never open to "
        "0.0.0.0/0 or ::/0.",
        no_admin_port_open_to_world,
    ),
    "imdsv2-required": (
        "Instances and launch templates require IMDSv2.",
        imdsv2_required,
    ),
    "storage-encrypted": (
        "EBS volumes and EFS file systems are encrypted.",
        storage_encrypted,
    ),
    "no-secret-in-container-environment": (
        "ECS containers get passwords, secrets, keys and tokens through `secrets`, never "
        "`environment`.",
        no_secret_in_container_environment,
    ),
    "required-tags": (
        f"Taggable AWS resources carry {', '.join(REQUIRED_TAGS)}.",
        required_tags,
    ),
}

STACK_VALIDATIONS: dict[str, tuple[str, Callable[[StackValidationArgs, ReportViolation], None]]] = {
    "s3-buckets-private-and-versioned": (
        "S3 buckets block public access and keep versions.",
        buckets_private_and_versioned,
    ),
}


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """Every policy, mandatory."""
    resource: list[ResourceValidationPolicy | StackValidationPolicy] = [
        ResourceValidationPolicy(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=EnforcementLevel.MANDATORY,
        )
        for name, (description, validate) in RESOURCE_VALIDATIONS.items()
    ]
    stack: list[ResourceValidationPolicy | StackValidationPolicy] = [
        StackValidationPolicy(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=EnforcementLevel.MANDATORY,
        )
        for name, (description, validate) in STACK_VALIDATIONS.items()
    ]
    return resource + stack
