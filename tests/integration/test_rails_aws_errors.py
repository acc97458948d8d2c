"""`dockyard rails run` / `import-db` when AWS answers badly (issue 23): a cluster that
does not exist, a region AWS does not have, no endpoint, no credentials. Each is one
`dockyard: ...` line naming the problem and the fix, exit 2, nothing uploaded or
started, never botocore's traceback. Real HTTP to moto server (AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.harness import stacks
from tests.harness.moto import MotoServer
from tests.harness.tools import assert_bad_input, free_port, run_dockyard

pytestmark = pytest.mark.integration

ACTIONS = {
    "run": ["run", "--", "bin/rails", "db:migrate"],
    "import-db": ["import-db", "dump.sql"],
}


def outputs(cluster_arn: str) -> dict[str, Any]:
    """The dev stack's committed outputs (snapshots/dev.json) naming `cluster_arn`."""
    document = json.loads(stacks.snapshot_path("dev").read_text())["outputs"]
    document["railsClusterArn"] = cluster_arn
    return dict(document)


def rails(moto: MotoServer, action: str, cluster_arn: str, tmp_path: Path, **env: str) -> Any:
    """`python -m dockyard rails ACTION` with the outputs piped in, boto3 pointed at moto."""
    (tmp_path / "dump.sql").write_text("-- MariaDB dump\nSELECT 1;\n", encoding="utf-8")
    full = {**moto.env, "AWS_ENDPOINT_URL": moto.endpoint, "HOME": str(tmp_path), **env}
    document = json.dumps(outputs(cluster_arn))
    return run_dockyard(["rails", *ACTIONS[action]], document, tmp_path, full)


@pytest.mark.parametrize("action", ACTIONS)
def test_a_cluster_that_does_not_exist_is_named(
    moto_server: MotoServer, action: str, tmp_path: Path
) -> None:
    """The outputs name a cluster moto (ECS) has not got: ClusterNotFoundException becomes
    one line naming the cluster and `pulumi up`; nothing is uploaded to S3."""
    missing = "arn:aws:ecs:us-east-1:123456789012:cluster/gone"
    bucket = outputs(missing)["railsTasks"]["importBucket"]
    moto_server.client("s3").create_bucket(Bucket=bucket)
    proc = rails(moto_server, action, missing, tmp_path)
    assert_bad_input(proc, f"ECS has no cluster {missing} in us-east-1")
    assert "pulumi up" in proc.stderr
    assert moto_server.client("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0


@pytest.mark.parametrize("region", ["us-east-1; rm", "nowhere-1", ""])
@pytest.mark.parametrize("action", ACTIONS)
def test_a_region_aws_does_not_have_is_named(
    moto_server: MotoServer, action: str, region: str, tmp_path: Path
) -> None:
    """A region botocore refuses (`us-east-1; rm`: InvalidRegionError) or no partition
    has (`nowhere-1`, empty): one line naming it, before any request is sent."""
    proc = rails(moto_server, action, f"arn:aws:ecs:{region}:123456789012:cluster/c", tmp_path)
    assert_bad_input(proc, f"railsClusterArn names the region {region!r}, which AWS does not")


@pytest.mark.parametrize("action", ACTIONS)
def test_an_endpoint_nothing_answers_is_named(
    moto_server: MotoServer, action: str, tmp_path: Path
) -> None:
    """Nothing listens at the endpoint: EndpointConnectionError becomes one line naming
    the URL and what to check."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/c"
    proc = rails(
        moto_server, action, cluster, tmp_path, AWS_ENDPOINT_URL=nowhere, AWS_MAX_ATTEMPTS="1"
    )
    assert_bad_input(proc, f"cannot reach AWS at {nowhere}")


def test_no_credentials_is_named(moto_server: MotoServer, tmp_path: Path) -> None:
    """No credentials anywhere (environment, files, instance metadata; botocore reads an
    empty variable as unset): one line saying which variables to set."""
    env = {
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/c"
    proc = rails(moto_server, "run", cluster, tmp_path, **env)
    assert_bad_input(proc, "no AWS credentials: set AWS_PROFILE")
