"""An image built from the repository and pushed to its own private ECR repository."""

from __future__ import annotations

from typing import NotRequired, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from components import PROJECT_DIR
from dockyard.images import PLATFORM, build_inputs, build_tag


class EcrImageArgs(TypedDict):
    repository_name: str
    """Name of the ECR repository to create."""
    context: str
    """Build context directory (absolute, or relative to the project directory); handed
    to the provider relative to the project directory."""
    dockerfile: str
    """Path of the Dockerfile (absolute, or relative to the project directory)."""
    target: NotRequired[str | None]
    """Multi-stage target to build."""
    build_args: NotRequired[dict[str, str]]
    """Build arguments."""
    tags: NotRequired[dict[str, str]]
    """Tags for the repository."""


class EcrImage(pulumi.ComponentResource):
    """ECR repository (scanned, encrypted, immutable tags) and a linux/amd64 image pushed
    to it, tagged by a digest of exactly the inputs pulumi-docker diffs on (build_tag):
    the provider pushes only when those change, and then the tag is new.

    The image's inputs are the same in preview and up, and from any checkout: paths
    relative to the project directory (Pulumi's working directory for the program and
    the provider), `skip_push` and `build_on_preview` constant false. A preview builds
    and pushes nothing all the same: pulumi-docker's Create/Update return the inputs
    untouched in preview unless buildOnPreview (provider/provider.go @237b7899,
    canPreview). An unchanged image keeps its pushed digest in preview, so nothing that
    uses it shows a change. `pulumi destroy` deletes the repository with its images
    (they are rebuilt from the repository).
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
        block = build_inputs(
            args["context"],
            args["dockerfile"],
            project_dir=PROJECT_DIR,
            target=args.get("target"),
            build_args=args.get("build_args"),
            platform=PLATFORM,
        )
        tag = build_tag(
            block["context"],
            block["dockerfile"],
            project_dir=PROJECT_DIR,
            target=block.get("target"),
            build_args=block.get("args"),
            platform=block["platform"],
        )
        image = docker.Image(
            f"{name}-image",
            image_name=repo.repository_url.apply(lambda url: f"{url}:{tag}"),
            build=docker.DockerBuildArgs(
                context=block["context"],
                dockerfile=block["dockerfile"],
                target=block.get("target"),
                args=block.get("args"),
                platform=block["platform"],
            ),
            registry=docker.RegistryArgs(
                server=repo.repository_url,
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            ),
            # Constant, so preview and up diff the same inputs (a dry-run skip_push made
            # every preview show the image changed, and everything using it replaced).
            skip_push=False,
            build_on_preview=False,
            opts=child,
        )
        # The digest pins the exact image, so a new build rolls the service.
        self.image_ref = pulumi.Output.all(image.repo_digest, image.image_name).apply(
            lambda v: str(v[0] or v[1])
        )
        self.register_outputs({"imageRef": self.image_ref})
