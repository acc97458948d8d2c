"""railsSecretValues: the app's secrets given as Pulumi secret config values, each stored
by the stack in Secrets Manager (a secret and its version) for ECS to inject like the
ARNs of railsSecrets. The value stays a secret Output: the state keeps it encrypted, and
no output or task definition holds it (they hold the secret's ARN)."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws


def stored_secrets(
    name: str,
    where: str,
    values: Mapping[str, pulumi.Output[str]],
    tags: Mapping[str, str],
    parent: pulumi.Resource,
) -> dict[str, aws.secretsmanager.Secret]:
    """One Secrets Manager secret per variable, named `<where>/app-<NAME>-<suffix>`, by
    variable name."""
    child = pulumi.ResourceOptions(parent=parent)
    stored: dict[str, aws.secretsmanager.Secret] = {}
    for variable, value in sorted(values.items()):
        resource = f"{name}-app-secret-{variable}"
        secret = aws.secretsmanager.Secret(
            resource,
            name_prefix=f"{where}/app-{variable}-",
            description=f"{variable} of the Rails app (railsSecretValues)",
            recovery_window_in_days=7,
            tags=dict(tags),
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            resource, secret_id=secret.id, secret_string=value, opts=child
        )
        stored[variable] = secret
    return stored
