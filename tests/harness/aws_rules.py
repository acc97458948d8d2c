"""AWS's naming and value rules, checked over every resource the program registers.

Each name-like input of each AWS resource type is mapped (TABLE) to the API field it
becomes and the rule that field has: botocore's service model where it states one
(min/max length, pattern, enum: what the AWS API validates), else the rule AWS states in
its docs and the Terraform provider's validator. The name the API receives is worked out
the way the provider and Pulumi make it:

- `name`-like input given: sent as it is;
- `*Prefix` input given: the provider appends terraform-plugin-sdk's
  `id.PrefixedUniqueId` suffix, 26 characters (a UTC timestamp to 1/10000 s and an 8-hex
  counter: hashicorp/terraform-plugin-sdk helper/id/id.go @7a74af25,
  UniqueIDSuffixLength = 26), so the prefix is checked as prefix + 26 such characters;
- neither given: Pulumi autonames it from the resource's name, a "-" and 7 random
  characters, and fails the update when that is longer than the field allows
  (pulumi/pulumi-terraform-bridge pkg/tfbridge/names.go @0b686b6d, AutoName: Randlen 7,
  FromName -> resource.NewUniqueName with Maxlen).

`violations(evaluation)` lists every input AWS (or the provider, before AWS) would
refuse; `unmapped(evaluation)` lists AWS resource types the table does not know, so a new
resource type cannot slip past the check.

Provider sources read (hashicorp/terraform-provider-aws, as the search index served them):
- internal/service/ecr/repository.go @0072eea2: `name` has no ValidateFunc, the API's
  RepositoryName rule applies (botocore: 2-256, lowercase pattern);
- internal/service/ecs/validate.go @0413c661: validateClusterName, 1-255 of
  [0-9A-Za-z_-];
- internal/service/elbv2/validate.go @013f1736: validName (32, [0-9A-Za-z-], no leading
  or trailing hyphen, not "internal-"), validNamePrefix (6), validTargetGroupName(Prefix)
  (32 / 32-26 = 6);
- internal/service/iam/role.go (several versions): roleNameMaxLen 64,
  roleNamePrefixMaxLen = 64 - id.UniqueIDSuffixLength = 38;
- internal/service/ec2/vpc_security_group.go @01606926: name 0-255 and name_prefix
  0-(255-26), neither beginning with sg-; description 0-255;
- internal/service/s3/bucket.go @4c72bcc7: bucket_prefix StringLenBetween(0, 63 - 26);
  validBucketName holds names outside us-east-1 to 3-63 of [0-9a-z-.] but lets us-east-1
  have legacy names (uppercase, `_`, 255): AWS itself refuses those for new buckets in
  every region since March 2018, so the rule here is AWS's (docs, "General purpose bucket
  naming rules"), not the provider's.
- internal/service/appautoscaling/policy.go @e33a89d0: `name` StringLenBetween(0, 255),
  inside botocore's PolicyName 1-256; cloudwatch/metric_alarm.go @e33a89d0: alarm_name
  StringLenBetween(1, 255), as botocore's AlarmName.
The other files TABLE names (Entry.source) are where each input goes through, named by
path only: not read here; their fields pass through to the API, whose rule is botocore's
or the API reference's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.session
from botocore.model import Shape

from tests.harness.pulumi_program import Evaluation, Resource

PREFIX_SUFFIX = "20260102030405123400000001"
"""What terraform-plugin-sdk's id.PrefixedUniqueId appends to a name_prefix (26
characters: timestamp digits and an 8-hex counter)."""
assert len(PREFIX_SUFFIX) == 26
AUTONAME_SUFFIX = "-a1b2c3d"
"""What Pulumi appends to a resource's name when it autonames it ("-" + 7 characters)."""

TF_AWS = "hashicorp/terraform-provider-aws internal/service/"


@functools.cache
def _shape(service: str, operation: str, member: str) -> Shape:
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).input_shape
    assert shape is not None and member in shape.members, f"{service} {operation} {member}"
    return shape.members[member]


@dataclass(frozen=True)
class Rule:
    """What one API field accepts."""

    what: str
    """The API field, e.g. `ecr CreateRepository repositoryName`."""
    source: str
    """Where the rule comes from (botocore's model, the provider file, AWS's docs)."""
    min_len: int = 1
    max_len: int | None = None
    pattern: str | None = None
    """Must match the whole value."""
    enum: tuple[str, ...] = ()
    checks: tuple[tuple[str, Callable[[str], bool]], ...] = ()
    """Further rules: (what it says, predicate that is True when the value breaks it)."""

    def problems(self, value: str) -> list[str]:
        found: list[str] = []
        if len(value) < self.min_len:
            found.append(f"shorter than {self.min_len}")
        if self.max_len is not None and len(value) > self.max_len:
            found.append(f"{len(value)} characters, more than {self.max_len}")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            found.append(f"does not match {self.pattern}")
        if self.enum and value not in self.enum:
            found.append(f"not one of {', '.join(self.enum)}")
        found += [said for said, breaks in self.checks if breaks(value)]
        return found


def botocore_rule(
    service: str,
    operation: str,
    member: str,
    *,
    source: str = "",
    checks: tuple[tuple[str, Callable[[str], bool]], ...] = (),
    **overrides: Any,
) -> Rule:
    """The rule botocore's model states for `member` of `operation`'s input (lengths,
    pattern, enum), with `overrides` and `checks` for what the model leaves out."""
    shape = _shape(service, operation, member)
    meta = shape.metadata
    pattern = meta.get("pattern")
    if pattern is not None:
        # the models' patterns are Java's: a UTF-16 surrogate pair range stands for the
        # characters beyond the BMP
        pattern = pattern.replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")
        pattern = pattern.removeprefix("^").removesuffix("$")
    kwargs: dict[str, Any] = {
        "min_len": meta.get("min", 1),
        "max_len": meta.get("max"),
        "pattern": pattern,
        "enum": tuple(getattr(shape, "enum", ()) or ()),
    }
    kwargs.update(overrides)
    model = f"botocore {service} {operation}.{member} ({shape.name})"
    return Rule(
        what=f"{service} {operation} {member}",
        source=f"{model}; {source}" if source else model,
        checks=checks,
        **kwargs,
    )


def _starts(*words: str) -> Callable[[str], bool]:
    return lambda value: value.startswith(words)


def _ends(*words: str) -> Callable[[str], bool]:
    return lambda value: value.endswith(words)


_IP = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}")
_EC2_TEXT = r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*"
"""EC2's characters for security group names and descriptions in a VPC (CreateSecurityGroup
API reference, GroupName/GroupDescription: "a-z, A-Z, 0-9, spaces, and
._-:/()#,@[]+=&;{}!$*")."""

S3_BUCKET = Rule(
    what="s3 CreateBucket Bucket",
    source=(
        "AWS docs, General purpose bucket naming rules (botocore's BucketName has no "
        f"constraint); {TF_AWS}s3/bucket.go @4c72bcc7"
    ),
    min_len=3,
    max_len=63,
    pattern=r"[a-z0-9][a-z0-9.-]*[a-z0-9]",
    checks=(
        ("two adjacent periods", lambda v: ".." in v),
        ("formatted as an IP address", lambda v: bool(_IP.fullmatch(v))),
        (
            "starts with a reserved prefix (xn--, sthree-, amzn-s3-demo-)",
            _starts("xn--", "sthree-", "amzn-s3-demo-"),
        ),
        (
            "ends with a reserved suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3)",
            _ends("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"),
        ),
    ),
)
ELB_NAME = Rule(
    what="elbv2 CreateLoadBalancer Name",
    source=f"{TF_AWS}elbv2/validate.go @013f1736 validName; AWS docs CreateLoadBalancer",
    max_len=32,
    pattern=r"[0-9A-Za-z-]+",
    checks=(
        ("begins or ends with a hyphen", lambda v: v.startswith("-") or v.endswith("-")),
        ('begins with "internal-"', _starts("internal-")),
    ),
)
TARGET_GROUP_NAME = Rule(
    what="elbv2 CreateTargetGroup Name",
    source=f"{TF_AWS}elbv2/validate.go @013f1736 validTargetGroupName",
    max_len=32,
    pattern=r"[0-9A-Za-z-]+",
    checks=(("begins or ends with a hyphen", lambda v: v.startswith("-") or v.endswith("-")),),
)
ELB_PREFIX = Rule(
    what="elbv2 name_prefix",
    source=f"{TF_AWS}elbv2/validate.go @013f1736 validNamePrefix / validTargetGroupNamePrefix",
    max_len=6,
    pattern=r"[0-9A-Za-z-]+",
    checks=(("begins with a hyphen", _starts("-")),),
)
ECS_NAME_SOURCE = (
    "botocore's String has no constraint; AWS API reference: up to 255 letters, numbers, "
    "hyphens and underscores"
)


def _ecs(what: str, source: str) -> Rule:
    return Rule(what=what, source=source, max_len=255, pattern=r"[0-9A-Za-z_-]+")


ECS_CLUSTER = _ecs(
    "ecs CreateCluster clusterName", f"{TF_AWS}ecs/validate.go @0413c661 validateClusterName"
)
ECS_FAMILY = _ecs("ecs RegisterTaskDefinition family", ECS_NAME_SOURCE)
ECS_SERVICE = _ecs("ecs CreateService serviceName", ECS_NAME_SOURCE)
ECS_CAPACITY_PROVIDER = Rule(
    what="ecs CreateCapacityProvider name",
    source=ECS_NAME_SOURCE + '; "can\'t be prefixed with aws, ecs, or fargate"',
    max_len=255,
    pattern=r"[0-9A-Za-z_-]+",
    checks=(("begins with aws, ecs or fargate", _starts("aws", "ecs", "fargate")),),
)
SECURITY_GROUP_NAME = Rule(
    what="ec2 CreateSecurityGroup GroupName",
    source=(
        "AWS API reference CreateSecurityGroup (botocore's String has no constraint); "
        f"{TF_AWS}ec2/vpc_security_group.go @01606926 name: 0-255, not ^sg-"
    ),
    max_len=255,
    pattern=_EC2_TEXT,
    checks=(("begins with sg-", _starts("sg-")),),
)
SECURITY_GROUP_PREFIX = Rule(
    what="ec2 security group name_prefix",
    source=(
        f"{TF_AWS}ec2/vpc_security_group.go @01606926 name_prefix: StringLenBetween(0, "
        "255-id.UniqueIDSuffixLength), StringDoesNotMatch(^sg-)"
    ),
    min_len=0,
    max_len=255 - 26,
    checks=(("begins with sg-", _starts("sg-")),),
)
EC2_DESCRIPTION = Rule(
    what="ec2 security group (rule) description",
    source="AWS API reference CreateSecurityGroup GroupDescription, IpRange Description",
    min_len=0,
    max_len=255,
    pattern=_EC2_TEXT,
)
LAUNCH_TEMPLATE = Rule(
    what="ec2 CreateLaunchTemplate LaunchTemplateName",
    source="AWS API reference CreateLaunchTemplate (3-128, [a-zA-Z0-9().\\-/_]+)",
    min_len=3,
    max_len=128,
    pattern=r"[a-zA-Z0-9().\-/_]+",
)
IAM_ROLE_PREFIX = Rule(
    what="iam role name_prefix",
    source=f"{TF_AWS}iam/role.go roleNamePrefixMaxLen = 64 - id.UniqueIDSuffixLength",
    max_len=38,
)

ECR_REPOSITORY = botocore_rule(
    "ecr", "CreateRepository", "repositoryName", source=f"{TF_AWS}ecr/repository.go @0072eea2"
)
LOG_GROUP = botocore_rule("logs", "CreateLogGroup", "logGroupName")
SECRET_NAME = botocore_rule(
    "secretsmanager",
    "CreateSecret",
    "Name",
    source="AWS API reference: ASCII letters, numbers and /_+=.@-",
    pattern=r"[0-9A-Za-z/_+=.@-]+",
)
IAM_ROLE = botocore_rule("iam", "CreateRole", "RoleName")
IAM_INSTANCE_PROFILE = botocore_rule("iam", "CreateInstanceProfile", "InstanceProfileName")
IAM_ROLE_POLICY = botocore_rule("iam", "PutRolePolicy", "PolicyName")
AUTOSCALING_GROUP = botocore_rule("autoscaling", "CreateAutoScalingGroup", "AutoScalingGroupName")
HTTP_NAMESPACE = botocore_rule("servicediscovery", "CreateHttpNamespace", "Name")
KEY_PAIR = Rule(
    what="ec2 ImportKeyPair KeyName",
    source="AWS API reference ImportKeyPair: up to 255 ASCII characters",
    max_len=255,
    pattern=r"[\x20-\x7e]+",
)


@dataclass(frozen=True)
class Name:
    """One name of a resource type: the input that gives it, the input that gives a prefix
    of it (the provider completes it), and whether Pulumi autonames it when neither is set."""

    input: str
    rule: Rule
    prefix_input: str | None = None
    prefix_rule: Rule | None = None
    """The provider's own limit on the prefix (checked before the full name)."""
    autonamed: bool = True


@dataclass(frozen=True)
class Value:
    """A non-name input with an API rule: a dotted path into the inputs ([] for each item
    of a list) and the rule its value must follow."""

    path: str
    rule: Rule


@dataclass(frozen=True)
class Entry:
    names: tuple[Name, ...] = ()
    values: tuple[Value, ...] = ()
    source: str = ""
    """The Terraform resource file the inputs go through."""


RETENTION_DAYS = (
    *(0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096),
    *(1827, 2192, 2557, 2922, 3288, 3653),
)


def _enum(service: str, operation: str, member: str) -> Rule:
    return botocore_rule(service, operation, member)


def _nested_enum(service: str, shape_name: str) -> Rule:
    shape = botocore.session.get_session().get_service_model(service).shape_for(shape_name)
    return Rule(
        what=f"{service} {shape_name}",
        source=f"botocore {service} {shape_name}",
        enum=tuple(getattr(shape, "enum", ()) or ()),
    )


def _backup_selection_name() -> Rule:
    """backup CreateBackupSelection BackupSelection.SelectionName (a nested member)."""
    model = botocore.session.get_session().get_service_model("backup")
    selection = model.operation_model("CreateBackupSelection").input_shape.members
    meta = selection["BackupSelection"].members["SelectionName"].metadata
    return Rule(
        what="backup CreateBackupSelection BackupSelection.SelectionName",
        source="botocore backup CreateBackupSelection",
        pattern=str(meta["pattern"]).removeprefix("^").removesuffix("$"),
    )


BACKUP_PLAN_NAME = Rule(
    what="backup CreateBackupPlan BackupPlan.BackupPlanName",
    source="AWS Backup API reference, BackupPlanInput: 1-50 alphanumeric, '-', '_', '.' "
    "(botocore's model states no pattern)",
    max_len=50,
    pattern=r"[a-zA-Z0-9\-\_\.]+",
)

SCALING_POLICY_NAME = botocore_rule(
    "application-autoscaling",
    "PutScalingPolicy",
    "PolicyName",
    source="botocore application-autoscaling PutScalingPolicy (Java's \\p{Print}+: no "
    "control characters); the provider's policy.go StringLenBetween(0, 255)",
    pattern=r"[^\x00-\x1f\x7f]+",
    max_len=255,
)
AUTOSCALING_RESOURCE_ID = botocore_rule(
    "application-autoscaling", "RegisterScalableTarget", "ResourceId"
)
ALARM_NAME = botocore_rule("cloudwatch", "PutMetricAlarm", "AlarmName")


def _predefined_metric(member: str) -> Rule:
    """application-autoscaling PredefinedMetricSpecification's member (a nested shape)."""
    model = botocore.session.get_session().get_service_model("application-autoscaling")
    shape = model.shape_for("PredefinedMetricSpecification").members[member]
    meta = shape.metadata
    return Rule(
        what=f"application-autoscaling PredefinedMetricSpecification.{member}",
        source="botocore application-autoscaling PutScalingPolicy",
        min_len=meta.get("min", 1),
        max_len=meta.get("max"),
        enum=tuple(getattr(shape, "enum", ()) or ()),
    )


_TRACKING = "targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification."

TABLE: dict[str, Entry] = {
    "aws:appautoscaling/target:Target": Entry(
        values=(
            Value("resourceId", AUTOSCALING_RESOURCE_ID),
            Value(
                "scalableDimension",
                _enum("application-autoscaling", "RegisterScalableTarget", "ScalableDimension"),
            ),
            Value(
                "serviceNamespace",
                _enum("application-autoscaling", "RegisterScalableTarget", "ServiceNamespace"),
            ),
        ),
        source=f"{TF_AWS}appautoscaling/target.go",
    ),
    "aws:appautoscaling/policy:Policy": Entry(
        names=(Name("name", SCALING_POLICY_NAME),),
        values=(
            Value("policyType", _enum("application-autoscaling", "PutScalingPolicy", "PolicyType")),
            Value("resourceId", AUTOSCALING_RESOURCE_ID),
            Value(_TRACKING + "predefinedMetricType", _predefined_metric("PredefinedMetricType")),
            Value(_TRACKING + "resourceLabel", _predefined_metric("ResourceLabel")),
        ),
        source=f"{TF_AWS}appautoscaling/policy.go",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": Entry(
        names=(Name("name", ALARM_NAME),),
        values=(
            Value(
                "alarmDescription",
                botocore_rule("cloudwatch", "PutMetricAlarm", "AlarmDescription"),
            ),
            Value("namespace", botocore_rule("cloudwatch", "PutMetricAlarm", "Namespace")),
            Value("metricName", botocore_rule("cloudwatch", "PutMetricAlarm", "MetricName")),
            Value("statistic", _enum("cloudwatch", "PutMetricAlarm", "Statistic")),
            Value(
                "comparisonOperator", _enum("cloudwatch", "PutMetricAlarm", "ComparisonOperator")
            ),
            Value(
                "treatMissingData",
                botocore_rule("cloudwatch", "PutMetricAlarm", "TreatMissingData"),
            ),
        ),
        source=f"{TF_AWS}cloudwatch/metric_alarm.go",
    ),
    "aws:backup/vault:Vault": Entry(
        names=(Name("name", botocore_rule("backup", "CreateBackupVault", "BackupVaultName")),),
        source=f"{TF_AWS}backup/vault.go",
    ),
    "aws:backup/plan:Plan": Entry(
        names=(Name("name", BACKUP_PLAN_NAME),), source=f"{TF_AWS}backup/plan.go"
    ),
    "aws:backup/selection:Selection": Entry(
        names=(Name("name", _backup_selection_name()),), source=f"{TF_AWS}backup/selection.go"
    ),
    "aws:ecr/repository:Repository": Entry(
        names=(Name("name", ECR_REPOSITORY, autonamed=False),),
        values=(
            Value("imageTagMutability", _enum("ecr", "CreateRepository", "imageTagMutability")),
        ),
        source=f"{TF_AWS}ecr/repository.go",
    ),
    "aws:ecs/cluster:Cluster": Entry(
        names=(Name("name", ECS_CLUSTER),), source=f"{TF_AWS}ecs/cluster.go"
    ),
    "aws:ecs/service:Service": Entry(
        names=(Name("name", ECS_SERVICE),),
        values=(
            Value("launchType", _enum("ecs", "CreateService", "launchType")),
            Value("propagateTags", _enum("ecs", "CreateService", "propagateTags")),
            Value("schedulingStrategy", _enum("ecs", "CreateService", "schedulingStrategy")),
        ),
        source=f"{TF_AWS}ecs/service.go",
    ),
    "aws:ecs/taskDefinition:TaskDefinition": Entry(
        names=(Name("family", ECS_FAMILY, autonamed=False),),
        values=(
            Value("networkMode", _enum("ecs", "RegisterTaskDefinition", "networkMode")),
            Value("requiresCompatibilities[]", _nested_enum("ecs", "Compatibility")),
        ),
        source=f"{TF_AWS}ecs/task_definition.go",
    ),
    "aws:ecs/capacityProvider:CapacityProvider": Entry(
        names=(Name("name", ECS_CAPACITY_PROVIDER),), source=f"{TF_AWS}ecs/capacity_provider.go"
    ),
    "aws:cloudwatch/logGroup:LogGroup": Entry(
        names=(Name("name", LOG_GROUP, "namePrefix"),),
        values=(
            Value(
                "retentionInDays",
                Rule(
                    what="logs PutRetentionPolicy retentionInDays",
                    source="AWS API reference PutRetentionPolicy (the values it accepts)",
                    enum=tuple(str(d) for d in RETENTION_DAYS),
                ),
            ),
        ),
        source=f"{TF_AWS}logs/group.go",
    ),
    "aws:secretsmanager/secret:Secret": Entry(
        names=(Name("name", SECRET_NAME, "namePrefix"),),
        source=f"{TF_AWS}secretsmanager/secret.go",
    ),
    "aws:iam/role:Role": Entry(
        names=(Name("name", IAM_ROLE, "namePrefix", IAM_ROLE_PREFIX),),
        values=(
            Value("description", botocore_rule("iam", "CreateRole", "Description", min_len=0)),
        ),
        source=f"{TF_AWS}iam/role.go",
    ),
    "aws:iam/instanceProfile:InstanceProfile": Entry(
        names=(Name("name", IAM_INSTANCE_PROFILE, "namePrefix"),),
        source=f"{TF_AWS}iam/instance_profile.go",
    ),
    "aws:iam/rolePolicy:RolePolicy": Entry(
        names=(Name("name", IAM_ROLE_POLICY, "namePrefix"),),
        source=f"{TF_AWS}iam/role_policy.go",
    ),
    "aws:s3/bucket:Bucket": Entry(
        names=(Name("bucket", S3_BUCKET, "bucketPrefix"),), source=f"{TF_AWS}s3/bucket.go"
    ),
    "aws:lb/loadBalancer:LoadBalancer": Entry(
        names=(Name("name", ELB_NAME, "namePrefix", ELB_PREFIX),),
        values=(Value("loadBalancerType", _enum("elbv2", "CreateLoadBalancer", "Type")),),
        source=f"{TF_AWS}elbv2/load_balancer.go",
    ),
    "aws:lb/targetGroup:TargetGroup": Entry(
        names=(Name("name", TARGET_GROUP_NAME, "namePrefix", ELB_PREFIX),),
        values=(
            Value("targetType", _enum("elbv2", "CreateTargetGroup", "TargetType")),
            Value("protocol", _enum("elbv2", "CreateTargetGroup", "Protocol")),
        ),
        source=f"{TF_AWS}elbv2/target_group.go",
    ),
    "aws:lb/listener:Listener": Entry(
        values=(Value("protocol", _enum("elbv2", "CreateListener", "Protocol")),),
        source=f"{TF_AWS}elbv2/listener.go",
    ),
    "aws:ec2/securityGroup:SecurityGroup": Entry(
        names=(Name("name", SECURITY_GROUP_NAME, "namePrefix", SECURITY_GROUP_PREFIX),),
        values=(Value("description", EC2_DESCRIPTION),),
        source=f"{TF_AWS}ec2/vpc_security_group.go",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Entry(
        values=(Value("description", EC2_DESCRIPTION),),
        source=f"{TF_AWS}ec2/vpc_security_group_ingress_rule.go",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Entry(
        values=(Value("description", EC2_DESCRIPTION),),
        source=f"{TF_AWS}ec2/vpc_security_group_egress_rule.go",
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": Entry(
        names=(Name("name", LAUNCH_TEMPLATE, "namePrefix"),),
        source=f"{TF_AWS}ec2/ec2_launch_template.go",
    ),
    "aws:autoscaling/group:Group": Entry(
        names=(Name("name", AUTOSCALING_GROUP, "namePrefix"),),
        source=f"{TF_AWS}autoscaling/group.go",
    ),
    "aws:servicediscovery/httpNamespace:HttpNamespace": Entry(
        names=(Name("name", HTTP_NAMESPACE),),
        source=f"{TF_AWS}servicediscovery/http_namespace.go",
    ),
    "aws:ec2/keyPair:KeyPair": Entry(
        names=(Name("keyName", KEY_PAIR, "keyNamePrefix"),), source=f"{TF_AWS}ec2/ec2_key_pair.go"
    ),
}
"""AWS resource type -> the names and values it sends to the API, and their rules."""

NAMELESS: frozenset[str] = frozenset(
    {
        # identified by ids AWS makes; no input becomes a name
        "aws:ec2/eip:Eip",
        "aws:ec2/instance:Instance",
        "aws:ec2/networkInterface:NetworkInterface",
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
        "aws:efs/accessPoint:AccessPoint",
        "aws:efs/fileSystem:FileSystem",
        "aws:efs/fileSystemPolicy:FileSystemPolicy",
        "aws:efs/mountTarget:MountTarget",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:secretsmanager/secretVersion:SecretVersion",
        # the bucket's settings name the bucket by its id (checked on the bucket)
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:acm/certificate:Certificate",
        "aws:acm/certificateValidation:CertificateValidation",
        "aws:route53/record:Record",
        "aws:lb/listenerCertificate:ListenerCertificate",
        "aws:lb/listenerRule:ListenerRule",
    }
)
"""AWS resource types the program makes that send no name to the API."""


@dataclass(frozen=True)
class Violation:
    resource: str
    """type::name"""
    input: str
    value: str
    """The value as the API would receive it (prefixes completed, autonames made)."""
    rule: Rule
    problems: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        return (
            f"{self.resource} {self.input}={self.value!r}: {'; '.join(self.problems)} "
            f"[{self.rule.what}; {self.rule.source}]"
        )


def _values_at(inputs: Mapping[str, Any], path: str) -> list[Any]:
    """The values at a dotted path ([] after a key: each item of that list)."""
    found: list[Any] = [inputs]
    for part in path.split("."):
        each = part.endswith("[]")
        key = part.removesuffix("[]")
        nxt: list[Any] = []
        for value in found:
            if isinstance(value, Mapping) and value.get(key) is not None:
                item = value[key]
                nxt += list(item) if each and isinstance(item, list) else [item]
        found = nxt
    return found


def _text(value: Any) -> str:
    """A value as the API gets it (the engine's JSON numbers are floats: 30.0 is 30)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def api_names(resource: Resource, name: Name) -> list[tuple[str, str, Rule]]:
    """(input, value as the API receives it, rule) for one name of a resource."""
    inputs = resource.inputs
    given = inputs.get(name.input)
    if isinstance(given, str) and given:
        return [(name.input, given, name.rule)]
    prefix = inputs.get(name.prefix_input) if name.prefix_input else None
    if isinstance(prefix, str) and prefix:
        assert name.prefix_input is not None
        checks = [(name.prefix_input, prefix + PREFIX_SUFFIX, name.rule)]
        if name.prefix_rule is not None:
            checks.insert(0, (name.prefix_input, prefix, name.prefix_rule))
        return checks
    if name.autonamed:
        return [(f"{name.input} (autonamed)", resource.name + AUTONAME_SUFFIX, name.rule)]
    return []


def check_resource(resource: Resource) -> list[Violation]:
    """Every input of `resource` that its API field's rule refuses."""
    entry = TABLE.get(resource.typ)
    if entry is None:
        return []
    label = f"{resource.typ}::{resource.name}"
    found: list[Violation] = []
    for name in entry.names:
        for key, value, rule in api_names(resource, name):
            problems = rule.problems(value)
            if problems:
                found.append(Violation(label, key, value, rule, tuple(problems)))
    for check in entry.values:
        for value in _values_at(resource.inputs, check.path):
            text = _text(value)
            problems = check.rule.problems(text)
            if problems:
                found.append(Violation(label, check.path, text, check.rule, tuple(problems)))
    return found


def violations(evaluation: Evaluation | Iterable[Resource]) -> list[Violation]:
    """Every name and value of every resource that AWS (or the provider) would refuse."""
    resources = evaluation.resources if isinstance(evaluation, Evaluation) else evaluation
    return [v for r in resources for v in check_resource(r)]


def unmapped(evaluation: Evaluation) -> list[str]:
    """AWS resource types the evaluation holds that neither TABLE nor NAMELESS lists."""
    return sorted(
        {
            r.typ
            for r in evaluation.resources
            if r.typ.startswith("aws:") and r.typ not in TABLE and r.typ not in NAMELESS
        }
    )


def report(found: Iterable[Violation]) -> str:
    return "\n".join(str(v) for v in found)
