"""Which inputs force a resource to be replaced, per resource type the program creates.

pulumi-aws bridges the Terraform AWS provider: an input whose Terraform schema says
`ForceNew: true` (or that a CustomizeDiff forces new, or, in Plugin Framework resources,
that carries a RequiresReplace plan modifier) makes `pulumi up` replace the resource
instead of updating it. Paths use the engine's camelCase input names: `a.b` is field b
of object a (a block with MaxItems 1), `a[].b` field b of each item of list a, `*` every
input but tags. Each entry names the provider source it was read from (file and commit
as the search index served it). Not listed because they are not a fixed input list:
- a regional resource's `region` (terraform-provider-aws v6 forces new when it changes);
- tls certificates inside their `earlyRenewalHours` window are replaced by the next
  `up` with no input change (terraform-provider-tls common_cert.go, ready_for_renewal);
- an ECS service whose capacityProviderStrategies change fails to plan unless
  forceNewDeployment is true (terraform-provider-aws ecs/service.go, PR 43533);
- a load balancer given security groups where it had none, or none where it had some,
  or an ALB losing a subnet, is replaced (elbv2/load_balancer.go CustomizeDiff).
"""

from __future__ import annotations

TF_AWS = "terraform-provider-aws internal/service/"
TF_TLS = "terraform-provider-tls internal/provider/"

FORCES_REPLACEMENT: dict[str, tuple[tuple[str, ...], str]] = {
    "aws:ec2/instance:Instance": (
        (
            "ami",
            "associatePublicIpAddress",
            "availabilityZone",
            "keyName",
            "subnetId",
            "privateIp",
            "securityGroups",
            "tenancy",
            "placementGroup",
            "hostId",
            "ebsOptimized",
            "hibernation",
            "launchTemplate",
            "ipv6Addresses",
            "ipv6AddressCount",
            "cpuOptions",
            "enclaveOptions",
            "privateDnsNameOptions",
            "ephemeralBlockDevices",
            "ebsBlockDevices",
            "networkInterfaces[].deviceIndex",
            "networkInterfaces[].networkInterfaceId",
            "networkInterfaces[].deleteOnTermination",
            "networkInterfaces[].networkCardIndex",
            "rootBlockDevice.encrypted",
            "rootBlockDevice.kmsKeyId",
        ),
        TF_AWS + "ec2/ec2_instance.go @0015dfcd",
    ),
    "aws:ec2/networkInterface:NetworkInterface": (
        (
            "subnetId",
            "interfaceType",
            "region",
        ),
        TF_AWS + "ec2/vpc_network_interface.go @01c08000",
    ),
    "aws:ec2/eip:Eip": (
        (
            "address",
            "domain",
            "ipamPoolId",
            "networkBorderGroup",
            "publicIpv4Pool",
            "region",
        ),
        TF_AWS + "ec2/ec2_eip.go @01606926",
    ),
    "aws:ec2/keyPair:KeyPair": (
        (
            "keyName",
            "keyNamePrefix",
            "publicKey",
            "region",
        ),
        TF_AWS + "ec2/ec2_key_pair.go @05bc9541",
    ),
    "aws:ec2/securityGroup:SecurityGroup": (
        (
            "description",
            "name",
            "namePrefix",
            "vpcId",
            "region",
        ),
        TF_AWS + "ec2/vpc_security_group.go @01606926",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        (
            "securityGroupId",
            "region",
        ),
        TF_AWS + "ec2/vpc_security_group_ingress_rule.go @00a32209",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        (
            "securityGroupId",
            "region",
        ),
        TF_AWS + "ec2/vpc_security_group_ingress_rule.go @00a32209 (shared rule base)",
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": (
        (
            "name",
            "namePrefix",
            "region",
        ),
        TF_AWS + "ec2/ec2_launch_template.go @025e4f81",
    ),
    "aws:autoscaling/group:Group": (
        (
            "name",
            "namePrefix",
            "initialLifecycleHooks",
            "initialLifecycleHooks[].defaultResult",
            "initialLifecycleHooks[].heartbeatTimeout",
            "initialLifecycleHooks[].lifecycleTransition",
            "initialLifecycleHooks[].name",
            "initialLifecycleHooks[].notificationMetadata",
            "initialLifecycleHooks[].notificationTargetArn",
            "initialLifecycleHooks[].roleArn",
            "region",
        ),
        TF_AWS + "autoscaling/group.go @00a919d1",
    ),
    "aws:ecs/cluster:Cluster": (
        (
            "name",
            "region",
        ),
        TF_AWS + "ecs/cluster.go @00a35305",
    ),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": (
        (
            "clusterName",
            "region",
        ),
        TF_AWS + "ecs/cluster_capacity_providers.go @0619e62a",
    ),
    "aws:ecs/capacityProvider:CapacityProvider": (
        (
            "name",
            "cluster",
            "autoScalingGroupProvider",
            "autoScalingGroupProvider.autoScalingGroupArn",
            "managedInstancesProvider",
            "managedInstancesProvider.instanceLaunchTemplate.capacityOptionType",
            "region",
        ),
        TF_AWS + "ecs/capacity_provider.go @00946284",
    ),
    "aws:ecs/service:Service": (
        (
            "cluster",
            "iamRole",
            "launchType",
            "name",
            "schedulingStrategy",
            "region",
        ),
        # the `alarms` block (deployment alarms) has no ForceNew: ecs/service.go @8a0b630a
        TF_AWS + "ecs/service.go",
    ),
    "aws:ecs/taskDefinition:TaskDefinition": (
        ("*",),
        TF_AWS + "ecs/task_definition.go @04fc21d5",
    ),
    "aws:efs/fileSystem:FileSystem": (
        (
            "availabilityZoneName",
            "creationToken",
            "encrypted",
            "kmsKeyId",
            "performanceMode",
            "region",
        ),
        TF_AWS + "efs/file_system.go @0389f467",
    ),
    "aws:efs/mountTarget:MountTarget": (
        (
            "fileSystemId",
            "ipAddress",
            "subnetId",
            "region",
        ),
        TF_AWS + "efs/mount_target.go @0593466d",
    ),
    "aws:efs/accessPoint:AccessPoint": (
        (
            "fileSystemId",
            "posixUser",
            "posixUser.gid",
            "posixUser.uid",
            "posixUser.secondaryGids",
            "rootDirectory",
            "rootDirectory.path",
            "rootDirectory.creationInfo",
            "rootDirectory.creationInfo.ownerGid",
            "rootDirectory.creationInfo.ownerUid",
            "rootDirectory.creationInfo.permissions",
            "region",
        ),
        TF_AWS + "efs/access_point.go @01606926",
    ),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": (
        (
            "fileSystemId",
            "region",
        ),
        TF_AWS + "efs/file_system_policy.go @087097a6",
    ),
    "aws:backup/vault:Vault": (
        (
            "name",
            "kmsKeyArn",
            "region",
        ),
        TF_AWS + "backup/vault.go @050ac111",
    ),
    "aws:backup/plan:Plan": (
        (
            "name",
            "region",
        ),
        TF_AWS + "backup/plan.go @01f43111",
    ),
    "aws:backup/selection:Selection": (
        # every argument is ForceNew: the resource has no Update
        ("*",),
        TF_AWS + "backup/selection.go @00a35305",
    ),
    "aws:appautoscaling/target:Target": (
        (
            "resourceId",
            "scalableDimension",
            "serviceNamespace",
            "region",
        ),
        TF_AWS + "appautoscaling/target.go @cd3a8a7b",
    ),
    "aws:appautoscaling/policy:Policy": (
        (
            "name",
            "resourceId",
            "scalableDimension",
            "serviceNamespace",
            "region",
        ),
        TF_AWS + "appautoscaling/policy.go @e33a89d0",
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        # alarm_name (Pulumi's `name`) only; the metric, dimensions, thresholds update in place
        (
            "name",
            "region",
        ),
        TF_AWS + "cloudwatch/metric_alarm.go @e33a89d0",
    ),
    "aws:iam/role:Role": (
        (
            "name",
            "namePrefix",
            "path",
        ),
        TF_AWS + "iam/role.go @0040ea69",
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        (
            "name",
            "namePrefix",
            "role",
        ),
        TF_AWS + "iam/role_policy.go @02f97af8",
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        ("*",),
        TF_AWS + "iam/role_policy_attachment.go @04c79849",
    ),
    "aws:iam/instanceProfile:InstanceProfile": (
        (
            "name",
            "namePrefix",
            "path",
        ),
        TF_AWS + "iam/instance_profile.go @013f1736",
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        (
            "customerOwnedIpv4Pool",
            "internal",
            "loadBalancerType",
            "name",
            "namePrefix",
            "region",
        ),
        TF_AWS + "elbv2/load_balancer.go @00edc94b",
    ),
    "aws:lb/targetGroup:TargetGroup": (
        (
            "ipAddressType",
            "name",
            "namePrefix",
            "port",
            "protocol",
            "protocolVersion",
            "targetType",
            "vpcId",
            "region",
        ),
        TF_AWS + "elbv2/target_group.go @013cfb4c",
    ),
    "aws:lb/listener:Listener": (
        (
            "loadBalancerArn",
            "region",
        ),
        TF_AWS + "elbv2/listener.go @01c08000",
    ),
    "aws:lb/listenerRule:ListenerRule": (
        (
            "listenerArn",
            "region",
        ),
        TF_AWS + "elbv2/listener_rule.go @032c4f07",
    ),
    "aws:s3/bucket:Bucket": (
        (
            "bucket",
            "bucketPrefix",
            "objectLockEnabled",
            "objectLockConfiguration.objectLockEnabled",
            "region",
        ),
        TF_AWS + "s3/bucket.go",
    ),
    "aws:s3/bucketVersioning:BucketVersioning": (
        (
            "bucket",
            "expectedBucketOwner",
            "region",
        ),
        TF_AWS + "s3/bucket_versioning.go @01c08000",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        (
            "bucket",
            "region",
        ),
        TF_AWS + "s3/bucket_public_access_block.go @01606926",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        (
            "bucket",
            "region",
        ),
        TF_AWS + "s3/bucket_ownership_controls.go @01c08000",
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        (
            "bucket",
            "expectedBucketOwner",
            "region",
        ),
        TF_AWS + "s3/bucket_server_side_encryption_configuration.go @01606926",
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        (
            "bucket",
            "expectedBucketOwner",
            "region",
        ),
        TF_AWS + "s3/bucket_lifecycle_configuration.go @edd83424",
    ),
    "aws:s3/bucketPolicy:BucketPolicy": (
        (
            "bucket",
            "region",
        ),
        TF_AWS + "s3/bucket_policy.go @0073593e",
    ),
    "aws:secretsmanager/secret:Secret": (
        (
            "name",
            "namePrefix",
            "region",
        ),
        TF_AWS + "secretsmanager/secret.go @00c21ced",
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": (
        (
            "secretId",
            "secretBinary",
            "secretString",
            "secretStringWoVersion",
            "region",
        ),
        TF_AWS + "secretsmanager/secret_version.go @0042e8ea",
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        (
            "logGroupClass",
            "name",
            "namePrefix",
            "region",
        ),
        TF_AWS + "logs/group.go @0073593e",
    ),
    "aws:ecr/repository:Repository": (
        (
            "name",
            "encryptionConfigurations",
            "encryptionConfigurations[].encryptionType",
            "encryptionConfigurations[].kmsKey",
            "region",
        ),
        TF_AWS + "ecr/repository.go @0072eea2",
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": (
        ("*",),
        TF_AWS + "ecr/lifecycle_policy.go @00a35305",
    ),
    "aws:servicediscovery/httpNamespace:HttpNamespace": (
        (
            "description",
            "name",
            "region",
        ),
        TF_AWS + "servicediscovery/http_namespace.go @04a2e6e5",
    ),
    "aws:acm/certificate:Certificate": (
        (
            "certificateAuthorityArn",
            "domainName",
            "keyAlgorithm",
            "subjectAlternativeNames",
            "validationMethod",
            "validationOptions",
            "validationOptions[].domainName",
            "validationOptions[].validationDomain",
            "region",
        ),
        TF_AWS + "acm/certificate.go @01661ea3",
    ),
    "aws:acm/certificateValidation:CertificateValidation": (
        ("*",),
        TF_AWS + "acm/certificate_validation.go @004eea7f",
    ),
    "aws:route53/record:Record": (
        (
            "name",
            "zoneId",
        ),
        TF_AWS + "route53/record.go @00655c16",
    ),
    "tls:index/privateKey:PrivateKey": (
        ("*",),
        TF_TLS + "resource_private_key.go @d72d90e1",
    ),
    "tls:index/selfSignedCert:SelfSignedCert": (
        (
            "privateKeyPem",
            "validityPeriodHours",
            "allowedUses",
            "dnsNames",
            "ipAddresses",
            "uris",
            "isCaCertificate",
            "maxPathLength",
            "setSubjectKeyId",
            "setAuthorityKeyId",
            "subject",
            "subject.*",
        ),
        TF_TLS + "resource_self_signed_cert.go @d72d90e1",
    ),
    "tls:index/locallySignedCert:LocallySignedCert": (
        (
            "caCertPem",
            "caPrivateKeyPem",
            "certRequestPem",
            "validityPeriodHours",
            "allowedUses",
            "isCaCertificate",
            "maxPathLength",
            "setSubjectKeyId",
        ),
        TF_TLS + "resource_locally_signed_cert.go @d72d90e1",
    ),
    "tls:index/certRequest:CertRequest": (
        (
            "privateKeyPem",
            "dnsNames",
            "ipAddresses",
            "uris",
            "subject",
            "subject.*",
        ),
        TF_TLS + "resource_cert_request.go @d72d90e1",
    ),
    "random:index/randomPassword:RandomPassword": (
        ("*",),
        "terraform-provider-random internal/provider/resource_password.go",
    ),
    "random:index/randomBytes:RandomBytes": (
        ("length", "keepers"),
        "hashicorp/terraform-provider-random internal/provider/resource_bytes.go @0bebee06",
    ),
    "command:local:Command": (
        ("triggers",),
        "pulumi/pulumi-command provider/pkg/provider/common/inputs.go @010bd8e0",
    ),
    "docker:index/image:Image": (
        (),
        # Diff answers DIFF_SOME with no replaces: any change is an update (rebuild, push)
        "pulumi/pulumi-docker provider/provider.go @237b7899 (Diff)",
    ),
}

NOT_DIFFED: dict[str, tuple[str, ...]] = {
    "docker:index/image:Image": ("registry.username", "registry.password"),
}
"""Inputs whose change the provider's Diff does not report (pulumi-docker provider.go
@237b7899 diffUpdates: "only register a diff on server ... not on username or password")."""

FORCES_REPLACEMENT_WHEN: dict[str, dict[str, str]] = {
    "aws:ec2/instance:Instance": {
        "userData": "userDataReplaceOnChange",
        "userDataBase64": "userDataReplaceOnChange",
    },
}
"""Inputs that force a replacement only while another (boolean) input is true."""

SOURCE_KIND: dict[str, tuple[str, ...]] = {
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "cidrIpv4",
        "cidrIpv6",
        "prefixListId",
        "referencedSecurityGroupId",
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        "cidrIpv4",
        "cidrIpv6",
        "prefixListId",
        "referencedSecurityGroupId",
    ),
}
"""A rule whose kind of source changes (cidrIpv4 -> cidrIpv6, say) is replaced; a new
value of the same kind is updated in place (vpc_security_group_ingress_rule.go ModifyPlan)."""
