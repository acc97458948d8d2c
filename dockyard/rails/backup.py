"""AWS Backup of the database's EFS file system, as plain data (no pulumi).

The rule is an AWS Backup `BackupRuleInput` (CreateBackupPlan's shape, checked against
botocore's model in the tests); components/rails/backup.py hands it to the provider.
"""

from __future__ import annotations

import re
from typing import Any

BACKUP_SERVICE = "backup.amazonaws.com"
BACKUP_POLICIES = (
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
)
"""AWS's managed policies for the role AWS Backup takes (back up, and restore)."""
DAILY = "cron(0 3 * * ? *)"
"""Every day at 03:00 UTC (the plan's timezone is Etc/UTC unless set)."""
START_WINDOW_MINUTES = 60
COMPLETION_WINDOW_MINUTES = 24 * 60


def vault_name(prefix: str, stack: str) -> str:
    """The backup vault's name: `<prefix>-<stack>-appdb`, in the characters AWS Backup
    accepts (letters, digits, hyphens, underscores; 2-50)."""
    name = re.sub(r"[^A-Za-z0-9_-]", "-", f"{prefix}-{stack}-appdb")
    return name[-50:]


def plan_name(vault: str) -> str:
    """The daily plan's name: the vault's and `-daily`, within the plan name's 50
    characters (the vault's may use all 50)."""
    suffix = "-daily"
    return vault[-(50 - len(suffix)) :] + suffix


def daily_rule(vault: str, retention_days: int) -> dict[str, Any]:
    """A daily backup into `vault`, each kept `retention_days` days."""
    if retention_days < 1:
        raise ValueError(f"retention_days must be at least 1 (got {retention_days})")
    return {
        "RuleName": "daily",
        "TargetBackupVaultName": vault,
        "ScheduleExpression": DAILY,
        "StartWindowMinutes": START_WINDOW_MINUTES,
        "CompletionWindowMinutes": COMPLETION_WINDOW_MINUTES,
        "Lifecycle": {"DeleteAfterDays": retention_days},
    }
