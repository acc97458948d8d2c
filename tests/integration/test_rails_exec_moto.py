"""ECS Exec as the Rails flow configures it, replayed into a real ECS and IAM emulator (moto
server) and checked against the requirements aws-containers/amazon-ecs-exec-checker's
check-ecs-exec.sh lists: the cluster's executeCommandConfiguration as describe-clusters
(--include CONFIGURATIONS) returns it; the task role's actions (the four ssmmessages
channels, and with a CloudWatch log group in that configuration logs:DescribeLogGroups on
"*" and CreateLogStream, DescribeLogStreams, PutLogEvents on the group), evaluated by
moto's IAM policy engine on the policy moto stored; enableExecuteCommand on the web service
(moto's CreateService drops it, so botocore's model judges that request).
"""

from __future__ import annotations

import json

import pytest

from tests.harness.botocore_model import ecs_input_errors
from tests.harness.moto import REGION, MotoServer
from tests.harness.pulumi_program import RecordingMocks, evaluate

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
"""moto's account id."""
SSM_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)
"""check-ecs-exec.sh: the task role's required permissions."""
LOG_GROUP_ACTIONS = ("logs:DescribeLogGroups",)
"""check-ecs-exec.sh: simulated on Resource "*" when a CloudWatch log group is configured."""
LOG_STREAM_ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
"""check-ecs-exec.sh: simulated on arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*."""
CLUSTER = "aws:ecs/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _allowed(policy: str, action: str, resource: str) -> bool:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    return IAMPolicy(policy).is_action_permitted(action, resource) == PermissionResult.PERMITTED


@pytest.mark.parametrize("capacity", ["fargate", "ec2"])
def test_exec_meets_the_checkers_requirements(moto_server: MotoServer, capacity: str) -> None:
    """Cluster logging OVERRIDE to the stack's exec log group, the web task role allowed
    every action the checker simulates (on the resources it simulates them on), and the
    web service's enableExecuteCommand in a CreateService request botocore accepts."""
    config = {
        "dockyard:rails": "true",
        "dockyard:dockerHosts": "false",
        "dockyard:railsCapacity": capacity,
    }
    evaluation = evaluate(config, mocks=RecordingMocks())
    (cluster,) = evaluation.of_type(CLUSTER)
    (exec_group,) = [r for r in evaluation.of_type(LOG_GROUP) if r.name == "rails-ecs-exec-logs"]
    ecs = moto_server.client("ecs")
    # the recorded inputs are in the engine's camelCase, as ECS's API spells them
    ecs.create_cluster(
        clusterName=cluster.inputs["name"], configuration=cluster.inputs["configuration"]
    )
    (described,) = ecs.describe_clusters(
        clusters=[cluster.inputs["name"]], include=["CONFIGURATIONS"]
    )["clusters"]
    exec_config = described["configuration"]["executeCommandConfiguration"]
    group_name = exec_group.inputs["name"]
    assert exec_config["logging"] == "OVERRIDE"
    assert exec_config["logConfiguration"]["cloudWatchLogGroupName"] == group_name
    assert "kmsKeyId" not in exec_config and "s3BucketName" not in exec_config["logConfiguration"]

    logs = moto_server.client("logs")
    logs.create_log_group(logGroupName=group_name)
    group_arn = logs.describe_log_groups(logGroupNamePrefix=group_name)["logGroups"][0]["arn"]
    group_arn = group_arn.removesuffix(":*")  # the provider's arn attribute has no ":*"
    recorded = json.loads(evaluation.named("rails-web-task-exec").inputs["policy"])
    # the mocks' log group ARN stands in for the one AWS assigns: put moto's in its place
    text = json.dumps(recorded).replace(exec_group.outputs["arn"], group_arn)
    iam = moto_server.client("iam")
    trust = evaluation.named("rails-web-task").inputs["assumeRolePolicy"]
    iam.create_role(RoleName="rails-web-task", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="rails-web-task", PolicyName="exec", PolicyDocument=text)
    stored = iam.get_role_policy(RoleName="rails-web-task", PolicyName="exec")["PolicyDocument"]
    stored_text = stored if isinstance(stored, str) else json.dumps(stored)
    checker_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group_name}:*"
    for action in (*SSM_ACTIONS, *LOG_GROUP_ACTIONS):
        assert _allowed(stored_text, action, "*"), action
    for action in LOG_STREAM_ACTIONS:
        assert _allowed(stored_text, action, checker_arn), action
        assert not _allowed(stored_text, action, f"{checker_arn.removesuffix(':*')}-other:*")

    (web,) = [r for r in evaluation.of_type("aws:ecs/service:Service") if r.name == "rails-web"]
    request = {
        "cluster": cluster.inputs["name"],
        "serviceName": web.inputs["name"],
        "taskDefinition": "rails-web:1",
        "enableExecuteCommand": web.inputs["enableExecuteCommand"],
    }
    assert ecs_input_errors(request, "CreateService") == ""
    assert request["enableExecuteCommand"] is True
