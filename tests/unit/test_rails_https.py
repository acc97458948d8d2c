"""HTTPS for the Rails app, the shared load balancer component and ECS Exec, under mocks."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from components.shared.load_balancer import TLS_POLICY
from dockyard.rails import ecs as rails_ecs
from tests.harness.pulumi_program import Evaluation, evaluate

RAILS_ON = {"dockyard:rails": "true", "dockyard:dockerHosts": "false"}
DOMAIN = "www.example.com"
ZONE = "Z0123456789ABCDEFGHIJ"
LISTENER = "aws:lb/listener:Listener"
RECORD = "aws:route53/record:Record"
LB_COMPONENT = "dockyard:load_balancer:LoadBalancer"


def rails(extra: dict[str, Any] | None = None, stack: str = "dev") -> Evaluation:
    return evaluate({**RAILS_ON, **(extra or {})}, stack=stack)


@pytest.fixture(scope="module")
def with_zone() -> Evaluation:
    return rails({"dockyard:railsDomain": DOMAIN, "dockyard:railsHostedZoneId": ZONE})


@pytest.fixture(scope="module")
def without_zone() -> Evaluation:
    return rails({"dockyard:railsDomain": DOMAIN})


def listeners(evaluation: Evaluation) -> dict[int, dict[str, Any]]:
    return {r.inputs["port"]: r.inputs for r in evaluation.of_type(LISTENER)}


def test_https_with_zone(with_zone: Evaluation) -> None:
    """Certificate for the domain by DNS, its validation record and the alias in the zone,
    HTTPS on 443 with the named TLS policy forwarding to the app, 80 only redirecting."""
    (cert,) = with_zone.of_type("aws:acm/certificate:Certificate")
    assert (cert.inputs["domainName"], cert.inputs["validationMethod"]) == (DOMAIN, "DNS")
    records = {r.inputs["type"]: r.inputs for r in with_zone.of_type(RECORD)}
    assert set(records) == {"CNAME", "A"}
    assert records["CNAME"]["zoneId"] == ZONE
    assert records["CNAME"]["name"].endswith(f".{DOMAIN}.")
    assert records["CNAME"]["records"][0].endswith(".acm-validations.aws.")
    alias = records["A"]
    assert (alias["zoneId"], alias["name"]) == (ZONE, DOMAIN)
    assert alias["aliases"][0]["name"] == "rails-alb-123.us-east-1.elb.amazonaws.com"
    (validation,) = with_zone.of_type("aws:acm/certificateValidation:CertificateValidation")
    assert validation.inputs["validationRecordFqdns"] == [records["CNAME"]["name"].rstrip(".")]
    by_port = listeners(with_zone)
    assert set(by_port) == {80, 443}
    https = by_port[443]
    assert (https["protocol"], https["sslPolicy"]) == ("HTTPS", TLS_POLICY)
    assert https["certificateArn"] == validation.inputs["certificateArn"]
    assert [a["type"] for a in https["defaultActions"]] == ["forward"]
    (redirect,) = by_port[80]["defaultActions"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}
    assert with_zone.outputs["railsUrl"] == f"https://{DOMAIN}"
    assert "railsCertificateValidation" not in with_zone.outputs


def test_https_without_zone_exports_the_validation_record(without_zone: Evaluation) -> None:
    """Without a zone no record is made: the validation record is an output for the user's
    DNS, and the ALB's name is an output to point the domain at."""
    assert not without_zone.of_type(RECORD)
    (record,) = without_zone.outputs["railsCertificateValidation"]
    assert record["type"] == "CNAME" and record["name"].endswith(f".{DOMAIN}.")
    assert without_zone.outputs["railsAlbDnsName"].endswith(".elb.amazonaws.com")
    assert set(listeners(without_zone)) == {80, 443}
    assert without_zone.outputs["railsUrl"] == f"https://{DOMAIN}"


@pytest.mark.parametrize(
    ("ports", "cidrs"),
    [((80,), ["0.0.0.0/0"]), ((80, 443), ["0.0.0.0/0"])],
    ids=["http", "https"],
)
def test_load_balancer_ingress_is_the_listener_ports(
    ports: tuple[int, ...], cidrs: list[str], with_zone: Evaluation
) -> None:
    """The ALB's group admits exactly its listener ports, from the configured CIDRs."""
    evaluation = with_zone if 443 in ports else rails()
    rules = [
        r.inputs
        for r in evaluation.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.parent.endswith("dockyard:load_balancer:LoadBalancer::rails")
    ]
    assert sorted((r["fromPort"], r["cidrIpv4"]) for r in rules) == [
        (p, c) for p in ports for c in cidrs
    ]


def test_http_only_without_domain_and_warning_outside_dev(caplog: pytest.LogCaptureFixture) -> None:
    """No railsDomain: HTTP forwarding on 80 as before; a stack other than dev is warned,
    dev is not."""
    with caplog.at_level(logging.WARNING):
        dev = rails()
    assert not [m for m in caplog.messages if "railsDomain" in m]
    with caplog.at_level(logging.WARNING):
        prod = rails(stack="prod")
    assert [m for m in caplog.messages if "railsDomain is not set" in m]
    for evaluation in (dev, prod):
        (listener,) = evaluation.of_type(LISTENER)
        assert listener.inputs["port"] == 80
        assert listener.inputs["defaultActions"][0]["type"] == "forward"
        assert not evaluation.of_type("aws:acm/certificate:Certificate")
        assert evaluation.outputs["railsUrl"].startswith("http://rails-alb-")


def test_both_load_balancers_come_from_the_component() -> None:
    """The Rails app's and the fio plots' ALBs, groups, target groups and listeners are
    children of the one load balancer component; every ALB drops invalid header fields."""
    evaluation = rails({"dockyard:fioBench": "true", "dockyard:fioAssignPublicIp": "true"})
    components = {r.urn for r in evaluation.of_type(LB_COMPONENT)}
    assert len(components) == 2
    for typ in (
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/targetGroup:TargetGroup",
        LISTENER,
    ):
        made = evaluation.of_type(typ)
        assert len(made) == 2, typ
        assert {r.parent for r in made} == components, typ
    for balancer in evaluation.of_type("aws:lb/loadBalancer:LoadBalancer"):
        assert balancer.inputs["dropInvalidHeaderFields"] is True


def test_exec_enabled_with_the_ssm_channels() -> None:
    """The web service allows ECS Exec; its task role may open the SSM message channels and
    write the session log to the cluster's exec log group only (the cluster logs there:
    OVERRIDE); the db service does not allow it."""
    evaluation = rails()
    services = {r.inputs["name"]: r.inputs for r in evaluation.of_type("aws:ecs/service:Service")}
    assert services["web"]["enableExecuteCommand"] is True
    assert not services["appdb"].get("enableExecuteCommand")
    (web_task,) = [
        r
        for r in evaluation.of_type("aws:ecs/taskDefinition:TaskDefinition")
        if r.name == "rails-web"
    ]
    (role,) = [r for r in evaluation.of_type("aws:iam/role:Role") if r.name == "rails-web-task"]
    assert web_task.dependencies["taskRoleArn"] == [role.urn]
    policy = json.loads(evaluation.named("rails-web-task-exec").inputs["policy"])
    channels, groups, streams = policy["Statement"]
    assert sorted(channels["Action"]) == sorted(rails_ecs.EXEC_ACTIONS)
    assert (groups["Action"], groups["Resource"]) == (["logs:DescribeLogGroups"], "*")
    exec_logs = evaluation.named("rails-ecs-exec-logs")
    assert streams["Resource"] == f"{exec_logs.outputs['arn']}:*"
    (cluster,) = evaluation.of_type("aws:ecs/cluster:Cluster")
    exec_config = cluster.inputs["configuration"]["executeCommandConfiguration"]
    assert exec_config["logging"] == "OVERRIDE"
    assert exec_config["logConfiguration"] == {"cloudWatchLogGroupName": exec_logs.inputs["name"]}
    tasks = evaluation.outputs["railsTasks"]
    assert tasks["webService"] == "web" and tasks["webContainer"] == "app"
    assert tasks["subnets"] == ["subnet-0aaa1111", "subnet-0bbb2222"]
    assert tasks["securityGroups"][0].startswith("sg-")
