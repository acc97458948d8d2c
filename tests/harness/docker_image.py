"""pulumi-docker's docker.Image as the engine sees it, for the mocks.

Check (pulumi/pulumi-docker provider/provider.go @237b7899, `Check`) fills in the build
defaults and adds `build.contextDigest`, its hash of the build context; the engine keeps
and diffs those checked inputs. Relative paths are resolved against the provider's
working directory, the project directory (pulumi/pulumi
sdk/go/common/resource/plugin/plugin.go @00712118, execPlugin: `cmd.Dir = pwd`). A
Dockerfile that is not found fails Check as the provider words it. After a push the
image's `repoDigest` is the registry's digest of what was built (here: a digest of the
image name and context digest, so another build gives another digest).
"""

from __future__ import annotations

import copy
import hashlib
import posixpath
from pathlib import Path
from typing import Any

from dockyard.images import DEFAULT_DOCKERFILE, provider_context_digest

IMAGE = "docker:index/image:Image"
HOST_PLATFORM = "linux/amd64"
"""What Check fills in for a missing build.platform (linux/<GOARCH of the provider>)."""


class CheckFailure(Exception):
    """The provider's Check refused the inputs (the engine stops the preview or up)."""


def check(inputs: dict[str, Any], cwd: Path) -> dict[str, Any]:
    """The inputs as pulumi-docker's Check returns them, resolved against `cwd`."""
    checked = copy.deepcopy(inputs)
    checked["buildOnPreview"] = bool(checked.get("buildOnPreview") or False)
    build = checked.setdefault("build", {})
    context = build.get("context") or "."
    build["context"] = context
    dockerfile = build.get("dockerfile") or posixpath.join(context, DEFAULT_DOCKERFILE)
    build["dockerfile"] = dockerfile
    resolved = Path(cwd, dockerfile)
    if not resolved.is_file():
        if Path(dockerfile).is_absolute():
            raise CheckFailure(f"expected a relative Dockerfile path; got {dockerfile!r} instead")
        raise CheckFailure(f"could not open dockerfile at relative path {dockerfile!r}")
    build["contextDigest"] = provider_context_digest(Path(cwd, context), resolved, cwd)
    build.setdefault("platform", HOST_PLATFORM)
    return checked


def pushed(checked: dict[str, Any]) -> dict[str, Any]:
    """The outputs after a build and push (dockerBuild): the inputs and the repoDigest."""
    outputs = dict(checked)
    name = str(checked["imageName"])
    digest = hashlib.sha256(f"{name}\0{checked['build']['contextDigest']}".encode()).hexdigest()
    outputs["repoDigest"] = f"{name.rsplit(':', 1)[0]}@sha256:{digest}"
    return outputs
