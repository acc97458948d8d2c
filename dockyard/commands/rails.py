"""`dockyard rails exec|run|import-db|export-db`: a console in the running app, one-off
tasks, a mysqldump into the app's database and a dump out of it, on the Rails flow's ECS
services.

    pulumi stack output --json --show-secrets | dockyard rails run -- bin/rails db:migrate
"""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from dockyard.commands import FROM_OUTPUTS, Subparsers, add_stack_option, stack_outputs
from dockyard.errors import UsageError
from dockyard.rails import export as rails_export
from dockyard.rails import tasks as rails_tasks


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "rails",
        help="console, one-off tasks and dump imports on the Rails app (ECS)",
        description=f"Work on the Rails flow's ECS services. {FROM_OUTPUTS}",
    )
    sub = parser.add_subparsers(dest="rails_command", metavar="ACTION", required=True)
    exec_parser = sub.add_parser(
        "exec",
        help="an interactive command in a running web task (ECS Exec)",
        description=(
            "Run CMD (default: bin/rails console) in a running web task with `aws ecs "
            "execute-command`; needs the AWS CLI and AWS's session-manager-plugin."
        ),
    )
    exec_parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD (default console)")
    run_parser = sub.add_parser(
        "run",
        help="a one-off task from the web task definition (e.g. -- bin/rails db:migrate)",
        description=(
            "Start a task from the web task definition with CMD, wait for it, print its exit "
            "code and the end of its log; exits with the task's exit code."
        ),
    )
    run_parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- CMD")
    import_parser = sub.add_parser(
        "import-db",
        help="load a mysqldump (.sql or .sql.gz) into the app's database",
        description=(
            "Upload DUMP to the stack's private import bucket, load it with the database "
            "image's client in a one-off task, and remove it. A database that holds data is "
            "refused unless --replace."
        ),
    )
    import_parser.add_argument("dump", type=Path, help="DUMP.sql or DUMP.sql.gz")
    import_parser.add_argument(
        "--replace", action="store_true", help="drop and recreate a database that holds data"
    )
    for child, func in ((exec_parser, exec_), (run_parser, run), (import_parser, import_db)):
        add_stack_option(child)
        child.set_defaults(func=func)
    _register_export(sub)


def _command(words: list[str]) -> list[str]:
    return words[1:] if words[:1] == ["--"] else words


def _target(args: argparse.Namespace) -> rails_tasks.Target:
    return rails_tasks.target(stack_outputs(args, f"rails {args.rails_command}"))


def exec_(args: argparse.Namespace) -> int:
    """`rails exec [-- CMD]`: replaces this process with `aws ecs execute-command`."""
    where = _target(args)
    line = shlex.join(_command(args.cmd)) or rails_tasks.DEFAULT_EXEC_COMMAND
    task = rails_tasks.running_task(rails_tasks.client("ecs", where), where, "webService")
    argv = rails_tasks.exec_argv(where, str(task["taskArn"]), line)
    os.execv(argv[0], argv)  # noqa: S606 - the AWS CLI, found on PATH


def run(args: argparse.Namespace) -> int:
    """`rails run -- CMD`: the one-off task's exit code."""
    where = _target(args)
    command = _command(args.cmd)
    if not command:
        raise UsageError("say what to run: dockyard rails run -- bin/rails db:migrate")
    where.require(*rails_tasks.RUN_KEYS)
    ecs = rails_tasks.client("ecs", where)
    database = rails_tasks.private_address(rails_tasks.running_task(ecs, where, "dbService"))
    params = rails_tasks.run_task_params(
        where,
        "webTaskDefinition",
        "webContainer",
        command,
        {"APPDB_PORT_3306_TCP_ADDR": database},
    )
    logs = rails_tasks.client("logs", where)
    return rails_tasks.run_one_off(ecs, logs, where, params, where.log_group("web"), "web", print)


def import_db(args: argparse.Namespace) -> int:
    """`rails import-db DUMP [--replace]`: the loader task's exit code."""
    where = _target(args)
    return rails_tasks.import_dump(
        rails_tasks.client("s3", where),
        rails_tasks.client("ecs", where),
        rails_tasks.client("logs", where),
        where,
        args.dump,
        replace=args.replace,
        echo=print,
    )


def _register_export(sub: Subparsers) -> None:
    parser = sub.add_parser(
        "export-db",
        help="a consistent dump of the app's database to a local file or S3",
        description=(
            "Dump the app's database (mariadb-dump --single-transaction, gzip) with the "
            "loader's one-off task to DEST: a new local FILE.sql or FILE.sql.gz (through the "
            "stack's import bucket, removed after), or s3://BUCKET/KEY.sql.gz. import-db "
            "loads it back."
        ),
    )
    parser.add_argument("dest", metavar="DEST", help="FILE.sql[.gz] or s3://BUCKET/KEY.sql.gz")
    add_stack_option(parser)
    parser.set_defaults(func=export_db)


def export_db(args: argparse.Namespace) -> int:
    """`rails export-db DEST`: the dump task's exit code."""
    dest = rails_export.destination(args.dest)
    where = _target(args)
    return rails_export.export_dump(
        rails_tasks.client("s3", where),
        rails_tasks.client("ecs", where),
        rails_tasks.client("logs", where),
        where,
        dest,
        echo=print,
    )
