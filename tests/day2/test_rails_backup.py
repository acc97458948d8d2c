"""Day 2 of the database's backups (dev stack): what the next `pulumi up` does when
railsBackupRetentionDays or railsKeepDataOnDestroy change, and what `pulumi destroy`
leaves behind. The replacement rules of the backup resources are terraform-provider-aws's
(tests/harness/replacements.py: backup/vault.go, plan.go, selection.go)."""

from __future__ import annotations

import pytest

from tests.harness.day2 import evaluate_changed, next_up, replaced
from tests.harness.update_plan import ADD, DELETE, UPDATE

RETENTION = "dockyard:railsBackupRetentionDays"
KEEP = "dockyard:railsKeepDataOnDestroy"
PLAN_PARTS = {
    ("aws:backup/plan:Plan", "rails-db-backup-plan"),
    ("aws:backup/selection:Selection", "rails-db-backup-selection"),
    ("aws:iam/role:Role", "rails-db-backup-role"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "rails-db-backup-role-backup"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "rails-db-backup-role-restores"),
}


@pytest.mark.parametrize(("before", "after", "op"), [(0, 35, ADD), (35, 0, DELETE)])
def test_turning_backup_on_and_off_touches_only_the_plan(before: int, after: int, op: str) -> None:
    """Backup turned on (off): the plan, its selection and its role are added (deleted),
    and nothing else changes: no service, task definition, file system or vault is
    replaced or updated (the vault stays, with the backups already taken)."""
    changes = next_up({RETENTION: before}, {RETENTION: after})
    assert {(c.op, c.typ, c.name) for c in changes} == {(op, *part) for part in PLAN_PARTS}


def test_changing_retention_updates_the_plan_in_place() -> None:
    """A new retention is one in-place update of the plan's rule (only `name` forces a new
    plan); backups already taken keep the lifecycle they were made with."""
    changes = next_up({RETENTION: 35}, {RETENTION: 7})
    assert [(c.op, c.typ, c.name) for c in changes] == [
        (UPDATE, "aws:backup/plan:Plan", "rails-db-backup-plan")
    ]
    assert changes[0].inputs == ("rules[0].lifecycle.deleteAfter",)


@pytest.mark.parametrize(("before", "after"), [(True, False), (False, True)])
def test_switching_keep_data_replaces_nothing(before: bool, after: bool) -> None:
    """railsKeepDataOnDestroy switched: the vault's forceDestroy is updated in place and
    retainOnDelete changes in the state only; nothing is replaced or deleted."""
    changes = next_up({KEEP: before}, {KEEP: after})
    assert not replaced(changes)
    assert [(c.op, c.typ, c.inputs) for c in changes] == [
        (UPDATE, "aws:backup/vault:Vault", ("forceDestroy",))
    ]


@pytest.mark.parametrize("keep", [True, False])
def test_destroy_keeps_the_data_unless_told(keep: bool) -> None:
    """What `pulumi destroy` leaves: by default the file system and the backup vault (their
    retainOnDelete), and nothing else of flow 3; with railsKeepDataOnDestroy false,
    nothing, and the vault is deleted with its recovery points (forceDestroy)."""
    graph = evaluate_changed("dev", {KEEP: keep})
    kept = {
        (r.typ, r.name)
        for r in graph.resources
        if r.options.get("retainOnDelete") and r.name.startswith("rails-")
    }
    expected = {
        ("aws:efs/fileSystem:FileSystem", "rails-db-data"),
        ("aws:backup/vault:Vault", "rails-db-backup-vault"),
    }
    assert kept == (expected if keep else set())
    (vault,) = graph.of_type("aws:backup/vault:Vault")
    assert vault.inputs["forceDestroy"] is (not keep)
