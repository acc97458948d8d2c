"""Flow 1 under Pulumi mocks: the whole resource graph, recorded and asserted on."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from dockyard.netrules import ADMIN_RULES, CLUSTER_RULES
from tests.harness.pulumi_program import SECRET, Evaluation, evaluate

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INSTANCE = "aws:ec2/instance:Instance"
COMMAND = "command:local:Command"


@pytest.fixture(scope="module")
def graph() -> Evaluation:
    return evaluate({"dockyard:adminCidrs": ["198.51.100.0/24", "2001:db8::/64"]})


def test_admin_ports_only_from_admin_cidrs(graph: Evaluation) -> None:
    """SSH and Docker TLS are open to exactly the admin CIDRs, on both IP families."""
    admin_ports = {r.from_port for r in ADMIN_RULES}
    seen: set[tuple[int, str]] = set()
    for rule in graph.of_type(INGRESS):
        cidr = rule.inputs.get("cidrIpv4") or rule.inputs.get("cidrIpv6")
        if rule.inputs["fromPort"] in admin_ports and cidr:
            seen.add((rule.inputs["fromPort"], cidr))
    assert seen == {(p, c) for p in admin_ports for c in ("198.51.100.0/24", "2001:db8::/64")}


def test_nothing_open_to_the_world_by_default(graph: Evaluation) -> None:
    """No ingress rule admits 0.0.0.0/0 or ::/0 unless the stack lists it."""
    for rule in graph.of_type(INGRESS):
        assert rule.inputs.get("cidrIpv4") != "0.0.0.0/0", rule.name
        assert rule.inputs.get("cidrIpv6") != "::/0", rule.name


@pytest.mark.parametrize("expected", CLUSTER_RULES, ids=lambda r: r.name)
def test_cluster_ports_only_between_members(graph: Evaluation, expected: Any) -> None:
    """Each swarm/Consul/Flocker port is one self-referencing rule on the cluster group."""
    rules = [
        r
        for r in graph.of_type(INGRESS)
        if r.inputs["fromPort"] == expected.from_port
        and r.inputs["toPort"] == expected.to_port
        and r.inputs["ipProtocol"] == expected.protocol
    ]
    assert len(rules) == 1
    rule = rules[0].inputs
    assert rule["referencedSecurityGroupId"] == rule["securityGroupId"]
    assert "cidrIpv4" not in rule and "cidrIpv6" not in rule


def test_issue_port_list_is_covered() -> None:
    """The ports the design names: 2377/tcp, 7946/tcp+udp, 4789/udp, 8300-8302, 8500, 4523-4524."""
    covered = {
        (proto, port)
        for r in CLUSTER_RULES
        for proto in [r.protocol]
        for port in range(r.from_port, r.to_port + 1)
    }
    required = {("tcp", 2377), ("tcp", 7946), ("udp", 7946), ("udp", 4789), ("tcp", 8500)}
    required |= {("tcp", p) for p in (8300, 8301, 8302, 4523, 4524)}
    assert required <= covered


def test_egress_open(graph: Evaluation) -> None:
    """Egress is open on both families (packages, AWS APIs)."""
    cidrs = {r.inputs.get("cidrIpv4") or r.inputs.get("cidrIpv6") for r in graph.of_type(EGRESS)}
    assert cidrs == {"0.0.0.0/0", "::/0"}
    assert {r.inputs["ipProtocol"] for r in graph.of_type(EGRESS)} == {"-1"}


def test_instances_require_imdsv2_and_encrypt_root(graph: Evaluation) -> None:
    """Every instance requires IMDSv2 tokens and has an encrypted gp3 root volume."""
    instances = graph.of_type(INSTANCE)
    assert instances
    for instance in instances:
        meta = instance.inputs["metadataOptions"]
        assert meta["httpTokens"] == "required"
        assert meta["httpPutResponseHopLimit"] == 1
        root = instance.inputs["rootBlockDevice"]
        assert root["encrypted"] is True
        assert root["volumeType"] == "gp3"
        assert root["volumeSize"] == 30


def test_instance_tags_and_roles(graph: Evaluation) -> None:
    """Name=<prefix>-<n>, the first host is the control host, common tags on every host."""
    tags = {i.inputs["tags"]["Name"]: i.inputs["tags"] for i in graph.of_type(INSTANCE)}
    assert sorted(tags) == ["my-prefix-1", "my-prefix-2", "my-prefix-3"]
    assert tags["my-prefix-1"]["Role"] == "control"
    assert {tags[n]["Role"] for n in ("my-prefix-2", "my-prefix-3")} == {"agent"}
    for tag_set in tags.values():
        assert tag_set["Project"] == "dockyard"
        assert tag_set["Stack"] == "dev"
        assert tag_set["ManagedBy"] == "pulumi"


def test_user_data_holds_no_secret_and_installs_docker_from_packages(graph: Evaluation) -> None:
    """User data carries no key or certificate (the Ansible run installs them), so it is
    not secret and a change never replaces a host; Docker comes from distribution packages."""
    for instance in graph.of_type(INSTANCE):
        assert "userData" not in instance.secret_inputs
        user_data = instance.inputs["userData"]
        assert isinstance(user_data, str)
        assert "-----BEGIN" not in user_data
        document = yaml.safe_load(user_data.split("\n", 1)[1])
        assert document["packages"] == ["docker.io"]
        assert "write_files" not in document
        assert "curl" not in user_data
        assert instance.inputs["userDataReplaceOnChange"] is False


def test_looked_up_ami_is_ignored_after_creation(graph: Evaluation) -> None:
    """Without amiId the instances ignore later changes of `ami` (a newer image must not
    replace them); every host is replaced only when it must be deleted first (its ENI)."""
    for instance in graph.of_type(INSTANCE):
        assert instance.options == {"ignoreChanges": ["ami"], "deleteBeforeReplace": True}


def test_default_ami_is_ubuntu_lts_amd64(graph: Evaluation) -> None:
    """Without amiId the AMI is looked up: Canonical's Ubuntu LTS for x86_64."""
    lookups = [args for token, args in graph.invokes if token == "aws:ec2/getAmi:getAmi"]
    assert lookups
    filters = {f["name"]: f["values"] for f in lookups[0]["filters"]}
    assert "amd64" in filters["name"][0] and "ubuntu" in filters["name"][0]
    assert filters["architecture"] == ["x86_64"]
    assert lookups[0]["owners"] == ["099720109477"]


def test_ami_override_skips_lookup() -> None:
    """With amiId set, no lookup happens and the instances use it."""
    result = evaluate({"dockyard:amiId": "ami-0fedcba9876543210"})
    assert not [t for t, _ in result.invokes if t == "aws:ec2/getAmi:getAmi"]
    assert {i.inputs["ami"] for i in result.of_type(INSTANCE)} == {"ami-0fedcba9876543210"}
    # an explicit AMI is followed: changing it is how hosts move to a new image
    assert {"ignoreChanges"} & {k for i in result.of_type(INSTANCE) for k in i.options} == set()


def test_outputs_per_host(graph: Evaluation) -> None:
    """Each host reports IPs, instance id, AZ and a Docker Machine-style DOCKER_HOST."""
    hosts = graph.outputs["hosts"]
    assert [h["name"] for h in hosts] == ["my-prefix-1", "my-prefix-2", "my-prefix-3"]
    for host in hosts:
        assert host["instanceId"].startswith("i-")
        assert host["publicIp"] and host["privateIp"] and host["availabilityZone"]
        assert host["dockerHost"] == f"tcp://{host['publicIp']}:2376"
        assert host["dockerEnv"] == {
            "DOCKER_HOST": host["dockerHost"],
            "DOCKER_TLS_VERIFY": "1",
            "DOCKER_MACHINE_NAME": host["name"],
        }
    tls = graph.outputs["dockerTls"]
    assert set(tls) == {"caPem", "certPem", "keyPem"}
    assert {"dockerTls", "agentYml"} <= graph.secret_outputs
    assert not {"inventoryIni", "inventoryYaml", "hosts"} & graph.secret_outputs


def test_private_hosts_without_public_ip() -> None:
    """publicIp false: no Elastic IPs, Ansible and DOCKER_HOST use the private address."""
    result = evaluate({"dockyard:publicIp": "false", "dockyard:ansibleAddress": "private"})
    assert not result.of_type("aws:ec2/eip:Eip")
    for host in result.outputs["hosts"]:
        assert host["dockerHost"] == f"tcp://{host['privateIp']}:2376"
        assert host["privateIp"] in result.outputs["inventoryIni"]


def test_inventory_output_reproduces_seed_file(graph: Evaluation) -> None:
    """`pulumi stack output inventoryIni` gives the seed's groups in the seed's layout."""
    ini = graph.outputs["inventoryIni"]
    sections = [line for line in ini.splitlines() if line.startswith("[")]
    assert sections == [
        "[flocker_control_service]",
        "[flocker_agents]",
        "[flocker_docker_plugin]",
        "[nodes:children]",
    ]
    control = graph.outputs["hosts"][0]["publicIp"]
    assert ini.startswith(f"[flocker_control_service]\n{control}\n\n")


def _command(result: Evaluation) -> Any:
    commands = result.of_type(COMMAND)
    assert len(commands) == 1
    return commands[0]


@pytest.fixture
def ansible_on(tmp_path: Path) -> dict[str, Any]:
    key = tmp_path / "id_ed25519"
    key.write_text("not really a key\n", encoding="utf-8")
    return {"dockyard:runAnsible": "true", "dockyard:sshPrivateKeyPath": str(key)}


FLOCKER_KEYS = {
    "dockyard:flockerAccessKeyId": "AKIAEXAMPLE",
    "dockyard:flockerSecretAccessKey": "s3cr3t-value",
}
"""Flocker's access keys (a stack that runs Flocker needs them: the hosts require IMDSv2)."""


def test_command_carries_secrets_in_environment_only(ansible_on: dict[str, Any]) -> None:
    """agent.yml (with credentials) is in the Command's secret environment, never its argv."""
    result = evaluate(
        {
            **ansible_on,
            "dockyard:flockerAccessKeyId": "AKIAEXAMPLE",
            "dockyard:flockerSecretAccessKey": "s3cr3t-value",
        },
        secret_keys=["dockyard:flockerAccessKeyId", "dockyard:flockerSecretAccessKey"],
    )
    command = _command(result)
    assert "s3cr3t-value" not in command.inputs["create"]
    environment = command.inputs["environment"]
    for index, host in enumerate(result.outputs["hosts"], start=1):
        assert environment[f"DOCKYARD_HOST_{index}"] == host["publicIp"]
        assert "s3cr3t-value" in environment[f"DOCKYARD_HOST_{index}_AGENT_YML"]
        assert environment[f"DOCKYARD_HOST_{index}_TLS_KEY"].startswith("-----BEGIN PRIVATE KEY")
        assert environment[f"DOCKYARD_HOST_{index}_TLS_CERT"].startswith("-----BEGIN CERT")
    assert {"environment", "triggers"} <= command.secret_inputs
    assert command.inputs["create"] == "bash ansible/run-playbook.sh"


def test_extra_vars_never_in_the_clear(ansible_on: dict[str, Any]) -> None:
    """ansibleExtraVars may hold secrets (a vault password): the Command's state keeps
    neither the variables nor a plain hash of them readable (a guessable value could be
    found offline by hashing candidates); the trigger is keyed by a secret of the state."""
    extra = {"vault_password": "hunter2"}
    result = evaluate({**ansible_on, "dockyard:ansibleExtraVars": extra})
    command = _command(result)
    text = json.dumps(extra, sort_keys=True)
    assert command.inputs["environment"]["DOCKYARD_EXTRA_VARS"] == text
    clear = json.dumps(command.plain_inputs)
    assert "hunter2" not in clear
    assert hashlib.sha256(text.encode()).hexdigest() not in clear
    key = result.named("ansible-extra-vars-key")
    assert key.inputs["length"] == 32
    assert key.options["additionalSecretOutputs"] == ["base64", "hex"]  # encrypted in state
    triggers = command.plain_inputs["triggers"]
    # readable for a preview's diff, and it is the keyed hash
    assert SECRET not in triggers
    keyed = hmac.new(hashlib.sha256(key.name.encode()).digest(), text.encode(), "sha256")
    assert keyed.hexdigest() in triggers


def test_command_output_is_secret_and_not_logged(ansible_on: dict[str, Any]) -> None:
    """Ansible's stdout and stderr (which may hold secrets) are stored as secrets and not
    streamed to the update log."""
    command = _command(evaluate(ansible_on))
    assert command.inputs["logging"] == "none"
    assert command.options["additionalSecretOutputs"] == ["stderr", "stdout"]


def test_triggers_stable_when_nothing_changes(ansible_on: dict[str, Any]) -> None:
    """Two evaluations of the same stack give the same triggers."""
    first = _command(evaluate(ansible_on)).inputs["triggers"]
    second = _command(evaluate(ansible_on)).inputs["triggers"]
    assert first == second


@pytest.mark.parametrize(
    "change",
    [
        {"dockyard:hostCount": "4"},
        {"dockyard:ansibleUser": "admin"},
        FLOCKER_KEYS,
        {"dockyard:ansibleExtraVars": {"flocker_agent_config_dir": "/srv/flocker"}},
    ],
)
def test_triggers_change_with_inventory_or_agent_yml(
    ansible_on: dict[str, Any], change: dict[str, Any]
) -> None:
    """Changing the hosts, inventory vars, agent.yml or extra vars changes the triggers."""
    before = _command(evaluate(ansible_on)).inputs["triggers"]
    after = _command(evaluate({**ansible_on, **change})).inputs["triggers"]
    assert before != after


def test_triggers_change_with_playbook(ansible_on: dict[str, Any], tmp_path: Path) -> None:
    """A different playbook (content) changes the triggers."""
    other = tmp_path / "other.yml"
    other.write_text("- hosts: nodes\n  tasks: []\n", encoding="utf-8")
    before = _command(evaluate(ansible_on)).inputs["triggers"]
    after = _command(evaluate({**ansible_on, "dockyard:playbook": str(other)})).inputs["triggers"]
    assert before[2] != after[2]
    other.write_text("- hosts: nodes\n  tasks: [{name: x, ansible.builtin.ping: {}}]\n")
    again = _command(evaluate({**ansible_on, "dockyard:playbook": str(other)})).inputs["triggers"]
    assert again[2] != after[2]


def test_two_evaluations_identical(ansible_on: dict[str, Any]) -> None:
    """The program is deterministic: same config, same resources with the same inputs."""
    first = evaluate(ansible_on)
    second = evaluate(ansible_on)
    assert [(r.typ, r.name, r.parent, r.inputs) for r in first.resources] == [
        (r.typ, r.name, r.parent, r.inputs) for r in second.resources
    ]
    assert first.outputs == second.outputs


def test_components_parent_their_children(graph: Evaluation) -> None:
    """Every resource belongs to a dockyard component (house style: parent=self)."""
    for resource in graph.resources:
        if resource.typ.startswith("dockyard:"):
            continue
        assert "::dockyard:" in resource.parent, f"{resource.typ} {resource.name}"
