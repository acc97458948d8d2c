"""The database's backups: an AWS Backup vault, and a daily plan over the EFS file system.

The vault is there whether or not the plan is (railsBackupRetentionDays 0 removes only
the plan, its selection and its role), so turning backup off keeps the backups already
taken until they expire, and turning it on again finds its vault. With
railsKeepDataOnDestroy (the default) `pulumi destroy` leaves the vault in the account
(retainOnDelete); without it the vault is deleted with its recovery points (forceDestroy).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

import pulumi
import pulumi_aws as aws

from components.config.rails import RailsConfig
from components.shared.ecs_roles import service_trust
from dockyard.rails import backup as b


class DbBackupArgs(TypedDict):
    """What the backups are of, and named after."""

    name_prefix: str
    """Prefix of the vault's name."""
    file_system: aws.efs.FileSystem
    """The database's EFS file system."""
    tags: Mapping[str, str]
    """Tags for every taggable resource."""


class DbBackup(pulumi.ComponentResource):
    """The vault (always) and the daily plan (unless railsBackupRetentionDays is 0)."""

    vault_name: pulumi.Output[str]
    plan_id: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        cfg: RailsConfig,
        args: DbBackupArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("dockyard:rails_backup:DbBackup", name, None, opts)
        tags = dict(args["tags"])
        vault = aws.backup.Vault(
            f"{name}-vault",
            name=b.vault_name(args["name_prefix"], pulumi.get_stack()),
            force_destroy=not cfg.keep_data_on_destroy,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=cfg.keep_data_on_destroy),
        )
        self.vault_name = vault.name
        self.plan_id = None
        if cfg.backup_retention_days:
            self.plan_id = self._plan(name, cfg, vault, args["file_system"], tags)
        self.register_outputs({"vaultName": self.vault_name, "planId": self.plan_id})

    def _plan(
        self,
        name: str,
        cfg: RailsConfig,
        vault: aws.backup.Vault,
        file_system: aws.efs.FileSystem,
        tags: dict[str, str],
    ) -> pulumi.Output[str]:
        """The daily plan, its role (AWS's managed backup and restore policies) and the
        selection of the file system."""
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=service_trust(b.BACKUP_SERVICE, self),
            tags=tags,
            opts=child,
        )
        for suffix, policy_arn in zip(("backup", "restores"), b.BACKUP_POLICIES, strict=True):
            aws.iam.RolePolicyAttachment(
                f"{name}-role-{suffix}", role=role.name, policy_arn=policy_arn, opts=child
            )
        rule = vault.name.apply(lambda v: b.daily_rule(v, cfg.backup_retention_days))
        plan = aws.backup.Plan(
            f"{name}-plan",
            name=vault.name.apply(b.plan_name),
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name=rule["RuleName"],
                    target_vault_name=rule["TargetBackupVaultName"],
                    schedule=rule["ScheduleExpression"],
                    start_window=rule["StartWindowMinutes"],
                    completion_window=rule["CompletionWindowMinutes"],
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(
                        delete_after=rule["Lifecycle"]["DeleteAfterDays"]
                    ),
                )
            ],
            tags=tags,
            opts=child,
        )
        aws.backup.Selection(
            f"{name}-selection",
            name="appdb-data",
            plan_id=plan.id,
            iam_role_arn=role.arn,
            resources=[file_system.arn],
            opts=child,
        )
        return plan.id
