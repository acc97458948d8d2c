"""`dockyard rails logs|status|rollback|maintenance` against moto server: every call is a
real HTTP request to an ECS / CloudWatch Logs / ELBv2 / CloudWatch emulator, boto3
validating each request against botocore's model before it is sent. The commands run as
a user runs them (`python -m dockyard`, the stack outputs piped in, AWS_ENDPOINT_URL
pointing at moto); where a function's behaviour needs a knob (the page size), in-process.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from dockyard.rails import ecs as rails_ecs
from dockyard.rails import logs as rails_logs
from dockyard.rails import maintenance as rails_maintenance
from dockyard.rails import tasks as rt
from tests.harness.botocore_model import ecs_input_errors
from tests.harness.moto import MotoServer
from tests.harness.tools import assert_bad_input, run_dockyard

pytestmark = pytest.mark.integration

LOGS = {"web": "/dockyard/demo/web", "db": "/dockyard/demo/appdb"}
HOSTILE = "boom \x1b]0;pwned\x07\x1b[2J\u202eevil"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:pw"


def _definition(ecs: Any, image: str) -> str:
    logs = rails_ecs.Logs(group=LOGS["web"], region="us-east-1", stream_prefix="web")
    limits = rails_ecs.Limits(cpu=256, memory=512)
    container = rails_ecs.web_container(
        image=image,
        app_password_secret_arn=SECRET,
        secret_key_base_arn=SECRET,
        logs=logs,
        limits=limits,
        db_wait_timeout=120,
    )
    request = rails_ecs.task_definition(
        family="demo-web",
        containers=[container],
        limits=limits,
        execution_role_arn="arn:aws:iam::123456789012:role/exec",
        fargate=True,
    )
    return str(ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"])


def stack(moto: MotoServer) -> dict[str, Any]:
    """A cluster with the web (behind an ALB listener on 80) and appdb services, three web
    revisions (images web:1..3, the service on the third) and the two log groups; the
    outputs document naming them. moto's services start no tasks and never count one
    running, so the web service wants 0 tasks (the services_stable waiter can succeed)."""
    ec2, ecs, elbv2 = moto.client("ec2"), moto.client("ecs"), moto.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((1, "us-east-1a"), (2, "us-east-1b"))
    ]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    cluster = ecs.create_cluster(clusterName="demo")["cluster"]["clusterArn"]
    revisions = [
        _definition(ecs, f"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:{n}") for n in (1, 2, 3)
    ]
    balancer = elbv2.create_load_balancer(Name="demo", Subnets=subnets, SecurityGroups=[group])[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    target_group = elbv2.create_target_group(
        Name="demo-web", Protocol="HTTP", Port=3000, VpcId=vpc, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=balancer,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
    )
    elbv2.register_targets(TargetGroupArn=target_group, Targets=[{"Id": "10.0.1.10", "Port": 3000}])
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}}
    for name, count in (("web", 0), ("appdb", 1)):
        ecs.create_service(
            cluster="demo",
            serviceName=name,
            taskDefinition=revisions[-1],
            desiredCount=count,
            launchType="FARGATE",
            networkConfiguration=network,
            loadBalancers=(
                [{"targetGroupArn": target_group, "containerName": "app", "containerPort": 3000}]
                if name == "web"
                else []
            ),
        )
    for group_name in LOGS.values():
        moto.client("logs").create_log_group(logGroupName=group_name)
    return {
        "railsClusterArn": cluster,
        "railsTasks": {
            "webService": "web",
            "dbService": "appdb",
            "webTaskDefinition": revisions[-1],
            "webContainer": "app",
            "logGroups": LOGS,
            "subnets": subnets,
            "securityGroups": [group],
            "capacityProvider": "FARGATE",
        },
        "_network": network,
    }


def put_lines(moto: MotoServer, group: str, stream: str, lines: list[tuple[int, str]]) -> None:
    """Write `lines` ((ms ago, message)) to a stream, as the awslogs driver would."""
    logs = moto.client("logs")
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now - ago, "message": m} for ago, m in lines]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def dockyard(moto: MotoServer, argv: list[str], outputs: dict[str, Any], cwd: Path) -> Any:
    env = {**moto.env, "AWS_ENDPOINT_URL": moto.endpoint, "HOME": str(cwd)}
    document = {k: v for k, v in outputs.items() if not k.startswith("_")}
    return run_dockyard(["rails", *argv], json.dumps(document), cwd, env)


TASK_A, TASK_B, TASK_DB = "a" * 32, "b" * 32, "c" * 32


def test_logs_interleave_streams_naming_each_task(moto_server: MotoServer, tmp_path: Path) -> None:
    """`rails logs` (web): both web tasks' streams merged by time, each line naming its
    container and task; the database's stream is not in the web view; a hostile message's
    escape sequences and bidi override are printed escaped."""
    outputs = stack(moto_server)
    put_lines(moto_server, LOGS["web"], f"web/app/{TASK_A}", [(3000, "a first"), (1000, "a third")])
    put_lines(moto_server, LOGS["web"], f"web/app/{TASK_B}", [(2000, "b second"), (500, HOSTILE)])
    put_lines(moto_server, LOGS["db"], f"appdb/appdb/{TASK_DB}", [(1500, "db line")])
    proc = dockyard(moto_server, ["logs"], outputs, tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(" | ", 1)[1] for line in lines][:3] == ["a first", "b second", "a third"]
    assert [line.split(" ")[1] for line in lines] == [
        f"app/{TASK_A}", f"app/{TASK_B}", f"app/{TASK_A}", f"app/{TASK_B}"
    ]  # fmt: skip
    assert "\x1b" not in proc.stdout and "\u202e" not in proc.stdout and "\x07" not in proc.stdout
    assert lines[-1].endswith("boom \\x1b]0;pwned\\x07\\x1b[2J\\u202eevil")
    assert "db line" not in proc.stdout


def test_logs_of_db_grep_and_since(moto_server: MotoServer, tmp_path: Path) -> None:
    """`rails logs db --grep RE --since 2s`: the database's stream only, lines matching RE,
    none older than 2 s."""
    outputs = stack(moto_server)
    lines = [(60_000, "ERROR old"), (1000, "ERROR new"), (900, "ok new")]
    put_lines(moto_server, LOGS["db"], f"appdb/appdb/{TASK_DB}", lines)
    proc = dockyard(
        moto_server, ["logs", "db", "--grep", "^ERR", "--since", "5s"], outputs, tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert [line.split(" | ", 1)[1] for line in proc.stdout.splitlines()] == ["ERROR new"]
    assert f"appdb/{TASK_DB}" in proc.stdout


def test_logs_of_one_task_by_id_or_arn(moto_server: MotoServer, tmp_path: Path) -> None:
    """`rails logs TASK`: that task's stream only, found in whichever group holds it (a web
    task by id, the database's by its ARN)."""
    outputs = stack(moto_server)
    put_lines(moto_server, LOGS["web"], f"web/app/{TASK_A}", [(1000, "from a")])
    put_lines(moto_server, LOGS["web"], f"web/app/{TASK_B}", [(1000, "from b")])
    put_lines(moto_server, LOGS["db"], f"appdb/appdb/{TASK_DB}", [(1000, "from db")])
    by_id = dockyard(moto_server, ["logs", TASK_A], outputs, tmp_path)
    assert by_id.returncode == 0, by_id.stderr
    assert [line.split(" | ", 1)[1] for line in by_id.stdout.splitlines()] == ["from a"]
    arn = f"arn:aws:ecs:us-east-1:123456789012:task/demo/{TASK_DB}"
    by_arn = dockyard(moto_server, ["logs", arn], outputs, tmp_path)
    assert [line.split(" | ", 1)[1] for line in by_arn.stdout.splitlines()] == ["from db"]
    unknown = dockyard(moto_server, ["logs", "d" * 32], outputs, tmp_path)
    assert_bad_input(unknown, f"no log stream of task {'d' * 32}")


def test_logs_previous_reads_the_stopped_task(moto_server: MotoServer, tmp_path: Path) -> None:
    """`rails logs web --previous`: the web service's most recently stopped task's stream,
    all of it (a line from 20 minutes before too), not the running task's, nor a stopped
    one-off task of the same definition."""
    outputs = stack(moto_server)
    ecs = moto_server.client("ecs")
    definition, network = outputs["railsTasks"]["webTaskDefinition"], outputs["_network"]
    ids = {}
    for name, group in (
        ("old", "service:web"),
        ("oneoff", "family:demo-web"),
        ("now", "service:web"),
    ):
        task = ecs.run_task(
            cluster="demo", taskDefinition=definition, launchType="FARGATE",
            networkConfiguration=network, group=group,
        )["tasks"][0]  # fmt: skip
        ids[name] = task["taskArn"].rsplit("/", 1)[-1]
        lines = [(20 * 60_000, f"early line of {name}"), (1000, f"line of {name}")]
        put_lines(moto_server, LOGS["web"], f"web/app/{ids[name]}", lines)
        if name != "now":
            ecs.stop_task(cluster="demo", task=task["taskArn"], reason="replaced")
    proc = dockyard(moto_server, ["logs", "web", "--previous"], outputs, tmp_path)
    assert proc.returncode == 0, proc.stderr
    # the whole stream, not the last 10 minutes only
    shown = [line.split(" | ", 1)[1] for line in proc.stdout.splitlines()]
    assert shown == ["early line of old", "line of old"]


def test_logs_reads_every_page(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """FilterLogEvents answers in pages (here of 2 events): all 7 lines come, in order."""
    outputs = stack(moto_server)
    lines = [(7000 - i * 100, f"line {i}") for i in range(7)]
    put_lines(moto_server, LOGS["web"], f"web/app/{TASK_A}", lines)
    monkeypatch.setattr(rails_logs, "PAGE_EVENTS", 2)
    logs = moto_server.client("logs")
    calls: list[dict[str, Any]] = []
    logs.meta.events.register(
        "provide-client-params.logs.FilterLogEvents", lambda params, **_: calls.append(params)
    )
    where = rt.target(outputs)
    printed: list[str] = []
    source = rails_logs.Source(group=LOGS["web"], prefix="web/app/")
    count = rails_logs.show(logs, where, [source], 0, None, printed.append, printed.append)
    assert count == 7 and [p.split(" | ", 1)[1] for p in printed] == [f"line {i}" for i in range(7)]
    assert len(calls) >= 4 and all(c["limit"] == 2 for c in calls)


def test_logs_follow_prints_new_lines_and_stops_on_ctrl_c(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """`rails logs --follow`: the lines so far, then a line written later (polled within a
    few seconds), each once; Ctrl-C ends it with one line and exit 130, no traceback."""
    outputs = stack(moto_server)
    put_lines(moto_server, LOGS["web"], f"web/app/{TASK_A}", [(1000, "before")])
    env = {**moto_server.env, "AWS_ENDPOINT_URL": moto_server.endpoint, "HOME": str(tmp_path)}
    env.pop("PYTHONUNBUFFERED", None)  # stdout is a pipe, as in `rails logs -f | grep ...`
    document = json.dumps({k: v for k, v in outputs.items() if not k.startswith("_")})
    proc = subprocess.Popen(
        [sys.executable, "-m", "dockyard", "rails", "logs", "--follow"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert proc.stdin and proc.stdout and proc.stderr
    proc.stdin.write(document)
    proc.stdin.close()
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout or []], daemon=True)
    reader.start()
    try:
        # bounded: a line held back in a pipe buffer fails here instead of hanging
        assert lines.get(timeout=30).rstrip().endswith("| before")
        moto_server.client("logs").put_log_events(
            logGroupName=LOGS["web"],
            logStreamName=f"web/app/{TASK_A}",
            logEvents=[{"timestamp": int(time.time() * 1000), "message": "after"}],
        )
        assert lines.get(timeout=30).rstrip().endswith("| after")
        time.sleep(2 * rails_logs.FOLLOW_SECONDS + 0.5)  # more polls: nothing printed twice
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=20)
        reader.join(timeout=10)
        rest, errors = "".join(lines.queue), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signal.SIGINT
    assert rest == ""
    assert errors.strip() == "dockyard: interrupted"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["logs", "--since", "10 minutes"], "--since '10 minutes' is not a duration"),
        (["logs", "--since", "0m"], "is not a duration"),
        (["logs", "--since", "100d"], "at most 90d"),
        (["logs", "--grep", "(unclosed"], "--grep '(unclosed' is not a regular expression"),
        (["logs", "web; rm -rf /"], "is neither web, db nor an ECS task id"),
        (["logs", "a" * 32, "--previous"], "--previous goes with web or db"),
        (["rollback", "latest"], "'latest' is not a revision"),
        (["rollback", "other-family:2"], "is not a revision of the web family demo-web"),
        (["rollback", "sha256:abc"], "'sha256:abc' is not a revision"),
        (["rollback", "3"], "already runs demo-web:3"),
        (["rollback", "9"], "demo-web:9 is not an ACTIVE revision"),
        (["rollback", "--timeout", "0"], "--timeout 0 is out of range"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    moto_server: MotoServer, tmp_path: Path, argv: list[str], words: str
) -> None:
    """Each bad argument: exit 2, one `dockyard: ...` line naming it and the fix, nothing on
    stdout (and for rollback, the service still on its revision)."""
    outputs = stack(moto_server)
    assert_bad_input(dockyard(moto_server, argv, outputs, tmp_path), words)
    (web,) = moto_server.client("ecs").describe_services(cluster="demo", services=["web"])[
        "services"
    ]
    assert web["taskDefinition"].endswith("demo-web:3")


def test_status_shows_services_tasks_targets_and_revisions(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """`rails status`: both services with counts and their deployment's rollout state, the
    running task with its image, the registered target's health, no alarms wired (moto keeps
    no deploymentConfiguration), maintenance off, and the three revisions with their images,
    the running one marked."""
    outputs = stack(moto_server)
    ecs = moto_server.client("ecs")
    ecs.run_task(
        cluster="demo", taskDefinition=outputs["railsTasks"]["webTaskDefinition"],
        launchType="FARGATE", networkConfiguration=outputs["_network"], group="service:web",
    )  # fmt: skip
    proc = dockyard(moto_server, ["status"], outputs, tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "service web: ACTIVE, 0 running / 0 desired" in text
    assert "service appdb: ACTIVE" in text
    assert "PRIMARY demo-web:3: IN_PROGRESS" in text
    assert "app: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:3" in text
    assert "10.0.1.10:3000 " in text
    assert "alarms: none wired to the web service's deployments" in text
    assert "maintenance: off" in text
    revisions = text.split("web revisions (dockyard rails rollback REVISION):\n", 1)[1]
    assert revisions.splitlines() == [
        "  demo-web:3: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:3  <- running",
        "  demo-web:2: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:2",
        "  demo-web:1: 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1",
    ]


@pytest.mark.parametrize(
    ("argv", "revision", "image"),
    [
        ([], "demo-web:2", "web:2"),
        (["1"], "demo-web:1", "web:1"),
        (["demo-web:2"], "demo-web:2", "web:2"),
    ],
)
def test_rollback_points_the_service_at_the_revision_and_waits(
    moto_server: MotoServer, tmp_path: Path, argv: list[str], revision: str, image: str
) -> None:
    """`rails rollback [REVISION]`: the web service now runs the revision (default the
    previous one), the command printed old -> new with images, waited until stable, and
    said how to make it stick (railsImage)."""
    outputs = stack(moto_server)
    proc = dockyard(moto_server, ["rollback", *argv], outputs, tmp_path)
    assert proc.returncode == 0, proc.stderr
    (web,) = moto_server.client("ecs").describe_services(cluster="demo", services=["web"])[
        "services"
    ]
    assert web["taskDefinition"].endswith(revision)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("web: demo-web:3 (") and lines[0].endswith(
        f"{revision} (123456789012.dkr.ecr.us-east-1.amazonaws.com/{image})"
    )
    assert f"web is stable on {revision}" in proc.stdout
    assert (
        f"pulumi config set railsImage 123456789012.dkr.ecr.us-east-1.amazonaws.com/{image}"
        in proc.stdout
    )


def test_rollback_to_an_image_digest_registers_a_valid_revision(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    """`rails rollback sha256:...`: a new revision of the running definition whose web
    container's image is the same repository at that digest (everything else as it was;
    the request is valid for botocore's RegisterTaskDefinition model), and the service on it."""
    outputs = stack(moto_server)
    digest = "sha256:" + "e" * 64
    proc = dockyard(moto_server, ["rollback", digest], outputs, tmp_path)
    assert proc.returncode == 0, proc.stderr
    ecs = moto_server.client("ecs")
    (web,) = ecs.describe_services(cluster="demo", services=["web"])["services"]
    assert web["taskDefinition"].endswith("demo-web:4")
    new = ecs.describe_task_definition(taskDefinition="demo-web:4")["taskDefinition"]
    old = ecs.describe_task_definition(taskDefinition="demo-web:3")["taskDefinition"]
    (container,) = new["containerDefinitions"]
    assert container["image"] == f"123456789012.dkr.ecr.us-east-1.amazonaws.com/web@{digest}"
    assert {**container, "image": None} == {**old["containerDefinitions"][0], "image": None}
    assert (new["cpu"], new["memory"], new["executionRoleArn"]) == (
        old["cpu"],
        old["memory"],
        old["executionRoleArn"],
    )
    from dockyard.rails.rollback import REGISTER_KEYS

    request = {k: new[k] for k in REGISTER_KEYS if new.get(k) not in (None, [], {})}
    assert ecs_input_errors(request) == ""


def test_maintenance_on_and_off(moto_server: MotoServer, tmp_path: Path) -> None:
    """`maintenance on`: one tagged rule on the port-80 listener answering every path with
    503 and a short HTML page; `on` again adds none; status says ON; `off` removes exactly
    that rule (a rule someone else added stays); the target stays registered."""
    outputs = stack(moto_server)
    elbv2 = moto_server.client("elbv2")
    (listener,) = elbv2.describe_listeners(
        LoadBalancerArn=elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    )["Listeners"]
    theirs = elbv2.create_rule(
        ListenerArn=listener["ListenerArn"], Priority=1,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/theirs"]}}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )["Rules"][0]["RuleArn"]  # fmt: skip
    on = dockyard(moto_server, ["maintenance", "on"], outputs, tmp_path)
    assert on.returncode == 0, on.stderr
    assert "port 80 answers 503" in on.stdout
    again = dockyard(moto_server, ["maintenance", "on"], outputs, tmp_path)
    assert again.stdout.strip() == "maintenance is already on"
    rules = [
        r
        for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if not r["IsDefault"]
    ]
    ours = [r for r in rules if r["RuleArn"] != theirs]
    assert len(ours) == 1 and ours[0]["Priority"] == "2"
    (act,) = ours[0]["Actions"]
    assert act["Type"] == "fixed-response"
    config = act["FixedResponseConfig"]
    assert (config["StatusCode"], config["ContentType"]) == ("503", "text/html")
    assert (
        len(config["MessageBody"]) <= rails_maintenance.MAX_BODY
        and "maintenance" in config["MessageBody"]
    )
    assert ours[0]["Conditions"][0]["PathPatternConfig"]["Values"] == ["*"]
    assert (
        "maintenance: ON (503 page)" in dockyard(moto_server, ["status"], outputs, tmp_path).stdout
    )
    off = dockyard(moto_server, ["maintenance", "off"], outputs, tmp_path)
    assert off.stdout.strip() == "maintenance off: the app answers again"
    left = [
        r["RuleArn"]
        for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if not r["IsDefault"]
    ]
    assert left == [theirs]
    assert (
        "maintenance was off"
        in dockyard(moto_server, ["maintenance", "off"], outputs, tmp_path).stdout
    )
    group = elbv2.describe_target_groups()["TargetGroups"][0]["TargetGroupArn"]
    assert len(elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]) == 1


def test_alb_fixed_responses_carry_no_header() -> None:
    """Why the page has no Retry-After: botocore's ELBv2 model of a fixed response has a
    status code, a content type and a body (max 1024) only."""
    model = botocore.session.get_session().get_service_model("elbv2")
    shape = model.shape_for("FixedResponseActionConfig")
    assert set(shape.members) == {"MessageBody", "StatusCode", "ContentType"}
    assert shape.members["MessageBody"].metadata.get("max") == rails_maintenance.MAX_BODY
    assert len(rails_maintenance.PAGE) <= rails_maintenance.MAX_BODY


def test_logs_keep_the_newest_lines_past_the_cap(
    moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More lines than a view prints (cap made 3 here): the newest 3, as `tail` does, and one
    note on stderr saying how many matched and how to narrow the view."""
    outputs = stack(moto_server)
    put_lines(
        moto_server,
        LOGS["web"],
        f"web/app/{TASK_A}",
        [(7000 - i * 100, f"line {i}") for i in range(7)],
    )
    monkeypatch.setattr(rails_logs, "MAX_EVENTS", 3)
    printed: list[str] = []
    notes: list[str] = []
    source = rails_logs.Source(group=LOGS["web"], prefix="web/app/")
    logs = moto_server.client("logs")
    count = rails_logs.show(
        logs, rt.target(outputs), [source], 0, None, printed.append, notes.append
    )
    assert count == 7
    assert [p.split(" | ", 1)[1] for p in printed] == ["line 4", "line 5", "line 6"]
    assert notes == ["showed the last 3 of 7 lines: narrow with --since or --grep"]
