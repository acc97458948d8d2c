"""Where `dockyard rails import-db` loads a dump from: a private, TLS-only S3 bucket whose
objects expire after a day (the CLI deletes each dump once loaded), and the one-off task
definition that runs the database image's client (containers/mysql's db-import) against
`appdb`. The task fetches its dump through a presigned URL the CLI makes for it, so it
needs no role of its own.
"""

from __future__ import annotations

from typing import Any, TypedDict, cast

import pulumi
import pulumi_aws as aws

from components.shared.private_bucket import private_bucket_settings
from components.shared.task_definition import register_task_definition
from dockyard.rails import ecs as r

EXPIRE_DAYS = 1


class DumpImportsArgs(TypedDict):
    name_prefix: str
    """Prefix of the bucket and the task family."""
    db_image: pulumi.Input[str]
    """The database image (its client loads the dump)."""
    password_secret_arn: pulumi.Input[str]
    """The database's root password (Secrets Manager)."""
    region: str
    """AWS region (for the awslogs driver)."""
    log_group: pulumi.Input[str]
    """CloudWatch log group of the loader's output (stream prefix `import`)."""
    execution_role_arn: pulumi.Input[str]
    """Pulls the image, reads the password, writes the logs."""
    fargate: bool
    """Fargate capacity (task-level cpu/memory)."""
    limits: r.Limits
    """cpu units and memory (MiB) of the loader (the database container's)."""
    tags: dict[str, str]
    """Tags for every taggable resource."""


class DumpImports(pulumi.ComponentResource):
    """The import bucket and the loader's task definition."""

    bucket_name: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: DumpImportsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dockyard:db_imports:DumpImports", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags, limits = args["tags"], args["limits"]
        prefix = args["name_prefix"]

        bucket = aws.s3.Bucket(
            f"{name}-imports",
            bucket_prefix=f"{prefix}-imports-"[:37],
            # dumps are transient copies: destroy may delete what is left
            force_destroy=True,
            tags=tags,
            opts=child,
        )
        # versioned like every bucket here; the CLI deletes the dump's version itself, and
        # anything left expires
        private_bucket_settings(f"{name}-imports", bucket, child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-imports-expiry",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-dumps",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": EXPIRE_DAYS},
                    "noncurrent_version_expiration": {"noncurrent_days": EXPIRE_DAYS},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            opts=child,
        )

        container = pulumi.Output.all(
            args["db_image"], args["password_secret_arn"], args["log_group"]
        ).apply(
            lambda v: r.import_container(
                image=v[0],
                password_secret_arn=v[1],
                logs=r.Logs(group=v[2], region=args["region"], stream_prefix="import"),
                limits=limits,
            )
        )
        # Outputs stand in for the plain values: the definition holds them as they are.
        definition = r.task_definition(
            family=f"{prefix}-db-import",
            containers=[cast(Any, container)],
            limits=limits,
            execution_role_arn=cast(Any, args["execution_role_arn"]),
            fargate=args["fargate"],
        )
        task = register_task_definition(f"{name}-db-import", definition, tags=tags, opts=child)
        self.bucket_name = bucket.bucket
        self.task_definition_arn = task.arn
        self.register_outputs(
            {"bucketName": self.bucket_name, "taskDefinitionArn": self.task_definition_arn}
        )
