"""Flow 3 (Rails + MySQL on ECS) under Pulumi mocks: the recorded graph, asserted on.

The task definitions are checked by botocore's own RegisterTaskDefinition model as the
components register them (the requests handed to register_task_definition, recorded), and
the engine is checked to receive exactly those.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi
import pytest

from dockyard.rails import ecs as rails_ecs
from tests.harness.botocore_model import ecs_input_errors
from tests.harness.pulumi_program import Evaluation, RecordingMocks, config_error, evaluate
from tests.harness.rails_definitions import recording_definitions

RAILS_ON = {"dockyard:rails": "true", "dockyard:dockerHosts": "false"}
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PASSWORD = "random:index/randomPassword:RandomPassword"


class RailsMocks(RecordingMocks):
    """The recording mocks, plus the computed outputs the Rails flow reads."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, str] = {}
        self.passwords: list[str] = []
        self.definitions: dict[str, dict[str, Any]] = {}
        """The RegisterTaskDefinition requests the components registered, by resource name."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid, outputs = super().new_resource(args)
        self.ids[args.name if args.typ != SG else f"sg:{args.name}"] = rid
        if args.typ == PASSWORD:
            outputs["result"] = f"Pw{args.name.replace('-', '')}Z9{len(self.passwords)}"
            self.passwords.append(outputs["result"])
        return rid, outputs


def run(extra: dict[str, Any] | None = None) -> tuple[Evaluation, RailsMocks]:
    mocks = RailsMocks()
    with recording_definitions() as definitions:
        evaluation = evaluate({**RAILS_ON, **(extra or {})}, mocks=mocks)
    mocks.definitions = definitions
    return evaluation, mocks


@pytest.fixture(scope="module")
def ec2() -> tuple[Evaluation, RailsMocks]:
    return run()


@pytest.fixture(scope="module")
def fargate() -> tuple[Evaluation, RailsMocks]:
    return run({"dockyard:railsCapacity": "fargate"})


@pytest.fixture(params=["ec2", "fargate"])
def graph(request: pytest.FixtureRequest) -> tuple[Evaluation, RailsMocks]:
    """Both capacity modes."""
    result: tuple[Evaluation, RailsMocks] = request.getfixturevalue(request.param)
    return result


def task_named(evaluation: Evaluation, name: str) -> Any:
    (task,) = [t for t in evaluation.of_type(TASK_DEF) if t.name == name]
    return task


def containers(task: Any) -> list[dict[str, Any]]:
    parsed: list[dict[str, Any]] = json.loads(task.inputs["containerDefinitions"])
    return parsed


def test_flow_off_by_default() -> None:
    """Without `rails: true` the program creates no ECS, EFS, ALB or secret resources."""
    graph = evaluate({"dockyard:dockerHosts": "false"})
    prefixes = ("aws:ecs/", "aws:efs/", "aws:lb/", "aws:secretsmanager/", "docker:")
    assert not [r.typ for r in graph.resources if r.typ.startswith(prefixes)]
    assert not [k for k in graph.outputs if k.startswith("rails")]


def service_tasks(evaluation: Evaluation) -> list[Any]:
    """The two services' task definitions (not the dump loader's)."""
    return [t for t in evaluation.of_type(TASK_DEF) if t.name != "rails-db-import"]


def test_task_definitions_validate_against_botocore(graph: tuple[Evaluation, RailsMocks]) -> None:
    """Every task definition the components register (web, db, dump loader) is valid
    RegisterTaskDefinition input for botocore, and the engine receives exactly it: the
    same keys and values, the containers as their JSON, nothing else but the tags."""
    evaluation, mocks = graph
    tasks = evaluation.of_type(TASK_DEF)
    assert sorted(t.name for t in tasks) == ["rails-db", "rails-db-import", "rails-web"]
    assert sorted(mocks.definitions) == sorted(t.name for t in tasks)
    for task in tasks:
        definition = mocks.definitions[task.name]
        assert ecs_input_errors(definition) == "", task.name
        sent = {k: v for k, v in task.inputs.items() if k != "tags"}
        assert json.loads(sent.pop("containerDefinitions")) == definition["containerDefinitions"]
        assert sent == {k: v for k, v in definition.items() if k != "containerDefinitions"}


def test_botocore_check_can_fail(ec2: tuple[Evaluation, RailsMocks]) -> None:
    """A registered definition with one wrong type is rejected: the check is real."""
    params = copy.deepcopy(ec2[1].definitions["rails-web"])
    params["containerDefinitions"][0]["memory"] = "112"
    assert "Invalid type" in ecs_input_errors(params)


def test_no_secret_value_in_any_task_definition(graph: tuple[Evaluation, RailsMocks]) -> None:
    """No generated password appears anywhere in a task definition; environment holds none."""
    evaluation, mocks = graph
    assert len(mocks.passwords) == 3
    for task in evaluation.of_type(TASK_DEF):
        text = json.dumps(task.inputs)
        for password in mocks.passwords:
            assert password not in text, task.name
        for container in containers(task):
            for item in container["environment"]:
                assert not rails_ecs.looks_secret(item["name"]), item
            assert container["secrets"], f"{container['name']} gets no secrets"
            for secret in container["secrets"]:
                assert secret["valueFrom"].startswith("arn:")


def test_passwords_stored_as_secrets(ec2: tuple[Evaluation, RailsMocks]) -> None:
    """Each generated value (root's and the app user's password, SECRET_KEY_BASE) goes into
    Secrets Manager as a Pulumi secret; the execution role reads those three."""
    evaluation, _ = ec2
    versions = evaluation.of_type("aws:secretsmanager/secretVersion:SecretVersion")
    assert len(versions) == 3
    for version in versions:
        assert "secretString" in version.secret_inputs
    policy = json.loads(evaluation.named("rails-execution-secrets").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Action"] == ["secretsmanager:GetSecretValue"]
    secret_arns = {v.inputs["secretId"] for v in versions}
    assert len(statement["Resource"]) == 3
    assert {a.rsplit(":", 1)[-1] for a in statement["Resource"]} == {
        s.removesuffix("-id") for s in secret_arns
    }


def _group_id(mocks: RailsMocks, group: str) -> str:
    """A Rails security group's id; the ALB's is the load balancer component keeps `rails-alb`."""
    return mocks.ids[f"sg:rails-{group}"]


def _ingress_to(evaluation: Evaluation, mocks: RailsMocks, group: str) -> list[dict[str, Any]]:
    sg_id = _group_id(mocks, group)
    return [r.inputs for r in evaluation.of_type(INGRESS) if r.inputs["securityGroupId"] == sg_id]


@pytest.mark.parametrize(
    ("target", "source", "port"),
    [("db", "web", 3306), ("web", "alb", 3000), ("efs", "db", 2049)],
)
def test_security_group_chain(
    ec2: tuple[Evaluation, RailsMocks], target: str, source: str, port: int
) -> None:
    """Only the previous link of the chain (ALB -> web -> db -> EFS) reaches each group."""
    evaluation, mocks = ec2
    rules = _ingress_to(evaluation, mocks, target)
    assert len(rules) == 1, rules
    (rule,) = rules
    assert rule["referencedSecurityGroupId"] == _group_id(mocks, source)
    assert (rule["fromPort"], rule["toPort"], rule["ipProtocol"]) == (port, port, "tcp")
    assert "cidrIpv4" not in rule and "cidrIpv6" not in rule


def test_alb_open_on_80_only_and_sends_only_to_web(ec2: tuple[Evaluation, RailsMocks]) -> None:
    """The ALB admits port 80 from the configured CIDRs and may send only to the web group."""
    evaluation, mocks = ec2
    rules = _ingress_to(evaluation, mocks, "alb")
    assert {(r["fromPort"], r.get("cidrIpv4")) for r in rules} == {(80, "0.0.0.0/0")}
    alb_id = mocks.ids["sg:rails-alb"]
    out = [r.inputs for r in evaluation.of_type(EGRESS) if r.inputs["securityGroupId"] == alb_id]
    assert all(o.pop("tags")["ManagedBy"] == "pulumi" for o in out)  # required-tags policy
    assert out == [
        {
            "securityGroupId": alb_id,
            "referencedSecurityGroupId": mocks.ids["sg:rails-web"],
            "ipProtocol": "tcp",
            "fromPort": 3000,
            "toPort": 3000,
            "description": "ALB to the Rails containers",
        }
    ]


def test_tasks_use_their_own_groups(ec2: tuple[Evaluation, RailsMocks]) -> None:
    """The db service sits in the db group, the web service in the web group."""
    evaluation, mocks = ec2
    groups = {
        s.inputs["name"]: s.inputs["networkConfiguration"]["securityGroups"]
        for s in evaluation.of_type(SERVICE)
    }
    assert groups == {"appdb": [mocks.ids["sg:rails-db"]], "web": [mocks.ids["sg:rails-web"]]}


def test_health_checks_present(graph: tuple[Evaluation, RailsMocks]) -> None:
    """Both containers have a health check and the ALB checks /health for a 200."""
    evaluation, _ = graph
    for task in service_tasks(evaluation):
        for container in containers(task):
            assert container["healthCheck"]["command"][0] in {"CMD", "CMD-SHELL"}
    (tg,) = evaluation.of_type("aws:lb/targetGroup:TargetGroup")
    assert tg.inputs["healthCheck"]["path"] == "/health"
    assert tg.inputs["healthCheck"]["matcher"] == "200"
    assert (tg.inputs["port"], tg.inputs["targetType"]) == (3000, "ip")
    (listener,) = evaluation.of_type("aws:lb/listener:Listener")
    assert listener.inputs["port"] == 80


def test_cpu_memory_defaults(graph: tuple[Evaluation, RailsMocks]) -> None:
    """The web container defaults to 512 cpu units (the load-tested size) and the seed's
    112 MiB; the database to the seed's cpu 100 and 112 MiB."""
    limits = {
        c["name"]: (c["cpu"], c["memory"])
        for task in service_tasks(graph[0])
        for c in containers(task)
    }
    assert limits == {"app": (512, 112), "appdb": (100, 112)}


def test_seed_cpu_reachable() -> None:
    """railsCpu 100 gives the web container the seed's cpu again."""
    evaluation, _ = run({"dockyard:railsCpu": "100"})
    limits = {c["name"]: c["cpu"] for task in service_tasks(evaluation) for c in containers(task)}
    assert limits == {"app": 100, "appdb": 100}


def test_cpu_memory_configurable() -> None:
    """railsCpu/railsMemory and railsDbCpu/railsDbMemory change the containers' limits."""
    evaluation, _ = run(
        {
            "dockyard:railsCpu": "256",
            "dockyard:railsMemory": "384",
            "dockyard:railsDbCpu": "512",
            "dockyard:railsDbMemory": "768",
        }
    )
    limits = {
        c["name"]: (c["cpu"], c["memory"])
        for task in service_tasks(evaluation)
        for c in containers(task)
    }
    assert limits == {"app": (256, 384), "appdb": (512, 768)}


def test_service_connect_alias_appdb(graph: tuple[Evaluation, RailsMocks]) -> None:
    """The db service publishes its `mysql` port as appdb:3306; the web service is a client."""
    evaluation, _ = graph
    services = {s.inputs["name"]: s.inputs for s in evaluation.of_type(SERVICE)}
    db_sc = services["appdb"]["serviceConnectConfiguration"]
    assert db_sc["enabled"] is True
    (published,) = db_sc["services"]
    assert published["portName"] == "mysql"
    assert published["clientAlias"] == [{"port": 3306, "dnsName": "appdb"}]
    web_sc = services["web"]["serviceConnectConfiguration"]
    assert web_sc["enabled"] is True and web_sc["namespace"] == db_sc["namespace"]
    db_task = task_named(evaluation, "rails-db")
    (db_container,) = containers(db_task)
    assert db_container["portMappings"][0]["name"] == "mysql"
    (web_container,) = containers(task_named(evaluation, "rails-web"))
    env = {e["name"]: e["value"] for e in web_container["environment"]}
    assert (env["APPDB_PORT_3306_TCP_ADDR"], env["APPDB_PORT_3306_TCP_PORT"]) == ("appdb", "3306")


def test_db_data_on_encrypted_efs_access_point(ec2: tuple[Evaluation, RailsMocks]) -> None:
    """The db task mounts EFS via the access point (uid 999), encrypted at rest and in transit."""
    evaluation, _ = ec2
    (fs,) = evaluation.of_type("aws:efs/fileSystem:FileSystem")
    assert fs.inputs["encrypted"] is True
    (ap,) = evaluation.of_type("aws:efs/accessPoint:AccessPoint")
    assert ap.inputs["posixUser"] == {"uid": 999, "gid": 999}
    (volume,) = task_named(evaluation, "rails-db").inputs["volumes"]
    efs = volume["efsVolumeConfiguration"]
    assert efs["transitEncryption"] == "ENABLED"
    assert efs["authorizationConfig"]["iam"] == "ENABLED"
    assert len(evaluation.of_type("aws:efs/mountTarget:MountTarget")) == 2


def test_db_service_never_runs_two_tasks(ec2: tuple[Evaluation, RailsMocks]) -> None:
    """One MariaDB on the data at a time: desired 1, max 100 %, min healthy 0 %."""
    services = {s.inputs["name"]: s.inputs for s in ec2[0].of_type(SERVICE)}
    db = services["appdb"]
    assert (db["desiredCount"], db["deploymentMaximumPercent"]) == (1, 100)
    assert db["deploymentMinimumHealthyPercent"] == 0


def test_log_groups_have_retention(ec2: tuple[Evaluation, RailsMocks]) -> None:
    """Both containers, and ECS Exec sessions, log to CloudWatch groups with a 30-day
    retention."""
    groups = ec2[0].of_type("aws:cloudwatch/logGroup:LogGroup")
    assert sorted(g.inputs["retentionInDays"] for g in groups) == [30, 30, 30]


def test_ec2_capacity_imdsv2_and_encrypted(ec2: tuple[Evaluation, RailsMocks]) -> None:
    """The EC2 capacity: ECS-optimized AMI, IMDSv2 required, encrypted gp3 root volume."""
    (template,) = ec2[0].of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["imageId"].startswith("resolve:ssm:/aws/service/ecs/optimized-ami/")
    assert template.inputs["metadataOptions"]["httpTokens"] == "required"
    (device,) = template.inputs["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] == "true"
    (cp,) = ec2[0].of_type("aws:ecs/capacityProvider:CapacityProvider")
    assert cp.inputs["autoScalingGroupProvider"]["managedScaling"]["status"] == "ENABLED"


def test_fargate_capacity(fargate: tuple[Evaluation, RailsMocks]) -> None:
    """With Fargate there is no instance group and the tasks carry a valid Fargate size:
    0.5 vCPU for the web task (railsCpu's default 512), 0.25 for the database's and the
    loader's."""
    evaluation, _ = fargate
    assert not evaluation.of_type("aws:autoscaling/group:Group")
    sizes = {}
    for task in evaluation.of_type(TASK_DEF):
        assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
        sizes[task.inputs["family"].rsplit("-", 1)[-1]] = (
            task.inputs["cpu"],
            task.inputs["memory"],
        )
    assert sizes == {"web": ("512", "1024"), "appdb": ("256", "512"), "import": ("256", "512")}


def test_fargate_task_size_holds_its_containers() -> None:
    """Each Fargate task is the smallest size that holds its containers' cpu and memory, also
    when the web limits grow past the smallest size (the loader takes the database's)."""
    _, mocks = run(
        {
            "dockyard:railsCapacity": "fargate",
            "dockyard:railsCpu": "300",
            "dockyard:railsMemory": "600",
        }
    )
    sizes = {}
    for name, definition in mocks.definitions.items():
        cpu = sum(c["cpu"] for c in definition["containerDefinitions"])
        memory = sum(c["memory"] for c in definition["containerDefinitions"])
        expected = tuple(str(n) for n in rails_ecs.fargate_task_size(cpu, memory))
        assert (definition["cpu"], definition["memory"]) == expected, name
        sizes[name] = expected
    assert sizes == {
        "rails-web": ("512", "1024"),
        "rails-db": ("256", "512"),
        "rails-db-import": ("256", "512"),
    }


def test_web_image_built_from_repo_and_pushed_by_digest(ec2: tuple[Evaluation, RailsMocks]) -> None:
    """containers/rails is built with APP_SRC and pushed to ECR; tasks run the pushed digest."""
    image = task_named(ec2[0], "rails-web")
    images = {r.name: r.inputs for r in ec2[0].of_type("docker:index/image:Image")}
    web = images["rails-web-image"]
    assert web["build"]["context"].endswith("containers/rails")
    assert web["build"]["args"] == {"APP_SRC": "sample"}
    assert web["skipPush"] is False
    (container,) = containers(image)
    assert "@sha256:" in container["image"]
    assert container["image"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/")


def test_existing_images_by_config() -> None:
    """railsImage / railsDbImage skip the builds; the db then gets a portable health check."""
    evaluation, _ = run(
        {"dockyard:railsImage": "example.com/app:1.0", "dockyard:railsDbImage": "mariadb:10.11"}
    )
    assert not evaluation.of_type("docker:index/image:Image")
    images = {
        c["name"]: (c["image"], c["healthCheck"]["command"][0])
        for task in service_tasks(evaluation)
        for c in containers(task)
    }
    assert images == {
        "app": ("example.com/app:1.0", "CMD"),
        "appdb": ("mariadb:10.11", "CMD-SHELL"),
    }


def test_outputs(ec2: tuple[Evaluation, RailsMocks]) -> None:
    """The flow's stack outputs: URL, cluster name and ARN, service names, secret ARN."""
    outputs = ec2[0].outputs
    assert outputs["railsUrl"].startswith("http://") and outputs["railsUrl"].endswith(".com")
    assert outputs["railsClusterName"] == "my-prefix-dev"
    assert outputs["railsClusterArn"].startswith("arn:")
    assert outputs["railsServiceNames"] == {"web": "web", "db": "appdb"}
    assert outputs["railsDbPasswordSecretArn"].startswith("arn:")


@pytest.mark.parametrize(
    ("overrides", "key", "words"),
    [
        ({"dockyard:railsCapacity": "lambda"}, "dockyard:railsCapacity", "one of ec2"),
        ({"dockyard:railsSubnetIds": ["subnet-0aaa1111"]}, "dockyard:railsSubnetIds", "two"),
        ({"dockyard:railsLogRetentionDays": "42"}, "dockyard:railsLogRetentionDays", "retention"),
        ({"dockyard:railsMemory": "4"}, "dockyard:railsMemory", "at least 6"),
        ({"dockyard:railsAppSource": "../mysql"}, "dockyard:railsAppSource", "no Gemfile"),
        ({"dockyard:railsIngressCidrs": ["1.2.3.4/33"]}, "dockyard:railsIngressCidrs", "CIDR"),
    ],
)
def test_bad_rails_config(overrides: dict[str, Any], key: str, words: str) -> None:
    """Each invalid Rails setting stops the program with a message naming the key and a fix."""
    assert "Fix: " in config_error(lambda: run(overrides), key, words)


@pytest.mark.parametrize(
    ("cidrs", "expected"),
    [
        ([], {("cidrIpv4", "0.0.0.0/0")}),
        (
            ["203.0.113.0/24", "2001:db8::/32"],
            {("cidrIpv4", "203.0.113.0/24"), ("cidrIpv6", "2001:db8::/32")},
        ),
    ],
    ids=["empty-means-public", "listed"],
)  # fmt: skip
def test_alb_ingress_cidrs(cidrs: list[str], expected: set[tuple[str, str]]) -> None:
    """railsIngressCidrs picks who reaches port 80 (IPv4 and IPv6); empty means the public."""
    evaluation, mocks = run({"dockyard:railsIngressCidrs": cidrs})
    rules = _ingress_to(evaluation, mocks, "alb")
    seen = {(k, v) for r in rules for k, v in r.items() if k.startswith("cidr")}
    assert seen == expected
    assert {r["fromPort"] for r in rules} == {80}


def test_rails_subnets_default_to_stack_subnets() -> None:
    """An empty railsSubnetIds means subnetIds: one EFS mount target per subnet, ALB in both."""
    evaluation, _ = run({"dockyard:railsSubnetIds": []})
    targets = evaluation.of_type("aws:efs/mountTarget:MountTarget")
    assert sorted(t.inputs["subnetId"] for t in targets) == ["subnet-0aaa1111", "subnet-0bbb2222"]
    (alb,) = evaluation.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert alb.inputs["subnets"] == ["subnet-0aaa1111", "subnet-0bbb2222"]


def test_preview_pushes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A preview (dry run) gives the images the inputs an `up` does (skipPush and
    buildOnPreview false): pulumi-docker then neither builds nor pushes in the preview
    (provider.go @237b7899 canPreview), and an unchanged image shows no diff."""
    monkeypatch.setattr(pulumi.runtime, "is_dry_run", lambda: True)
    evaluation, _ = run()
    images = evaluation.of_type("docker:index/image:Image")
    assert len(images) == 2
    assert all((i.inputs["skipPush"], i.inputs["buildOnPreview"]) == (False, False)
               for i in images)  # fmt: skip


def test_services_redeploy_on_a_strategy_change_and_roll_back(
    graph: tuple[Evaluation, RailsMocks],
) -> None:
    """Both services carry a capacity provider strategy, so forceNewDeployment (ECS applies
    a strategy change only with a new deployment), and the circuit breaker with rollback."""
    evaluation, _ = graph
    services = evaluation.of_type(SERVICE)
    assert len(services) == 2
    for service in services:
        assert service.inputs["capacityProviderStrategies"], service.name
        assert service.inputs["forceNewDeployment"] is True, service.name
        assert service.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
