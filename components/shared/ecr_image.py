"""An image built from the repository and pushed to its own private ECR repository."""

from __future__ import annotations

from pathlib import Path
from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from dockyard.images import build_tag


class EcrImageArgs(TypedDict):
    repository_name: str
    """Name of the ECR repository to create."""
    context: str
    """Build context directory."""
    dockerfile: str
    """Path of the Dockerfile."""
    target: NotRequired[str | None]
    """Multi-stage target to build."""
    build_args: NotRequired[dict[str, str]]
    """Build arguments."""
    tags: NotRequired[dict[str, str]]
    """Tags for the repository."""


class EcrImage(pulumi.ComponentResource):
    """ECR repository (scanned, encrypted, immutable tags) and a linux/amd64 image pushed
    to it, tagged by a digest of its build inputs (a tag is never pushed twice).

    A preview builds and pushes nothing (`skip_push` during a dry run). `pulumi destroy`
    deletes the repository with its images (they are rebuilt from the repository).
    """

    image_ref: pulumi.Output[str]
    """The pushed image pinned by digest (the tag while the digest is not known)."""

    def __init__(
        self, name: str, args: EcrImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dockyard:ecr_image:EcrImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        repo = aws.ecr.Repository(
            f"{name}-repo",
            name=args["repository_name"],
            # A tag names one build for good; tags are unique per build (build_tag).
            image_tag_mutability="IMMUTABLE",
            # Images are rebuilt from the repository: `pulumi destroy` deletes them too.
            force_delete=True,
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "AES256"}],
            tags=args.get("tags", {}),
            opts=child,
        )
        token = aws.ecr.get_authorization_token_output(
            registry_id=repo.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        tag = build_tag(
            Path(args["context"]),
            Path(args["dockerfile"]),
            target=args.get("target"),
            build_args=args.get("build_args"),
        )
        image = docker.Image(
            f"{name}-image",
            image_name=repo.repository_url.apply(lambda url: f"{url}:{tag}"),
            build=docker.DockerBuildArgs(
                context=args["context"],
                dockerfile=args["dockerfile"],
                target=args.get("target"),
                args=args.get("build_args"),
                platform="linux/amd64",
            ),
            registry=docker.RegistryArgs(
                server=repo.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            skip_push=pulumi.runtime.is_dry_run(),
            opts=child,
        )
        # The digest pins the exact image, so a new build rolls the service.
        self.image_ref = pulumi.Output.all(image.repo_digest, image.image_name).apply(
            lambda v: str(v[0] or v[1])
        )
        self.register_outputs({"imageRef": self.image_ref})
