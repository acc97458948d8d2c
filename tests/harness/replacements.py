"""Which inputs force a resource to be replaced, per resource type the program creates.

pulumi-aws bridges the Terraform AWS provider: an input whose Terraform schema says
`ForceNew: true` (or that a CustomizeDiff forces new, or, in Plugin Framework resources,
that carries a RequiresReplace plan modifier) makes `pulumi up` replace the resource
instead of updating it. Paths use the engine's camelCase input names: `a.b` is field b
of object a (a block with MaxItems 1), `a[].b` field b of each item of list a, `*` every
input but tags. Each entry names the provider source it was read from.
"""

from __future__ import annotations

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
        "terraform-provider-aws internal/service/ec2/ec2_instance.go (ForceNew)",
    ),
}

FORCES_REPLACEMENT_WHEN: dict[str, dict[str, str]] = {
    "aws:ec2/instance:Instance": {
        "userData": "userDataReplaceOnChange",
        "userDataBase64": "userDataReplaceOnChange",
    },
}
"""Inputs that force a replacement only while another (boolean) input is true."""
