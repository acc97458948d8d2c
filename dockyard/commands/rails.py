"""`dockyard rails exec|run|import-db|export-db|logs|status|rollback|maintenance`: a
console in the running app, one-off tasks, a mysqldump into the app's database and a dump
out of it, and operating the Rails flow's ECS services (docs/rails-operations.md).

    pulumi stack output --json --show-secrets | dockyard rails run -- bin/rails db:migrate
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from dockyard.commands import FROM_OUTPUTS, Subparsers, add_stack_option, stack_outputs
from dockyard.errors import UsageError
from dockyard.rails import export as rails_export
from dockyard.rails import logs as rails_logs
from dockyard.rails import maintenance as rails_maintenance
from dockyard.rails import rollback as rails_rollback
from dockyard.rails import status as rails_status
from dockyard.rails import tasks as rails_tasks


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "rails",
        help="console, one-off tasks, dumps, logs, status, rollback, maintenance (Rails on ECS)",
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
    operations = _operations(sub)
    for child, func in (
        (exec_parser, exec_),
        (run_parser, run),
        (import_parser, import_db),
        *operations,
    ):
        add_stack_option(child)
        child.set_defaults(func=func)
    _register_export(sub)


def _operations(sub: Any) -> list[tuple[argparse.ArgumentParser, Any]]:
    """The parsers of logs, status, rollback and maintenance (docs/rails-operations.md)."""
    logs_parser = sub.add_parser(
        "logs",
        help="the app's CloudWatch logs: web, db or one task, several streams in one view",
        description=(
            "Print the log lines of the web tasks, the database's, or one task (its id or "
            "ARN) from the stack's log groups, merged by time, each naming its container "
            "and task."
        ),
    )
    logs_parser.add_argument(
        "which", nargs="?", default="web", metavar="web|db|TASK", help="default: web"
    )
    logs_parser.add_argument("--follow", "-f", action="store_true", help="go on until Ctrl-C")
    logs_parser.add_argument(
        "--since",
        metavar="DURATION",
        help="how far back (30s, 10m, 2h, 7d); default 10m for web and db, a task's whole "
        "stream for TASK and --previous",
    )
    logs_parser.add_argument("--grep", metavar="RE", help="only lines matching RE (Python re)")
    logs_parser.add_argument(
        "--previous", action="store_true", help="the service's previous (stopped) task"
    )
    status_parser = sub.add_parser(
        "status",
        help="services, deployments, tasks, target health, alarms, revisions",
        description="Show the Rails flow's services as ECS, the load balancer and CloudWatch "
        "see them, and the web revisions one can roll back to.",
    )
    rollback_parser = sub.add_parser(
        "rollback",
        help="point the web service at an earlier revision or image digest, and wait",
        description=(
            "Update the web service to REVISION (a number, family:N, a task definition ARN, "
            "or an image digest sha256:...; default the previous revision) and wait until "
            "it is stable. Pulumi's state keeps the program's revision: see "
            "docs/rails-operations.md for what the next pulumi up does."
        ),
    )
    rollback_parser.add_argument("revision", nargs="?", metavar="REVISION")
    rollback_parser.add_argument(
        "--timeout", type=int, default=rails_rollback.WAIT_SECONDS, help="seconds to wait"
    )
    maintenance_parser = sub.add_parser(
        "maintenance",
        help="on: the load balancer answers 503 with a short page; off: the app again",
        description="Add (on) or remove (off) the load balancer rule that answers every "
        "request with 503 and a maintenance page; no redeploy.",
    )
    maintenance_parser.add_argument("state", choices=("on", "off"))
    return [
        (logs_parser, logs),
        (status_parser, status),
        (rollback_parser, rollback),
        (maintenance_parser, maintenance),
    ]


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


def _flushed(line: str) -> None:
    """A followed line, out at once even into a pipe (`rails logs -f | grep ...`)."""
    print(line, flush=True)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def logs(args: argparse.Namespace) -> int:
    """`rails logs [web|db|TASK] [--follow] [--since D] [--grep RE] [--previous]`: 0."""
    import time

    one_task = args.previous or args.which not in rails_logs.SERVICE_STREAMS
    since = args.since or (None if one_task else rails_logs.DEFAULT_SINCE)
    seconds = None if since is None else rails_logs.since_seconds(since)
    pattern = rails_logs.grep_pattern(args.grep)
    rails_logs.check_which(args.which, previous=args.previous)
    where = _target(args)
    ecs, cloudwatch_logs = rails_tasks.client("ecs", where), rails_tasks.client("logs", where)
    chosen = rails_logs.sources(ecs, cloudwatch_logs, where, args.which, previous=args.previous)
    # one task's stream: all of it (what it printed since it started)
    start_ms = 0 if seconds is None else int((time.time() - seconds) * 1000)
    if args.follow:
        rails_logs.follow(cloudwatch_logs, where, chosen, start_ms, pattern, _flushed)
    else:
        rails_logs.show(cloudwatch_logs, where, chosen, start_ms, pattern, print, _stderr)
    return 0


def status(args: argparse.Namespace) -> int:
    """`rails status`: 0."""
    where = _target(args)
    clients = {name: rails_tasks.client(name, where) for name in ("ecs", "elbv2", "cloudwatch")}
    for line in rails_status.render(rails_status.collect(clients, where)):
        print(line)
    return 0


def rollback(args: argparse.Namespace) -> int:
    """`rails rollback [REVISION] [--timeout S]`: 0 once the service is stable."""
    if not 1 <= args.timeout <= 3600:
        raise UsageError(f"--timeout {args.timeout} is out of range: give 1 to 3600 seconds")
    where = _target(args)
    ecs = rails_tasks.client("ecs", where)
    return rails_rollback.rollback(ecs, where, args.revision, print, wait_seconds=args.timeout)


def maintenance(args: argparse.Namespace) -> int:
    """`rails maintenance on|off`: 0."""
    where = _target(args)
    ecs, elbv2 = rails_tasks.client("ecs", where), rails_tasks.client("elbv2", where)
    return rails_maintenance.switch(ecs, elbv2, where, args.state == "on", print)


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
