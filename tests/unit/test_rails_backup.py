"""The database's backup plan: the rule is what AWS Backup's CreateBackupPlan accepts
(botocore's model), and the flow wires the plan to the file system."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.validate import ParamValidator

from dockyard.rails import backup
from tests.harness.pulumi_program import config_error, evaluate

RAILS_ON = {"dockyard:rails": "true", "dockyard:dockerHosts": "false"}


def _create_plan_errors(rule: dict[str, object], name: str) -> str:
    model = botocore.session.get_session().get_service_model("backup")
    shape = model.operation_model("CreateBackupPlan").input_shape
    params = {"BackupPlan": {"BackupPlanName": backup.plan_name(name), "Rules": [rule]}}
    return ParamValidator().validate(params, shape).generate_report()


@pytest.mark.parametrize(
    ("prefix", "stack"), [("dockyard", "dev"), ("my.prefix", "prod/eu"), ("x" * 60, "s")]
)
def test_rule_and_vault_name_valid_for_aws_backup(prefix: str, stack: str) -> None:
    """Any prefix and stack give a vault name AWS Backup accepts (the provider's pattern
    and length) and a rule botocore's CreateBackupPlan model validates."""
    name = backup.vault_name(prefix, stack)
    assert 2 <= len(name) <= 50 and all(c.isalnum() or c in "-_" for c in name)
    # the plan's name is 1-50 too (AWS Backup API reference; botocore has no pattern)
    assert 1 <= len(backup.plan_name(name)) <= 50
    assert _create_plan_errors(backup.daily_rule(name, 35), name) == ""


def test_model_check_can_fail() -> None:
    """The botocore check finds a wrong rule (a string where minutes go)."""
    rule = {**backup.daily_rule("v", 1), "StartWindowMinutes": "60"}
    assert "StartWindowMinutes" in _create_plan_errors(rule, "v")


def test_plan_backs_up_the_db_file_system_daily() -> None:
    """The selection names the database's file system; the rule runs daily and keeps
    each backup railsBackupRetentionDays days, in the stack's vault."""
    evaluation = evaluate({**RAILS_ON, "dockyard:railsBackupRetentionDays": "14"})
    (fs,) = evaluation.of_type("aws:efs/fileSystem:FileSystem")
    (selection,) = evaluation.of_type("aws:backup/selection:Selection")
    assert selection.dependencies["resources"] == [fs.urn]
    assert selection.inputs["resources"] == [f"arn:aws:mock:us-east-1:123456789012:{fs.name}"]
    (plan,) = evaluation.of_type("aws:backup/plan:Plan")
    (rule,) = plan.inputs["rules"]
    (vault,) = evaluation.of_type("aws:backup/vault:Vault")
    assert rule["targetVaultName"] == vault.inputs["name"]
    assert (rule["schedule"], rule["lifecycle"]) == (backup.DAILY, {"deleteAfter": 14})
    (role,) = [r for r in evaluation.of_type("aws:iam/role:Role") if "backup" in r.name]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": backup.BACKUP_SERVICE}
    assert selection.dependencies["iamRoleArn"] == [role.urn]


def test_no_plan_at_zero_retention() -> None:
    """railsBackupRetentionDays 0: no plan and no selection, the vault stays."""
    evaluation = evaluate({**RAILS_ON, "dockyard:railsBackupRetentionDays": "0"})
    assert not evaluation.of_type("aws:backup/plan:Plan")
    assert not evaluation.of_type("aws:backup/selection:Selection")
    assert len(evaluation.of_type("aws:backup/vault:Vault")) == 1


def test_negative_retention_refused() -> None:
    """A negative retention is a config error naming the key."""
    config_error(
        lambda: evaluate({**RAILS_ON, "dockyard:railsBackupRetentionDays": "-1"}),
        "dockyard:railsBackupRetentionDays",
        "at least 0",
    )
