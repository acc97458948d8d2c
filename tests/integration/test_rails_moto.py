"""The Rails flow's task definitions, as the components register them, registered with a
real ECS API emulator (moto server).

The program is evaluated under mocks whose Secrets Manager is moto's: each secret the
program makes is created there (its value from the generated password), so the task
definitions carry real secret ARNs; what ECS stores and returns keeps the passwords in
`secrets` (ARNs only) and nothing secret in `environment`.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from tests.harness.moto import MotoServer
from tests.harness.pulumi_program import RecordingMocks, evaluate
from tests.harness.rails_definitions import recording_definitions

pytestmark = pytest.mark.integration

SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
PASSWORD = "random:index/randomPassword:RandomPassword"


class MotoSecretsMocks(RecordingMocks):
    """The recording mocks, with the program's secrets made in moto's Secrets Manager."""

    def __init__(self, moto: MotoServer) -> None:
        super().__init__()
        self.sm = moto.client("secretsmanager")
        self.values: list[str] = []
        self.arns: set[str] = set()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid, outputs = super().new_resource(args)
        if args.typ == PASSWORD:
            outputs["result"] = f"moto-{args.name}-Qx7{len(self.values)}"
            self.values.append(outputs["result"])
        elif args.typ == SECRET:
            arn = self.sm.create_secret(Name=f"{args.inputs['namePrefix']}moto")["ARN"]
            self.arns.add(arn)
            rid, outputs["arn"] = arn, arn
        elif args.typ == VERSION:
            secret_string = outputs["secretString"]
            self.sm.put_secret_value(SecretId=args.inputs["secretId"], SecretString=secret_string)
        return rid, outputs


@pytest.mark.parametrize("capacity", ["ec2", "fargate"])
def test_register_and_read_back(moto_server: MotoServer, capacity: str) -> None:
    """The three task definitions the components register (web, db, dump loader) register
    as they are; read back, passwords are ARNs of the program's secrets in `secrets` only."""
    mocks = MotoSecretsMocks(moto_server)
    config = {"dockyard:rails": "true", "dockyard:dockerHosts": "false"}
    with recording_definitions() as definitions:
        evaluate({**config, "dockyard:railsCapacity": capacity}, mocks=mocks)
    assert sorted(definitions) == ["rails-db", "rails-db-import", "rails-web"]
    assert len(mocks.values) == 3 and len(mocks.arns) == 3
    ecs = moto_server.client("ecs")
    for definition in definitions.values():
        registered = ecs.register_task_definition(**definition)["taskDefinition"]
        stored = ecs.describe_task_definition(taskDefinition=registered["taskDefinitionArn"])
        task = stored["taskDefinition"]
        assert task["networkMode"] == "awsvpc"
        assert task["family"] == definition["family"]
        for container in task["containerDefinitions"]:
            values = [e["value"] for e in container.get("environment", [])]
            assert not set(mocks.values) & set(values)
            assert container["secrets"]
            assert {s["valueFrom"] for s in container["secrets"]} <= mocks.arns
            # the web container's load-tested 512 cpu units, otherwise the seed's 100
            cpu = 512 if container["name"] == "app" else 100
            assert (container["cpu"], container["memory"]) == (cpu, 112)
        if capacity == "fargate":
            web = task["family"].endswith("-web")
            assert (task["cpu"], task["memory"]) == (("512", "1024") if web else ("256", "512"))
    sm = moto_server.client("secretsmanager")
    stored_values = {sm.get_secret_value(SecretId=arn)["SecretString"] for arn in mocks.arns}
    assert stored_values == set(mocks.values)
