"""`python -m dockyard rails ...` with bad input, as a user runs it: exit 2, one line, no
traceback, before any AWS call (no credentials are set: a call would fail otherwise)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.harness import stacks
from tests.harness.tools import assert_bad_input, run_dockyard

CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/dev-dev"


def outputs(*, drop: str | None = None) -> dict[str, Any]:
    """The dev stack's outputs with an ECS cluster ARN (tests.harness.stacks)."""
    return stacks.rails_cli_outputs(CLUSTER_ARN, drop=drop)


@pytest.mark.parametrize(
    ("argv", "document", "dump", "words"),
    [
        (["run", "--", "bin/rails", "db:migrate"], {}, None,
         "the stack outputs have no railsTasks"),
        (["import-db", "dump.sql"], {"railsTasks": {}}, b"-- MariaDB dump\n",
         "the stack outputs have no railsClusterArn"),
        (["run", "--", "bin/rails", "db:migrate"], outputs(drop="webTaskDefinition"), None,
         "railsTasks has no webTaskDefinition"),
        (["import-db", "dump.sql"], outputs(drop="importTaskDefinition"), b"-- MariaDB dump\n",
         "railsTasks has no importTaskDefinition"),
        (["import-db", "dump.sql"], outputs(drop="importBucket"), b"-- MariaDB dump\n",
         "railsTasks has no importBucket"),
        (["import-db", "dump.sql"], outputs(), b"\x89PNG\r\n\x1a\n" + b"\xff" * 64,
         "dump.sql is not a SQL dump (not text)"),
        (["import-db", "dump.sql"], outputs(), b"name,amount\nA,1\n",
         "dump.sql is not a SQL dump (it starts 'name,amount')"),
        (["import-db", "dump.sql.gz"], outputs(), b"\x1f\x8b\x08\x00 cut short",
         "dump.sql.gz cannot be read as a dump"),
        (["import-db", "missing.sql"], outputs(), None, "missing.sql is not a file"),
        (["run"], outputs(), None, "say what to run"),
        (["status"], {}, None, "the stack outputs have no railsTasks"),
        (["logs", "db"], outputs(drop="logGroups"), None, "railsTasks has no logGroups"),
        (["logs", "--since", "yesterday"], outputs(), None, "is not a duration"),
        (["rollback"], {"railsTasks": {}}, None, "the stack outputs have no railsClusterArn"),
        (["maintenance", "on"], outputs(drop="webService"), None, "railsTasks has no webService"),
    ],
    ids=["run-no-outputs", "import-no-cluster", "run-no-task-definition",
         "import-no-task-definition", "import-no-bucket", "import-image", "import-csv",
         "import-broken-gzip", "import-no-file", "run-no-command", "status-no-outputs",
         "logs-no-groups", "logs-bad-since", "rollback-no-cluster", "maintenance-no-web"],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], document: dict[str, Any], dump: bytes | None, words: str, tmp_path: Path
) -> None:
    """Missing stack outputs, a missing task definition or bucket, and a file that is not
    a SQL dump: `dockyard: ...` on one line, exit 2, nothing on stdout (nothing uploaded:
    the upload would print its progress first)."""
    if dump is not None:
        (tmp_path / argv[1]).write_bytes(dump)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "HOME"
    }
    env |= {"HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"}
    proc = run_dockyard(["rails", *argv], json.dumps(document), tmp_path, env)
    assert_bad_input(proc, words)


@pytest.mark.parametrize(
    "groups", [{"db": "/dockyard/dev/rails"}, ["/dockyard/dev/rails"], {"web": 7}]
)
def test_a_log_group_the_outputs_lack_is_one_line(groups: object) -> None:
    """railsTasks.logGroups without the container's group (or not a map of names) is a
    UsageError naming it, not a KeyError after the task ran."""
    from dockyard.errors import UsageError
    from dockyard.rails.outputs import RailsTasks
    from dockyard.rails.tasks import Target

    tasks = RailsTasks.from_output({"logGroups": groups})
    where = Target(cluster="c", region="us-east-1", tasks=tasks)
    with pytest.raises(UsageError, match=r"railsTasks\.logGroups has no web log group"):
        where.log_group("web")


@pytest.mark.parametrize(
    ("argv", "handler"),
    [
        (["exec"], "exec_"),
        (["run", "--", "true"], "run"),
        (["import-db", "d.sql"], "import_db"),
        (["logs"], "logs"),
        (["status"], "status"),
        (["rollback", "3"], "rollback"),
        (["maintenance", "on"], "maintenance"),
    ],
)
def test_each_action_has_its_own_handler(argv: list[str], handler: str) -> None:
    """Each `rails` action's parser sets its own function (no dispatch on the action's
    name inside one `run`)."""
    from dockyard.cli import build_parser
    from dockyard.commands import rails

    assert build_parser().parse_args(["rails", *argv]).func is getattr(rails, handler)
