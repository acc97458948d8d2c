"""The policy pack (policy/): each policy passes a good resource, reports a bad one, and
the program's recorded graph passes every policy for every committed stack."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.policy import PolicyCustomTimeouts, PolicyResourceOptions
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from tests.harness.pulumi_program import Evaluation
from tests.harness.stackref import run_consumer
from tests.harness.stacks import evaluate_stack, stack_config, stack_names
from tests.harness.tools import REPO

sys.path.insert(0, str(REPO / "policy"))
import dockyard_policies as pol

TAGS = {"Project": "dockyard", "Stack": "dev", "ManagedBy": "pulumi"}


def _opts(parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def resource_args(typ: str, props: dict[str, Any], name: str = "r") -> ResourceValidationArgs:
    return ResourceValidationArgs(typ, props, f"urn:pulumi:dev::dockyard::{typ}::{name}", name,
                                  _opts(), None)  # fmt: skip


def violations(validate: Callable[..., None], args: Any) -> list[str]:
    found: list[str] = []
    validate(args, lambda message, urn=None: found.append(message))
    return found


def ingress_rule(cidr: str, port: float, protocol: str = "tcp") -> dict[str, Any]:
    key = "cidrIpv6" if ":" in cidr else "cidrIpv4"
    return {key: cidr, "fromPort": port, "toPort": port, "ipProtocol": protocol, "tags": TAGS}


def container_definitions(*names: str, **variables: str) -> str:
    env = {**dict.fromkeys(names, "x"), **variables}
    environment = [{"name": n, "value": v} for n, v in env.items()]
    return json.dumps([{"name": "web", "environment": environment}])


# checkov:skip=CKV_SECRET_4: a made-up password, the case the policy must report
URL_WITH_PASSWORD = "mysql2://root:Hunter2Secret@appdb:3306/app"
# Made-up secrets in each known form, put together at run time so that secret scanners
# reading this file do not take them for real ones.
PASSWORD = "Hunter2" + "Secret"
KEYS = {
    "an AWS access key id": "AKIA" + "Q3EXAMPLENOTREAL",
    "a PEM private key": "-----BEGIN "
    + "RSA PRIVATE KEY-----\nMIIEow==\n-----END RSA PRIVATE KEY-----",
    "a GitHub token": "ghp" + "_" + "x1" * 18,
    "a Slack token": "xoxb" + "-1234567890-0987654321-" + "notarealtoken",
}
DSN = "Server=appdb;Database=app;User Id=rails"
SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"


def task(**container: Any) -> dict[str, Any]:
    """A task definition with one container "web" with these keys."""
    return {"containerDefinitions": json.dumps([{"name": "web", **container}]), "tags": TAGS}


def batch(**container: Any) -> dict[str, Any]:
    return {"type": "container", "containerProperties": json.dumps(container), "tags": TAGS}


def app_runner(variables: dict[str, str], start: str = "bin/rails server",
               source: str = "image") -> dict[str, Any]:  # fmt: skip
    config = {"runtimeEnvironmentVariables": variables, "startCommand": start}
    if source == "image":
        repo = {"imageRepository": {"imageIdentifier": "public.ecr.aws/x/y:1",
                                    "imageRepositoryType": "ECR_PUBLIC",
                                    "imageConfiguration": config}}  # fmt: skip
    else:
        values = {"configurationSource": "API", "codeConfigurationValues": config}
        repo = {"codeRepository": {"repositoryUrl": "https://github.com/x/y",
                                   "codeConfiguration": values}}  # fmt: skip
    return {"sourceConfiguration": repo, "tags": TAGS}


def codebuild(*variables: dict[str, str]) -> dict[str, Any]:
    env = {"computeType": "BUILD_GENERAL1_SMALL", "image": "aws/codebuild/standard:7.0",
           "type": "LINUX_CONTAINER", "environmentVariables": list(variables)}  # fmt: skip
    return {"environment": env, "tags": TAGS}


def b64(text: str, gzipped: bool = False) -> str:
    import base64
    import gzip

    data = gzip.compress(text.encode()) if gzipped else text.encode()
    return base64.b64encode(data).decode()


SCRIPT_OK = (
    "#!/bin/bash\nexport DB_PASSWORD_FILE=/run/db\necho ECS_CLUSTER=web >>/etc/ecs/ecs.config\n"
)


ROOT_OK = {"encrypted": True, "volumeSize": 30}
IMDS_OK = {"httpTokens": "required", "httpEndpoint": "enabled", "httpPutResponseHopLimit": 1.0}
ENCRYPTED_ROOT = [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}]
LAUNCH_TEMPLATE_REF = {"name": "ecs-template", "version": "$Latest"}
DATA_DEVICE = {"deviceName": "/dev/sdf", "ebs": {"encrypted": "true"}}
SPOT_SPEC = {
    "ami": "ami-0123456789abcdef0",
    "instanceType": "t3.micro",
    "rootBlockDevices": [ROOT_OK],
}


def lambda_environment(**variables: str) -> dict[str, Any]:
    return {"environment": {"variables": variables}, "tags": TAGS}


def default_sg(port: float, cidr: str = "0.0.0.0/0") -> dict[str, Any]:
    return {"ingress": [{"cidrBlocks": [cidr], "fromPort": port, "toPort": port,
                         "protocol": "tcp"}], "tags": TAGS}  # fmt: skip


# (policy, resource type, passing props, violating props, words in the violation)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str]] = [
    ("no-admin-port-open-to-world", pol.SG_INGRESS_RULE,
     ingress_rule("198.51.100.0/24", 22), ingress_rule("0.0.0.0/0", 22), "22"),
    ("no-admin-port-open-to-world", pol.SG_INGRESS_RULE,
     ingress_rule("0.0.0.0/0", 80), ingress_rule("::/0", 2376), "2376"),
    ("no-admin-port-open-to-world", pol.SG_INGRESS_RULE,  # the engine's numbers are floats
     ingress_rule("0.0.0.0/0", 443.0), ingress_rule("0.0.0.0/0", 22.0), "22"),
    ("no-admin-port-open-to-world", pol.SG_INGRESS_RULE,
     ingress_rule("10.0.0.0/8", 0, "-1"), ingress_rule("0.0.0.0/0", 0, "-1"), "3306"),
    ("no-admin-port-open-to-world", pol.SG_RULE,
     {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"], "fromPort": 443, "toPort": 443,
      "protocol": "tcp"},
     {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"], "fromPort": 7000, "toPort": 9000,
      "protocol": "tcp"}, "8000"),
    ("no-admin-port-open-to-world", pol.SGS[0],
     {"ingress": [{"cidrBlocks": ["0.0.0.0/0"], "fromPort": 80, "toPort": 80,
                   "protocol": "tcp"}], "tags": TAGS},
     {"ingress": [{"ipv6CidrBlocks": ["::/0"], "fromPort": 3306, "toPort": 3306,
                   "protocol": "tcp"}], "tags": TAGS}, "ingress[0]"),
    # the unauthenticated Docker API, swarm, Consul and Flocker (issue 12)
    ("no-admin-port-open-to-world", pol.SG_INGRESS_RULE,
     ingress_rule("198.51.100.0/24", 2375), ingress_rule("0.0.0.0/0", 2375), "2375"),
    ("no-admin-port-open-to-world", pol.SG_INGRESS_RULE,
     ingress_rule("0.0.0.0/0", 443), ingress_rule("0.0.0.0/0", 2377), "2377"),
    ("no-admin-port-open-to-world", pol.SG_INGRESS_RULE,
     ingress_rule("10.0.0.0/8", 8500), ingress_rule("::/0", 8500), "8500"),
    ("no-admin-port-open-to-world", pol.SG_RULE,
     {"type": "ingress", "cidrBlocks": ["10.8.0.0/16"], "fromPort": 4523, "toPort": 4524,
      "protocol": "tcp"},
     {"type": "ingress", "cidrBlocks": ["0.0.0.0/0"], "fromPort": 4523, "toPort": 4524,
      "protocol": "tcp"}, "4523-4524"),
    ("no-admin-port-open-to-world", pol.SG_INGRESS_RULE,
     ingress_rule("0.0.0.0/0", 4789, "tcp"), ingress_rule("0.0.0.0/0", 4789, "udp"),
     "4789/udp"),
    # the world in pieces: each half of 0.0.0.0/0 is wider than a public /16
    ("no-admin-port-open-to-world", pol.SG_INGRESS_RULE,
     ingress_rule("203.0.113.0/24", 22), ingress_rule("0.0.0.0/1", 22), "0.0.0.0/1"),
    ("no-admin-port-open-to-world", pol.SG_RULE,
     {"type": "ingress", "cidrBlocks": ["10.0.0.0/8", "192.168.0.0/16"], "fromPort": 22,
      "toPort": 22, "protocol": "tcp"},
     {"type": "ingress", "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"], "fromPort": 22,
      "toPort": 22, "protocol": "tcp"}, "0.0.0.0/1, 128.0.0.0/1"),
    ("no-admin-port-open-to-world", pol.SG_INGRESS_RULE,
     ingress_rule("2001:db8::/48", 2376), ingress_rule("2000::/3", 2376), "2000::/3"),
    ("no-admin-port-open-to-world", pol.SGS[1],
     default_sg(443), default_sg(2375), "ingress[0]"),
    ("imdsv2-required", pol.INSTANCE,
     {"metadataOptions": IMDS_OK, "rootBlockDevice": ROOT_OK, "tags": TAGS},
     {"metadataOptions": {**IMDS_OK, "httpTokens": "optional"}, "rootBlockDevice": ROOT_OK,
      "tags": TAGS},
     "IMDSv1"),
    ("imdsv2-required", pol.LAUNCH_TEMPLATE,
     {"metadataOptions": IMDS_OK, "tags": TAGS}, {"tags": TAGS}, "IMDSv1"),
    ("imdsv2-required", pol.SPOT_INSTANCE_REQUEST,
     {"metadataOptions": IMDS_OK, "rootBlockDevice": ROOT_OK, "tags": TAGS},
     {"rootBlockDevice": ROOT_OK, "tags": TAGS}, "IMDSv1"),
    ("imdsv2-required", pol.INSTANCE,
     {"metadataOptions": IMDS_OK},
     {"metadataOptions": {**IMDS_OK, "httpPutResponseHopLimit": 64.0}}, "hop limit is 64"),
    ("imdsv2-required", pol.LAUNCH_TEMPLATE,
     {"metadataOptions": IMDS_OK},
     {"metadataOptions": {"httpTokens": "required"}}, "hop limit is the AMI default"),
    # an instance whose launch template sets the options is checked through the template
    ("imdsv2-required", pol.INSTANCE,
     {"launchTemplate": LAUNCH_TEMPLATE_REF}, {"launchTemplate": {}}, "IMDSv1"),
    ("storage-encrypted", pol.INSTANCE,
     {"rootBlockDevice": ROOT_OK, "ebsBlockDevices": [{"deviceName": "/dev/sdf",
                                                       "encrypted": True}]},
     {"rootBlockDevice": {"volumeSize": 30}}, "root volume"),
    ("storage-encrypted", pol.INSTANCE,
     {"rootBlockDevice": ROOT_OK},
     {"rootBlockDevice": ROOT_OK, "ebsBlockDevices": [{"deviceName": "/dev/sdf"}]},
     "/dev/sdf"),
    ("storage-encrypted", pol.LAUNCH_TEMPLATE,
     {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}}]},
     {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]},
     "/dev/xvda"),
    ("storage-encrypted", pol.LAUNCH_TEMPLATE,
     {"blockDeviceMappings": ENCRYPTED_ROOT}, {"metadataOptions": IMDS_OK},
     "no EBS block device mapping"),
    ("storage-encrypted", pol.SPOT_INSTANCE_REQUEST,
     {"rootBlockDevice": ROOT_OK}, {"rootBlockDevice": {"volumeSize": 30}}, "root volume"),
    ("storage-encrypted", pol.INSTANCE,
     {"launchTemplate": LAUNCH_TEMPLATE_REF}, {"launchTemplate": {}}, "root volume"),
    # launch configurations, spot fleets and data-only templates (issue 23)
    ("imdsv2-required", pol.LAUNCH_CONFIGURATION,
     {"metadataOptions": IMDS_OK, "rootBlockDevice": ROOT_OK}, {"rootBlockDevice": ROOT_OK},
     "IMDSv1"),
    ("storage-encrypted", pol.LAUNCH_CONFIGURATION,
     {"rootBlockDevice": ROOT_OK, "ebsBlockDevices": [{"deviceName": "/dev/sdf",
                                                       "encrypted": True}]},
     {"metadataOptions": IMDS_OK}, "root volume"),
    ("storage-encrypted", pol.LAUNCH_CONFIGURATION,
     {"rootBlockDevice": ROOT_OK},
     {"rootBlockDevice": ROOT_OK, "ebsBlockDevices": [{"deviceName": "/dev/sdg"}]}, "/dev/sdg"),
    ("imdsv2-required", pol.SPOT_FLEET,
     {"launchTemplateConfigs": [{"launchTemplateSpecification": LAUNCH_TEMPLATE_REF}]},
     {"launchSpecifications": [SPOT_SPEC]}, "launch_specifications[0] cannot require IMDSv2"),
    ("storage-encrypted", pol.SPOT_FLEET,
     {"launchSpecifications": [SPOT_SPEC]},
     {"launchSpecifications": [{**SPOT_SPEC, "rootBlockDevices": []}]},
     "launch_specifications[0]: the root volume"),
    ("storage-encrypted", pol.SPOT_FLEET,
     {"launchSpecifications": [SPOT_SPEC]},
     {"launchSpecifications": [{**SPOT_SPEC, "rootBlockDevices": [{"volumeSize": 8}]}]},
     "launch_specifications[0]: the root volume"),
    ("storage-encrypted", pol.LAUNCH_TEMPLATE,
     {"blockDeviceMappings": [*ENCRYPTED_ROOT, DATA_DEVICE]},
     {"blockDeviceMappings": [DATA_DEVICE]},
     "no EBS block device mapping for the root device"),
    ("storage-encrypted", pol.EBS_VOLUME, {"encrypted": True, "size": 10}, {"size": 10},
     "not encrypted"),
    ("storage-encrypted", "aws:rds/instance:Instance",
     {"storageEncrypted": True, "engine": "mysql"}, {"engine": "mysql"}, "database storage"),
    ("storage-encrypted", "aws:rds/cluster:Cluster",
     {"storageEncrypted": True}, {"storageEncrypted": False}, "database storage"),
    ("storage-encrypted", pol.EFS, {"encrypted": True}, {"encrypted": False}, "not encrypted"),
    ("no-secret-in-environment", pol.TASK_DEFINITION,
     {"containerDefinitions": container_definitions("RAILS_ENV", "APPDB_PORT_3306_TCP_ADDR")},
     {"containerDefinitions": container_definitions("RAILS_ENV", "MYSQL_ROOT_PASSWORD")},
     "MYSQL_ROOT_PASSWORD"),
    ("no-secret-in-environment", pol.TASK_DEFINITION,
     {"containerDefinitions": container_definitions("PORT")},
     {"containerDefinitions": container_definitions("GITHUB_TOKEN", "API_KEY")}, "API_KEY"),
    *[("no-secret-in-environment", pol.TASK_DEFINITION,
       {"containerDefinitions": container_definitions(good)},
       {"containerDefinitions": container_definitions(bad)}, bad)
      for good, bad in [("BYPASS_CACHE", "DB_PASS"), ("OLDPWD", "DB_PWD"),
                        ("PASSENGER_MIN", "MYSQL_PASSWD"), ("AUTHOR", "AUTH"),
                        ("CREDITS", "AWS_CREDENTIALS"), ("PATH", "GITHUB_PAT"),
                        ("PWRITE_SIZE", "DB_PW"), ("SALTED", "PASSWORD_SALT"),
                        ("OAUTH_URL", "JWT_SIGNING"), ("MD5_SUM", "DB_PW2"),
                        ("SESSION_TIMEOUT", "WIFI_PSK")]],
    ("no-secret-in-environment", pol.TASK_DEFINITION,
     {"containerDefinitions": container_definitions(DATABASE_URL="mysql2://appdb:3306/app")},
     {"containerDefinitions": container_definitions(DATABASE_URL=URL_WITH_PASSWORD)},
     "DATABASE_URL holds a URL with a password"),
    ("no-secret-in-environment", pol.LAMBDA,
     lambda_environment(TABLE="notes", DB_SECRET_ARN="arn:aws:secretsmanager:x"),
     lambda_environment(TABLE="notes", DB_PASS="x"), "Lambda environment: DB_PASS"),
    ("no-secret-in-environment", pol.LAMBDA,
     lambda_environment(REDIS_URL="redis://cache:6379/0"),
     lambda_environment(REDIS_URL="redis://:hunter2@cache:6379/0"), "REDIS_URL holds a URL"),
    # secrets by value, other spellings, Batch, App Runner and CodeBuild (issue 23)
    *[("no-secret-in-environment", pol.TASK_DEFINITION,
       {"containerDefinitions": container_definitions(BUILD_ID="b-1234", DB_HOST="appdb")},
       {"containerDefinitions": container_definitions(BUILD_ID=value)}, f"BUILD_ID holds {form}")
      for form, value in KEYS.items()],
    ("no-secret-in-environment", pol.TASK_DEFINITION,
     {"containerDefinitions": container_definitions(DB=DSN)},
     {"containerDefinitions": container_definitions(DB=f"{DSN};Password={PASSWORD}")},
     "DB holds a connection string with a password"),
    ("no-secret-in-environment", pol.TASK_DEFINITION,
     {"containerDefinitions": container_definitions(DSN="rails@tcp(appdb:3306)/app")},
     {"containerDefinitions": container_definitions(DSN=f"rails:{PASSWORD}@tcp(appdb:3306)/app")},
     "DSN holds a DSN with a password"),
    ("no-secret-in-environment", pol.LAMBDA,
     lambda_environment(PG="host=db user=app sslmode=require"),
     lambda_environment(PG=f"host=db user=app password={PASSWORD}"), "PG holds a connection"),
    ("no-secret-in-environment", pol.LAMBDA,
     lambda_environment(DB_SECRET_ARN=SECRET_ARN), lambda_environment(DB_SECRET_ARN=PASSWORD),
     "DB_SECRET_ARN ends in ARN but does not hold an ARN"),
    ("no-secret-in-environment", pol.TASK_DEFINITION,
     {"containerDefinitions": container_definitions(MYSQL_PASSWORD_FILE="/run/secrets/db")},
     {"containerDefinitions": container_definitions(MYSQL_PASSWORD_FILE=PASSWORD)},
     "MYSQL_PASSWORD_FILE ends in FILE but does not hold an absolute path"),
    ("no-secret-in-environment", pol.BATCH_JOB,
     batch(image="fio", environment=[{"name": "JOBFILES", "value": "a.fio"}]),
     batch(image="fio", environment=[{"name": "DB_PASSWORD", "value": PASSWORD}]),
     "Batch container environment: DB_PASSWORD"),
    ("no-secret-in-environment", pol.APP_RUNNER,
     app_runner({"RAILS_ENV": "production"}), app_runner({"SECRET_KEY_BASE": PASSWORD}),
     "App Runner image runtimeEnvironmentVariables: SECRET_KEY_BASE"),
    ("no-secret-in-environment", pol.APP_RUNNER,
     app_runner({"RAILS_ENV": "production"}, source="code"),
     app_runner({"DATABASE_URL": URL_WITH_PASSWORD}, source="code"),
     "App Runner code runtimeEnvironmentVariables: DATABASE_URL holds a URL"),
    ("no-secret-in-environment", pol.CODEBUILD,
     codebuild({"name": "GITHUB_TOKEN", "value": "ci/github-token", "type": "SECRETS_MANAGER"}),
     codebuild({"name": "GITHUB_TOKEN", "value": KEYS["a GitHub token"]}),
     "CodeBuild PLAINTEXT environment: GITHUB_TOKEN"),
    ("no-secret-in-environment", pol.CODEBUILD,
     codebuild({"name": "STAGE", "value": "prod", "type": "PLAINTEXT"}),
     codebuild({"name": "NPM_PW", "value": PASSWORD, "type": "PLAINTEXT"}), "NPM_PW"),
    # command lines and user data (issue 23)
    ("no-secret-in-command-or-user-data", pol.TASK_DEFINITION,
     task(command=["bin/rails", "db:migrate", "--password-file=/run/secrets/db"]),
     task(command=["bin/rails", "db:migrate", f"--password={PASSWORD}"]),
     "container web command: --password= sets a secret"),
    ("no-secret-in-command-or-user-data", pol.TASK_DEFINITION,
     task(entryPoint=["mysql", "-uroot", '-p"$MYSQL_ROOT_PASSWORD"', "-p"]),
     task(entryPoint=["mysql", "-uroot", f"-p{PASSWORD}"]),
     "container web entryPoint: mysql's -p sets a secret"),
    ("no-secret-in-command-or-user-data", pol.TASK_DEFINITION,
     task(healthCheck={"command": ["CMD-SHELL", "mysqladmin --protocol=tcp -h 127.0.0.1 ping"]}),
     task(healthCheck={"command": ["CMD-SHELL", f"mysqladmin -uroot -p{PASSWORD} ping"]}),
     "container web healthCheck: mysql's -p"),
    ("no-secret-in-command-or-user-data", pol.TASK_DEFINITION,
     task(command=["fetch", "--token", "$GITHUB_TOKEN", "--no-auth", "repo"]),
     task(command=["fetch", "--token", KEYS["a GitHub token"]]),
     "container web command: an argument holds a GitHub token"),
    ("no-secret-in-command-or-user-data", pol.TASK_DEFINITION,
     task(command=["sh", "-c", "curl https://example.com/x"]),
     task(command=["sh", "-c", f"curl https://deploy:{PASSWORD}@example.com/x"]),
     "an argument holds a URL with a password"),
    ("no-secret-in-command-or-user-data", pol.BATCH_JOB,
     batch(image="fio", command=["fio", "--output-format=json", "job.fio"]),
     batch(image="fio", command=["upload", "--api-key", PASSWORD]),
     "Batch container command: --api-key sets a secret"),
    ("no-secret-in-command-or-user-data", pol.APP_RUNNER,
     app_runner({}), app_runner({}, start=f"bin/start DB_PASSWORD={PASSWORD}"),
     "App Runner image startCommand: DB_PASSWORD= sets a secret"),
    ("no-secret-in-command-or-user-data", pol.INSTANCE,
     {"userData": SCRIPT_OK, "tags": TAGS},
     {"userData": f"#!/bin/bash\nexport DB_PASSWORD='{PASSWORD}'\n", "tags": TAGS},
     "userData: DB_PASSWORD= sets a secret"),
    ("no-secret-in-command-or-user-data", pol.LAUNCH_TEMPLATE,
     {"userData": b64(SCRIPT_OK)},
     {"userData": b64(f"aws configure set aws_access_key_id {KEYS['an AWS access key id']}")},
     "userData: an argument holds an AWS access key id"),
    ("no-secret-in-command-or-user-data", pol.LAUNCH_TEMPLATE,
     {"userData": b64(SCRIPT_OK, gzipped=True)},
     {"userData": b64("#cloud-config\nwrite_files:\n- content: |\n    "
                      + KEYS["a PEM private key"].replace("\n", "\n    "), gzipped=True)},
     "userData: an argument holds a PEM private key"),
    ("no-secret-in-command-or-user-data", pol.LAUNCH_CONFIGURATION,
     {"userDataBase64": b64(SCRIPT_OK)},
     {"userDataBase64": b64(f"#!/bin/sh\nmysql -uroot -p{PASSWORD} < /tmp/init.sql\n")},
     "userDataBase64: mysql's -p"),
    ("no-secret-in-command-or-user-data", pol.SPOT_FLEET,
     {"launchSpecifications": [{**SPOT_SPEC, "userData": SCRIPT_OK}]},
     {"launchSpecifications": [{**SPOT_SPEC, "userData": f"SLACK_TOKEN={KEYS['a Slack token']}"}]},
     "launch_specifications[0] userData"),
    ("required-tags", "aws:ec2/instance:Instance", {"tags": TAGS},
     {"tags": {"Project": "dockyard"}}, "Stack, ManagedBy"),
    ("required-tags", "aws:autoscaling/group:Group",
     {"tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in TAGS.items()]},
     {}, "Project, Stack, ManagedBy"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "typ", "good", "bad", "words"),
    CASES,
    ids=[f"{c[0]}-{c[1].rsplit(':', 1)[-1]}-{i}" for i, c in enumerate(CASES)],
)
def test_resource_policy_passes_good_and_reports_bad(
    policy: str, typ: str, good: dict[str, Any], bad: dict[str, Any], words: str
) -> None:
    """The validation reports nothing for the good resource and names the problem in the bad."""
    validate = pol.RESOURCE_VALIDATIONS[policy][1]
    assert violations(validate, resource_args(typ, good)) == []
    found = violations(validate, resource_args(typ, bad))
    assert found, f"{policy} let {bad} through"
    assert any(words in message for message in found), found


@pytest.mark.parametrize(
    ("policy", "typ", "good", "bad", "words"),
    CASES,
    ids=[f"{c[0]}-{c[1].rsplit(':', 1)[-1]}-{i}" for i, c in enumerate(CASES)],
)
def test_resource_policy_reads_the_engines_proxied_props(
    policy: str, typ: str, good: dict[str, Any], bad: dict[str, Any], words: str
) -> None:
    """The same cases with props wrapped as pulumi-policy hands them over (its lists are
    Sequences, not lists; its mappings raise on unknown values): the same findings."""
    validate = pol.RESOURCE_VALIDATIONS[policy][1]
    assert violations(validate, resource_args(typ, unknown_checking_proxy(good))) == []
    found = violations(validate, resource_args(typ, unknown_checking_proxy(bad)))
    assert found == violations(validate, resource_args(typ, bad)), found


@pytest.mark.parametrize(
    ("cidr", "wide"),
    [
        ("0.0.0.0/0", True), ("0.0.0.0/1", True), ("128.0.0.0/1", True),
        ("198.0.0.0/15", True), ("198.51.0.0/16", False), ("203.0.113.7/32", False),
        ("10.0.0.0/8", False), ("172.16.0.0/12", False), ("100.64.0.0/10", False),
        ("10.0.0.0/7", True),  # 11.0.0.0/8 is public
        ("::/0", True), ("2000::/3", True), ("2001:db8::/32", False), ("fd00::/8", False),
    ],
)  # fmt: skip
def test_what_counts_as_the_world(cidr: str, wide: bool) -> None:
    """A public CIDR wider than /16 (IPv4) or /32 (IPv6) is the world; private ranges never."""
    assert (pol._wide_open([cidr]) == [cidr]) is wide


SECRETS = [PASSWORD, *KEYS.values(), *(k.split("\n")[0] for k in KEYS.values())]


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c[0].startswith("no-secret")],
    ids=lambda c: c[-1][:40],
)
def test_secret_messages_never_repeat_a_secret(
    case: tuple[str, str, dict[str, Any], dict[str, Any], str],
) -> None:
    """Whatever form a secret takes, the report names where it is, never the secret."""
    policy, typ, _, bad, _ = case
    found = violations(pol.RESOURCE_VALIDATIONS[policy][1], resource_args(typ, bad))
    leaked = [m for m in found for secret in SECRETS if secret in m]
    assert found and not leaked, leaked


def test_environment_messages_never_repeat_a_value() -> None:
    """A URL's password is reported by the variable's name, never by its value."""
    args = resource_args(
        pol.TASK_DEFINITION,
        {"containerDefinitions": container_definitions(DATABASE_URL=URL_WITH_PASSWORD)},
    )
    found = violations(pol.no_secret_in_environment, args)
    assert found and not any("Hunter2Secret" in m for m in found), found


def test_lambda_is_taggable() -> None:
    """pulumi_aws.lambda_ (a Python keyword gets an underscore) is found: Lambda needs tags."""
    found = violations(pol.required_tags, resource_args(pol.LAMBDA, {}))
    assert found and "Project" in found[0]


def test_required_tags_ignores_untaggable_types() -> None:
    """Types without `tags` in pulumi-aws (or outside AWS) need none."""
    for typ in (
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
        "tls:index/privateKey:PrivateKey",
        "dockyard:network:ClusterNetwork",
    ):
        assert violations(pol.required_tags, resource_args(typ, {})) == []


def policy_resource(
    typ: str, name: str, props: dict[str, Any], deps: dict[str, list[PolicyResource]] | None = None
) -> PolicyResource:
    flat = [d for ds in (deps or {}).values() for d in ds]
    return PolicyResource(typ, props, f"urn:pulumi:dev::dockyard::{typ}::{name}", name, _opts(),
                          None, None, flat, deps or {})  # fmt: skip


BLOCK_ALL = dict.fromkeys(pol.PUBLIC_ACCESS_FLAGS, True)


def bucket_stack(block: dict[str, Any] | None, status: str | None) -> StackValidationArgs:
    bucket = policy_resource("aws:s3/bucket:Bucket", "data", {"bucket": "data-bucket"})
    resources = [bucket]
    if block is not None:
        resources.append(
            policy_resource(pol.PUBLIC_ACCESS_BLOCK, "data-pab", block, {"bucket": [bucket]})
        )
    if status is not None:
        resources.append(
            policy_resource(
                pol.VERSIONINGS[0],
                "data-versioning",
                {"bucket": "data-bucket", "versioningConfiguration": {"status": status}},
            )
        )
    return StackValidationArgs(resources)


@pytest.mark.parametrize(
    ("block", "status", "words"),
    [
        (None, "Enabled", "BucketPublicAccessBlock"),
        ({**BLOCK_ALL, "restrictPublicBuckets": False}, "Enabled", "BucketPublicAccessBlock"),
        (BLOCK_ALL, None, "Enabled"),
        (BLOCK_ALL, "Suspended", "Enabled"),
    ],
)
def test_bucket_policy_reports_public_or_unversioned(
    block: dict[str, Any] | None, status: str | None, words: str
) -> None:
    """A bucket lacking a full public access block or enabled versioning is reported."""
    found = violations(pol.buckets_private_and_versioned, bucket_stack(block, status))
    assert len(found) == 1 and words in found[0], found


def test_bucket_policy_passes_private_versioned_bucket() -> None:
    """A bucket with all four public access flags and versioning Enabled passes."""
    assert violations(pol.buckets_private_and_versioned, bucket_stack(BLOCK_ALL, "Enabled")) == []


@pytest.mark.parametrize(("named", "passes"), [("data", False), ("data-bucket", True)])
def test_public_access_block_names_the_bucket_not_its_pulumi_name(named: str, passes: bool) -> None:
    """A public access block naming the bucket's Pulumi name ("data") is for some other
    bucket called "data"; naming the bucket's own name ("data-bucket") counts."""
    args = bucket_stack(None, "Enabled")
    block = policy_resource(pol.PUBLIC_ACCESS_BLOCK, "data-pab", {**BLOCK_ALL, "bucket": named})
    found = violations(
        pol.buckets_private_and_versioned, StackValidationArgs([*args.resources, block])
    )
    assert (found == []) is passes, found


TEMPLATE_OK = {"name": "ecs-template", "metadataOptions": IMDS_OK,
               "blockDeviceMappings": ENCRYPTED_ROOT, "tags": TAGS}  # fmt: skip


def instance_with_template(template: PolicyResource | None, by: str) -> PolicyResource:
    """An instance that sets no IMDS options or root volume and names a launch template."""
    props = {"launchTemplate": {"name": "elsewhere"}, "tags": TAGS}
    deps = {}
    if template is not None and by == "dependency":
        deps = {"launchTemplate": [template]}
    elif template is not None:
        props["launchTemplate"] = LAUNCH_TEMPLATE_REF
    return policy_resource(pol.INSTANCE, "host", props, deps)


@pytest.mark.parametrize("by", ["dependency", "name"])
def test_instance_on_a_checked_launch_template_passes_every_policy(by: str) -> None:
    """The false positive of issue 12: an instance whose launch template (in this stack,
    found by dependency or by name) requires IMDSv2 and encrypts the root is not reported."""
    template = policy_resource(pol.LAUNCH_TEMPLATE, "ecs-template", TEMPLATE_OK)
    assert policy_violations([template, instance_with_template(template, by)]) == []


def test_instance_on_a_template_outside_the_stack_is_reported() -> None:
    """A launch template the pack cannot see leaves IMDS and the root volume unchecked."""
    found = policy_violations([instance_with_template(None, "")])
    assert len(found) == 1 and found[0].startswith("launch-template-in-stack: "), found
    assert "metadataOptions and rootBlockDevice" in found[0]


def launcher(typ: str, props: dict[str, Any], key: str, template: PolicyResource | None
             ) -> PolicyResource:  # fmt: skip
    """An Auto Scaling group or spot fleet on `template` (by dependency on `key`), or on
    "elsewhere" (not in the stack) without one."""
    return policy_resource(typ, "fleet", {**props, "tags": TAGS},
                           {key: [template]} if template is not None else {})  # fmt: skip


OUTSIDE_REF = {"name": "elsewhere", "version": "$Latest"}
MIXED = {"launchTemplate": {"launchTemplateSpecification": {"launchTemplateName": "elsewhere"}}}
LAUNCHERS = [
    (pol.AUTOSCALING_GROUP, {"launchTemplate": OUTSIDE_REF}, "launchTemplate",
     pol.LAUNCH_TEMPLATE, "launches from a launch template"),
    (pol.AUTOSCALING_GROUP, {"mixedInstancesPolicy": MIXED}, "mixedInstancesPolicy",
     pol.LAUNCH_TEMPLATE, "mixed instances policy's launch template"),
    (pol.AUTOSCALING_GROUP, {"launchConfiguration": "elsewhere"}, "launchConfiguration",
     pol.LAUNCH_CONFIGURATION, "launch configuration"),
    (pol.SPOT_FLEET, {"launchTemplateConfigs": [{"launchTemplateSpecification": OUTSIDE_REF}]},
     "launchTemplateConfigs", pol.LAUNCH_TEMPLATE, "launch_template_configs[0]"),
]  # fmt: skip


@pytest.mark.parametrize(("typ", "props", "key", "target", "words"), LAUNCHERS)
def test_group_or_fleet_on_a_template_outside_the_stack_is_reported(
    typ: str, props: dict[str, Any], key: str, target: str, words: str
) -> None:
    """An Auto Scaling group or spot fleet launching from a template or configuration the
    pack cannot see is reported; on one of this stack's (by dependency) it passes."""
    found = violations(
        pol.launch_template_in_stack, StackValidationArgs([launcher(typ, props, key, None)])
    )
    assert len(found) == 1 and words in found[0] and "not in this stack" in found[0], found
    template = policy_resource(target, "tpl", {"name": "tpl-1"})
    args = StackValidationArgs([template, launcher(typ, props, key, template)])
    assert violations(pol.launch_template_in_stack, args) == []


def test_mixed_instances_policy_finds_the_template_by_name() -> None:
    """A mixed instances policy names its template with launchTemplateName: this stack's
    template of that name passes."""
    template = policy_resource(pol.LAUNCH_TEMPLATE, "ecs", {**TEMPLATE_OK, "name": "elsewhere"})
    group = launcher(pol.AUTOSCALING_GROUP, {"mixedInstancesPolicy": MIXED}, "", None)
    assert violations(pol.launch_template_in_stack, StackValidationArgs([template, group])) == []


def test_a_pulumi_resource_name_is_not_a_reference() -> None:
    """A launch template reference naming the template's Pulumi name, not its `name`
    property, is not that template (another account's template may have that name)."""
    template = policy_resource(pol.LAUNCH_TEMPLATE, "ecs-template", {**TEMPLATE_OK, "name": "lt-9"})
    found = violations(
        pol.launch_template_in_stack,
        StackValidationArgs([template, instance_with_template(template, "name")]),
    )
    assert len(found) == 1 and "not in this stack" in found[0], found


def prefix_list(cidr: str) -> PolicyResource:
    return policy_resource(pol.PREFIX_LIST, "admins", {"id": "pl-0123", "addressFamily": "IPv4",
                           "entries": [{"cidr": cidr}], "maxEntries": 5, "tags": TAGS})  # fmt: skip


PREFIX_LIST_RULES = [
    (pol.SG_INGRESS_RULE, "prefixListId",
     lambda port, ref: {"prefixListId": ref, "fromPort": port, "toPort": port,
                        "ipProtocol": "tcp", "tags": TAGS}),
    (pol.SG_RULE, "prefixListIds",
     lambda port, ref: {"type": "ingress", "prefixListIds": [ref], "fromPort": port,
                        "toPort": port, "protocol": "tcp"}),
    (pol.SGS[0], "ingress",
     lambda port, ref: {"ingress": [{"prefixListIds": [ref], "fromPort": port, "toPort": port,
                                     "protocol": "tcp"}], "tags": TAGS}),
]  # fmt: skip


@pytest.mark.parametrize("by", ["dependency", "id"])
@pytest.mark.parametrize(("typ", "key", "rule"), PREFIX_LIST_RULES)
def test_admin_port_open_through_a_prefix_list(
    typ: str, key: str, rule: Callable[[float, str], dict[str, Any]], by: str
) -> None:
    """An ingress rule (each form) from this stack's prefix list holding 0.0.0.0/0 to port 22
    is reported; the same list to 443, or a list of specific CIDRs to 22, passes."""

    def stack(cidr: str, port: float) -> StackValidationArgs:
        plist = prefix_list(cidr)
        ref = "(unknown)" if by == "dependency" else "pl-0123"
        deps = {key: [plist]} if by == "dependency" else {}
        return StackValidationArgs([plist, policy_resource(typ, "ssh", rule(port, ref), deps)])

    found = violations(pol.no_admin_port_open_indirectly, stack("0.0.0.0/0", 22.0))
    assert len(found) == 1 and "22" in found[0] and "prefix list admins" in found[0], found
    assert violations(pol.no_admin_port_open_indirectly, stack("0.0.0.0/0", 443.0)) == []
    assert violations(pol.no_admin_port_open_indirectly, stack("198.51.100.0/24", 22.0)) == []


def nlb_stack(port: float, internal: bool | None, typ: str = "network", protocol: str = "TCP",
              target_port: float | None = None) -> StackValidationArgs:  # fmt: skip
    """A load balancer with one listener on `port`, forwarding to a target group on
    `target_port` when one is given."""
    props: dict[str, Any] = {"loadBalancerType": typ, "tags": TAGS}
    if internal is not None:
        props["internal"] = internal
    lb = policy_resource(pol.LOAD_BALANCERS[0], "nlb", props)
    resources = [lb]
    deps: dict[str, list[PolicyResource]] = {"loadBalancerArn": [lb]}
    if target_port is not None:
        group = policy_resource(pol.TARGET_GROUPS[0], "hosts", {"port": target_port,
                                "protocol": protocol, "tags": TAGS})  # fmt: skip
        resources.append(group)
        deps["defaultActions"] = [group]
    listener = policy_resource(pol.LISTENERS[0], "nlb-ssh",
                               {"port": port, "protocol": protocol, "tags": TAGS,
                                "defaultActions": [{"type": "forward",
                                                    "targetGroupArn": "(unknown)"}]},
                               deps)  # fmt: skip
    return StackValidationArgs([*resources, listener])


@pytest.mark.parametrize(
    ("stack", "words"),
    [(nlb_stack(22.0, None), "22"), (nlb_stack(22.0, False), "22"),
     (nlb_stack(4789.0, None, protocol="UDP"), "4789/udp"),
     (nlb_stack(2376.0, None, protocol="TLS"), "2376"),
     (nlb_stack(2222.0, None, target_port=22.0), "22")],
)  # fmt: skip
def test_admin_port_on_a_public_network_load_balancer(
    stack: StackValidationArgs, words: str
) -> None:
    """An internet-facing NLB listener on SSH, Docker TLS or a cluster port, or forwarding to
    a target group on one, is reported."""
    found = violations(pol.no_admin_port_open_indirectly, stack)
    assert len(found) == 1 and words in found[0] and "listener nlb-ssh" in found[0], found


@pytest.mark.parametrize(
    "stack",
    [nlb_stack(22.0, True), nlb_stack(443.0, None), nlb_stack(4789.0, None, protocol="TCP"),
     nlb_stack(443.0, None, target_port=8443.0), nlb_stack(2222.0, True, target_port=22.0),
     nlb_stack(8000.0, None, typ="application", protocol="HTTP")],
)  # fmt: skip
def test_internal_or_public_port_load_balancer_passes(stack: StackValidationArgs) -> None:
    """An internal NLB on 22, a public NLB on 443 (or on a UDP-only cluster port over TCP),
    and an application load balancer are not this policy's business."""
    assert violations(pol.no_admin_port_open_indirectly, stack) == []


def test_stack_policies_survive_unknown_references() -> None:
    """In a preview a reference computed from another resource is unknown (pulumi-policy
    raises on reading it): references are still found by dependency, and an unknown one
    is not taken for another resource (an ALB listener is not the NLB's)."""
    unknown = UNKNOWN_STRING_VALUE

    def proxied(typ: str, name: str, props: dict[str, Any], deps: Any = None) -> PolicyResource:
        return policy_resource(typ, name, unknown_checking_proxy({**props, "tags": TAGS}), deps)

    nlb = proxied(pol.LOAD_BALANCERS[0], "nlb", {"loadBalancerType": "network"})
    alb = proxied(pol.LOAD_BALANCERS[0], "alb", {"loadBalancerType": "application"})
    template = proxied(pol.LAUNCH_TEMPLATE, "ecs", TEMPLATE_OK)
    resources = [
        nlb, alb, template,
        proxied(pol.LISTENERS[0], "tls", {"port": 443, "protocol": "TLS",
                                          "loadBalancerArn": unknown}, {"loadBalancerArn": [nlb]}),
        proxied(pol.LISTENERS[0], "web", {"port": 8000, "protocol": "HTTP",
                                          "loadBalancerArn": unknown}, {"loadBalancerArn": [alb]}),
        proxied(pol.AUTOSCALING_GROUP, "asg", {"launchTemplate": {"id": unknown}},
                {"launchTemplate": [template]}),
    ]  # fmt: skip
    for _, validate in pol.STACK_VALIDATIONS.values():
        assert violations(validate, StackValidationArgs(resources)) == []


def graph_resources(evaluation: Evaluation) -> list[PolicyResource]:
    """The recorded graph as the analyzer sees it, property dependencies included."""
    by_urn = {r.urn: policy_resource(r.typ, r.name, r.inputs, {}) for r in evaluation.resources}
    for r in evaluation.resources:
        resolved = by_urn[r.urn]
        for key, urns in r.dependencies.items():
            targets = [by_urn[u] for u in urns if u in by_urn]
            resolved.property_dependencies[key] = targets
            resolved.dependencies.extend(targets)
    return list(by_urn.values())


@pytest.fixture(scope="module", params=stack_names())
def stack_graph(request: pytest.FixtureRequest) -> tuple[str, list[PolicyResource]]:
    return request.param, graph_resources(evaluate_stack(request.param))


def policy_violations(resources: list[PolicyResource]) -> list[str]:
    """Every violation of every resource and stack policy in a recorded graph."""
    found = []
    for name, (_, validate) in pol.RESOURCE_VALIDATIONS.items():
        for r in resources:
            args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, None)
            found += [
                f"{name}: {r.resource_type} {r.name}: {m}" for m in violations(validate, args)
            ]
    for name, (_, validate_stack) in pol.STACK_VALIDATIONS.items():
        found += [
            f"{name}: {m}" for m in violations(validate_stack, StackValidationArgs(resources))
        ]
    return found


def test_program_graph_passes_every_policy(stack_graph: tuple[str, list[PolicyResource]]) -> None:
    """Every resource of each committed stack's graph passes every resource and stack policy."""
    stack, resources = stack_graph
    assert len(resources) > 20
    found = policy_violations(resources)
    assert found == [], f"stack {stack}:\n" + "\n".join(found)


def test_policies_find_violations_in_a_recorded_graph() -> None:
    """Run over a recorded graph, the pack does report a problem: SSH open to the world."""
    evaluation = evaluate_stack("dev", replace(stack_config("dev"), values={
        **stack_config("dev").values, "dockyard:adminCidrs": ["0.0.0.0/0"]}))  # fmt: skip
    found = policy_violations(graph_resources(evaluation))
    assert found and all(f.startswith("no-admin-port-open-to-world: ") for f in found), found


def test_consumer_example_passes_every_policy() -> None:
    """The example consumer, fed our outputs, also passes the pack (tags, no open ports)."""
    ours = evaluate_stack("dev")
    consumer = run_consumer(ours.outputs, ours.secret_outputs)
    resources = graph_resources(consumer)
    assert any(r.resource_type == pol.SG_INGRESS_RULE for r in resources)
    assert policy_violations(resources) == []


def test_every_policy_is_mandatory() -> None:
    """The pack's policies are all mandatory (a violation stops the preview)."""
    from pulumi_policy import EnforcementLevel

    assert {p.enforcement_level for p in pol.policies()} == {EnforcementLevel.MANDATORY}
    assert len(pol.policies()) == len(pol.RESOURCE_VALIDATIONS) + len(pol.STACK_VALIDATIONS)


def test_pack_starts_and_serves() -> None:
    """policy/__main__.py builds the PolicyPack (pulumi-policy checks names and policies)
    and starts its analyzer server, printing the port, as the Pulumi CLI expects."""
    import os
    import selectors
    import subprocess

    process = subprocess.Popen(
        [sys.executable, "__main__.py"],
        cwd=REPO / "policy",
        # pulumi-policy writes the port without flushing; Pulumi's Python language host
        # runs packs unbuffered, and so does this test (else it waits for ever).
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=60)
        if not ready:
            process.kill()
            pytest.fail(f"no port within 60 s; stderr: {process.stderr.read()}")
        port = process.stdout.readline().strip()
        assert port.isdigit(), process.stderr.read() if process.poll() is not None else port
    finally:
        process.kill()
        process.wait()


def test_policy_admin_ports_match_the_program() -> None:
    """The pack runs in its own venv, so it keeps its own port lists: they must equal the
    program's admin ports and cluster rules."""
    from dockyard.netrules import ADMIN_PORTS, CLUSTER_RULES

    assert set(pol.ADMIN_PORTS) == set(ADMIN_PORTS)
    assert set(pol.CLUSTER_PORTS) == {(r.protocol, r.from_port, r.to_port) for r in CLUSTER_RULES}


def test_policy_refuses_a_secret_in_rails_env_and_passes_stored_secrets() -> None:
    """railsEnv under a harmless name but holding a URL with a password: the pack reports
    it on the web task definition (never repeating it); the same secret given in
    railsSecretValues (stored in Secrets Manager, injected by ARN) passes every policy."""
    base = stack_config("dev")
    url = "mysql://app:hunter2pw@db.example.com/app"
    plain = evaluate_stack("dev", replace(base, values={
        **base.values, "dockyard:railsEnv": {"UPSTREAM": url}}))  # fmt: skip
    found = policy_violations(graph_resources(plain))
    assert found and all(f.startswith("no-secret-in-environment: ") for f in found), found
    assert not any("hunter2pw" in f for f in found)
    key = "dockyard:railsSecretValues"
    stored = evaluate_stack("dev", replace(
        base, values={**base.values, key: {"UPSTREAM": url}},
        secret_keys=(*base.secret_keys, key)))  # fmt: skip
    assert policy_violations(graph_resources(stored)) == []
