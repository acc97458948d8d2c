"""The settings every S3 bucket dockyard makes carries (the policy pack's
s3-buckets-private-and-versioned checks them): public access blocked, requests only over
TLS, objects owned by the bucket owner, versioning on, encryption at rest."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from dockyard.iam import tls_only_policy


def private_bucket_settings(name: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions) -> None:
    """Register the settings resources of `bucket`, named `{name}-private`, `-tls-only`,
    `-ownership`, `-versioning` and `-encryption`, with `opts` (parent, retain_on_delete)."""
    private = aws.s3.BucketPublicAccessBlock(
        f"{name}-private",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketPolicy(
        f"{name}-tls-only",
        bucket=bucket.id,
        policy=pulumi.Output.json_dumps(bucket.arn.apply(tls_only_policy)),
        # a bucket policy is refused while the public access block is being set up
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[private])),
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=opts,
    )
    aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration={"status": "Enabled"},
        opts=opts,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=opts,
    )
