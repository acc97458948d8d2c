"""`dockyard rails logs`: the Rails flow's CloudWatch Logs, several streams in one view.

The containers log through the awslogs driver into the stack's two log groups
(`railsTasks.logGroups`: `web` and `db`), one stream per task and container, named
`PREFIX/CONTAINER/TASK_ID` (`web/app/...`, `appdb/appdb/...`, the dump loader's
`import/import/...` in the db group). A view is one or more sources (a group and a
stream-name prefix, or exact streams), read with FilterLogEvents page by page, merged by
time, each line naming its container and task. Messages are printed with their control
characters escaped (dockyard.terminal): a log line is text from outside.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dockyard.errors import UsageError
from dockyard.rails import ecs as rails_ecs
from dockyard.rails.tasks import Target, aws_errors
from dockyard.terminal import printable

MAX_EVENTS = 10000
"""Events one view prints at most, the newest (narrow it with --since or --grep)."""
FOLLOW_SECONDS = 2.0
"""--follow polls this often."""
LATE_MS = 10_000
"""--follow reads back this far before the newest event it printed: CloudWatch may
ingest an event after a later one (each is printed once, by its eventId)."""
SINCE_MAX_SECONDS = 60 * 60 * 24 * 90
DEFAULT_SINCE = "10m"
"""How far back `rails logs web|db` reads unless --since says."""
PAGE_EVENTS = 10000
"""FilterLogEvents' page size (the API's maximum)."""

_SINCE = re.compile(r"([1-9][0-9]{0,6})([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TASK_ID = re.compile(r"[0-9a-f]{32}")
_TASK_ARN = re.compile(
    r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task/[A-Za-z0-9_-]{1,255}/([0-9a-f]{32})"
)

SERVICE_STREAMS = {
    "web": ("web", f"web/{rails_ecs.APP_CONTAINER}/"),
    "db": ("db", f"appdb/{rails_ecs.DB_CONTAINER}/"),
}
"""web|db -> (its railsTasks.logGroups key, its tasks' stream-name prefix)."""
TASK_STREAMS = (
    *SERVICE_STREAMS.values(),
    ("db", f"import/{rails_ecs.IMPORT_CONTAINER}/"),
)
"""Where a task's stream may be: a web task (the service's or a one-off `rails run`), the
database's, or the dump loader's."""
SERVICE_KEYS = {"web": "webService", "db": "dbService"}

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Source:
    """Streams of one log group: those named with `prefix`, or exactly `streams`."""

    group: str
    prefix: str | None = None
    streams: tuple[str, ...] = ()

    def params(self) -> dict[str, Any]:
        """FilterLogEvents' parameters naming the group and the streams."""
        if self.streams:
            return {"logGroupName": self.group, "logStreamNames": list(self.streams)}
        return {"logGroupName": self.group, "logStreamNamePrefix": self.prefix}


def since_seconds(text: str) -> int:
    """`10m`, `2h`, `30s`, `7d` in seconds (at most 90 days), or UsageError."""
    match = _SINCE.fullmatch(text)
    seconds = int(match[1]) * _SECONDS[match[2]] if match else 0
    if not match or seconds > SINCE_MAX_SECONDS:
        raise UsageError(
            f"--since {text!r} is not a duration: give a number and s, m, h or d "
            "(e.g. 10m, 2h, 7d; at most 90d)"
        )
    return seconds


def grep_pattern(text: str | None) -> re.Pattern[str] | None:
    """--grep's regular expression (Python syntax), or UsageError naming the mistake."""
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as err:
        raise UsageError(f"--grep {text!r} is not a regular expression: {err}") from None


def task_id(text: str) -> str | None:
    """The 32-hex task id of a task id or an ECS task ARN; None for anything else."""
    if _TASK_ID.fullmatch(text):
        return text
    match = _TASK_ARN.fullmatch(text)
    return match[1] if match else None


def check_which(which: str, *, previous: bool) -> None:
    """web, db or a task (id or ARN), and --previous only with web or db: else UsageError."""
    if which in SERVICE_STREAMS:
        return
    if task_id(which) is None:
        raise UsageError(
            f"{which!r} is neither web, db nor an ECS task id (32 hex digits) or task ARN: "
            "give one of those (dockyard rails status lists the tasks)"
        )
    if previous:
        raise UsageError("--previous goes with web or db (the service's stopped task), not a task")


def _stream_exists(logs: Any, group: str, name: str) -> bool:
    found = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=name, limit=5)
    return any(s.get("logStreamName") == name for s in found.get("logStreams", []))


def task_sources(logs: Any, where: Target, tid: str) -> list[Source]:
    """The streams of task `tid` (a web, database or loader task), or UsageError."""
    found = []
    for key, prefix in TASK_STREAMS:
        group = where.log_group(key)
        if _stream_exists(logs, group, prefix + tid):
            found.append(Source(group=group, streams=(prefix + tid,)))
    if not found:
        raise UsageError(
            f"no log stream of task {tid} in the stack's log groups (ECS writes one when the "
            "task's container starts; logs are kept railsLogRetentionDays days)"
        )
    return found


def previous_task(ecs: Any, where: Target, which: str) -> str:
    """The id of the service's most recently stopped task (ECS keeps them about an hour)."""
    service = str(where.tasks.need(SERVICE_KEYS[which]))
    arns = ecs.list_tasks(cluster=where.cluster, serviceName=service, desiredStatus="STOPPED")[
        "taskArns"
    ]
    tasks = ecs.describe_tasks(cluster=where.cluster, tasks=arns[:100])["tasks"] if arns else []
    # the service's own tasks (a one-off task of the same definition is not its previous task)
    mine = [t for t in tasks if t.get("group") == f"service:{service}"]
    if not mine:
        raise UsageError(
            f"service {service} has no stopped task that ECS still lists (it keeps them about "
            f"an hour): see older logs with dockyard rails logs {which} --since 1d"
        )
    newest = max(mine, key=lambda t: t.get("stoppedAt") or t.get("createdAt") or 0)
    return str(newest["taskArn"]).rsplit("/", 1)[-1]


def sources(ecs: Any, logs: Any, where: Target, which: str, *, previous: bool) -> list[Source]:
    """What `rails logs WHICH [--previous]` reads."""
    check_which(which, previous=previous)
    with aws_errors(where):
        if which not in SERVICE_STREAMS:
            return task_sources(logs, where, str(task_id(which)))
        key, prefix = SERVICE_STREAMS[which]
        if previous:
            stream = prefix + previous_task(ecs, where, which)
            return [Source(group=where.log_group(key), streams=(stream,))]
        return [Source(group=where.log_group(key), prefix=prefix)]


def events(logs: Any, source: Source, start_ms: int) -> Iterator[dict[str, Any]]:
    """FilterLogEvents from `start_ms` on, every page (a page may be empty but go on)."""
    paginator = logs.get_paginator("filter_log_events")
    for page in paginator.paginate(**source.params(), startTime=start_ms, limit=PAGE_EVENTS):
        yield from page.get("events", [])


def line(event: dict[str, Any]) -> str:
    """`TIME CONTAINER/TASK_ID | MESSAGE`, every part terminal-safe."""
    when = datetime.fromtimestamp(int(event["timestamp"]) / 1000, tz=UTC)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    # PREFIX/CONTAINER/TASK_ID: name the container and the task
    label = "/".join(str(event.get("logStreamName", "?")).split("/")[1:]) or "?"
    message = str(event.get("message", "")).rstrip("\n")
    return f"{stamp} {printable(label)} | {printable(message)}"


def _matching(
    batch: Iterable[dict[str, Any]], pattern: re.Pattern[str] | None
) -> list[dict[str, Any]]:
    chosen = [e for e in batch if pattern is None or pattern.search(str(e.get("message", "")))]
    return sorted(chosen, key=lambda e: (int(e["timestamp"]), str(e.get("eventId", ""))))


def show(
    logs: Any,
    where: Target,
    chosen: list[Source],
    start_ms: int,
    pattern: re.Pattern[str] | None,
    echo: Echo,
    warn: Echo,
) -> int:
    """Print the sources' events from `start_ms` on, merged by time, the newest MAX_EVENTS
    of them at most (as `tail` does); how many matched."""
    kept: list[dict[str, Any]] = []
    matched = 0
    with aws_errors(where):
        for source in chosen:
            newest: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS)
            for event in events(logs, source, start_ms):
                if pattern is None or pattern.search(str(event.get("message", ""))):
                    newest.append(event)
                    matched += 1
            kept.extend(newest)
    for event in _matching(kept, None)[-MAX_EVENTS:]:
        echo(line(event))
    if matched > MAX_EVENTS:
        warn(f"showed the last {MAX_EVENTS} of {matched} lines: narrow with --since or --grep")
    return matched


def follow(
    logs: Any,
    where: Target,
    chosen: list[Source],
    start_ms: int,
    pattern: re.Pattern[str] | None,
    echo: Echo,
    *,
    interval: float = FOLLOW_SECONDS,
    polls: int | None = None,
) -> None:
    """Print new events as they arrive, every `interval` seconds, until Ctrl-C (or `polls`
    polls); an event ingested late is still printed, and each event once."""
    seen: dict[str, int] = {}
    newest = start_ms
    done = 0
    while polls is None or done < polls:
        batch: list[dict[str, Any]] = []
        with aws_errors(where):
            for source in chosen:
                batch.extend(events(logs, source, max(start_ms, newest - LATE_MS)))
        for event in _matching(batch, pattern):
            event_id = str(event.get("eventId") or (event["timestamp"], event.get("message")))
            if event_id not in seen:
                seen[event_id] = int(event["timestamp"])
                echo(line(event))
        newest = max([newest, *seen.values()])
        seen = {k: ts for k, ts in seen.items() if ts >= newest - LATE_MS}
        done += 1
        if polls is None or done < polls:
            time.sleep(interval)
