"""The name prefix and the stack name: both go into AWS names, so both must follow the
rules of the strictest AWS name they go into.

namePrefix and the stack name make every physical name (`<prefix>-<stack>-...`: ECR
repositories, S3 buckets, ECS clusters, task families and services, log groups, secrets,
security groups). The strictest of those: ECR repository and S3 bucket names take only
lowercase letters, digits and a few separators, and must start (S3: and end) with a letter
or digit; ECS names take no dot. So each of the two is lowercase letters, digits and
hyphens, starting and ending with a letter or digit. A few beginnings are reserved by one
consumer or another (RESERVED_STARTS), and the prefix's length is bounded by the longest
name built from it. tests/harness/aws_rules.py checks every name the program makes against
AWS's rules, the stack files' and what-ifs at these limits.
"""

from __future__ import annotations

import re

from components.config.reader import ConfigError
from dockyard.terminal import printable

NAME_PART = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
"""Lowercase letters, digits and hyphens, starting and ending with a letter or digit."""

MAX_PREFIX = 32
"""fio's results bucket prefix `<prefix>-fio-` must fit in the 37 characters the provider
allows a bucket_prefix (S3's 63 less its 26-character unique suffix)."""

# No bound on the two together: with a 32-character prefix and a stack name of 100
# (Pulumi's longest: pulumi/pulumi pkg/backend/diy/store.go @d1fb9bbd, "stack names are
# limited to 100 characters") every name is within its AWS length (test_aws_names).

RESERVED_STARTS: dict[str, str] = {
    "sg-": "EC2 refuses a security group name starting with sg- (the hosts' group is <prefix>-...)",
    "xn--": "S3 refuses a bucket name starting with xn--",
    "sthree-": "S3 refuses a bucket name starting with sthree-",
    "amzn-s3-demo-": "S3 refuses a bucket name starting with amzn-s3-demo-",
    "aws": "ECS refuses a capacity provider name starting with aws, ecs or fargate",
    "ecs": "ECS refuses a capacity provider name starting with aws, ecs or fargate",
    "fargate": "ECS refuses a capacity provider name starting with aws, ecs or fargate",
}
"""Beginnings of a name prefix that one of its consumers refuses (names start with the
prefix and a hyphen), and which consumer."""

_RULE = (
    "AWS takes only lowercase letters, digits and hyphens, starting and ending with a letter "
    "or digit, in the names built from {what} (ECR repositories, S3 buckets, ECS clusters)"
)


def suggest(value: str, fallback: str) -> str:
    """A usable name close to `value` (lowercased, other characters made hyphens)."""
    fixed = re.sub(r"[^a-z0-9-]+", "-", value.lower()).strip("-")
    return fixed if NAME_PART.fullmatch(fixed) else fallback


def check_name_prefix(prefix: str) -> None:
    """Stop with a ConfigError naming namePrefix unless AWS takes every name built from it."""
    shown = printable(prefix)[:60]
    fix = f"pulumi config set namePrefix {suggest(prefix, 'my-prefix')[:MAX_PREFIX]}"
    if not NAME_PART.fullmatch(prefix):
        raise ConfigError(
            "namePrefix", f"{shown!r} is not a usable name prefix: {_RULE.format(what='it')}", fix
        )
    if len(prefix) > MAX_PREFIX:
        raise ConfigError(
            "namePrefix",
            f"{shown!r} is not a usable name prefix: {len(prefix)} characters, at most "
            f"{MAX_PREFIX} (the fio results bucket's prefix <prefix>-fio- must fit S3's 37 "
            "for a bucket_prefix)",
            fix,
        )
    for start, why in RESERVED_STARTS.items():
        if f"{prefix}-".startswith(start):
            raise ConfigError(
                "namePrefix",
                f"{shown!r} is not a usable name prefix: it starts with {start!r} ({why})",
                "pulumi config set namePrefix my-prefix (one that does not start so)",
            )


def check_stack_name(stack: str) -> None:
    """Stop with a ConfigError naming the stack unless AWS takes every name built from it."""
    shown = printable(stack)[:100]
    fix = (
        f"pulumi stack rename {suggest(stack, 'my-stack')} (a stack with resources: the "
        "names with the stack in them change, see docs/configuration.md#names)"
    )
    if not NAME_PART.fullmatch(stack):
        raise ConfigError(
            "pulumi:stack",
            f"the stack name {shown!r} is not usable in AWS names: "
            + _RULE.format(what="the stack name"),
            fix,
        )


def check_names(prefix: str, stack: str) -> None:
    """namePrefix, then the stack name (see check_name_prefix and check_stack_name)."""
    check_name_prefix(prefix)
    check_stack_name(stack)
