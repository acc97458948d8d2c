"""Evaluate the Pulumi program under mocks and record the whole resource graph.

`evaluate(config)` runs __main__.py with Pulumi's in-process mocks and returns every
registered resource (type, name, parent, inputs, which inputs are secret) and every
stack output (value and secretness). No engine, no provider binary, no cloud.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import json
import os
import runpy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pytest
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.sync_await import _ensure_event_loop

from components.config import ConfigError, Reader, StackConfig, load
from tests.harness import docker_image
from tests.harness.certs import ed25519_openssh
from tests.harness.instance_types import instance_type
from tests.harness.tools import REPO
from tests.harness.update_plan import REPLACE, step

PROJECT = "dockyard"
DEFAULT_VPC_SUBNETS = ("subnet-0aaa1111", "subnet-0bbb2222", "subnet-0ccc3333")
DEFAULT_VPC = "vpc-0defa0170000000001"
"""The account's default VPC as the mocks answer it; its default subnets are
`RecordingMocks.default_subnets` (DEFAULT_VPC_SUBNETS unless told otherwise)."""
NO_DEFAULT_VPC = (
    "invocation of aws:ec2/getVpc:getVpc returned an error: invoking aws:ec2/getVpc:getVpc: "
    "1 error occurred:\n\t* no matching EC2 VPC found"
)
"""What the engine reports when the AWS provider finds no default VPC."""


class ProviderError(grpc.RpcError):
    """An invoke failing in the provider, as the engine reports it over gRPC (status UNKNOWN
    with the provider's message): the SDK turns it into `Exception("invoke of TOKEN failed:
    MESSAGE")`, as with a real provider."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self.message


@dataclass
class Resource:
    """One registered resource, as the engine would have received it."""

    typ: str
    name: str
    urn: str
    parent: str
    inputs: dict[str, Any]
    secret_inputs: frozenset[str]
    """Top-level input names whose value is (or holds) a secret."""
    plain_inputs: dict[str, Any] = field(default_factory=dict)
    """The inputs as the state file keeps them readable: each secret value replaced by
    SECRET (the engine stores it encrypted), so a test can ask what is left in the clear."""
    dependencies: dict[str, list[str]] = field(default_factory=dict)
    """Input name -> URNs of the resources its value came from (propertyDependencies)."""
    options: dict[str, Any] = field(default_factory=dict)
    """The resource options the engine acts on in an update (ignoreChanges,
    replaceOnChanges, deleteBeforeReplace, retainOnDelete, protect, aliases' names,
    additionalSecretOutputs), only those set."""
    id: str = ""
    """The id the engine holds for it ("" while unknown: created or replaced in preview)."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """The outputs the engine holds for it (state); in a preview of a created, updated or
    replaced resource only its inputs: its computed outputs are unknown."""
    step: str = ""
    """The engine's step against RecordingMocks.state: "same", "update", "replace" or
    "create" ("" without a state)."""


@dataclass
class Evaluation:
    resources: list[Resource]
    outputs: dict[str, Any]
    secret_outputs: frozenset[str]
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def of_type(self, typ: str) -> list[Resource]:
        return [r for r in self.resources if r.typ == typ]

    def named(self, name: str) -> Resource:
        matches = [r for r in self.resources if r.name == name]
        assert len(matches) == 1, f"{len(matches)} resources named {name}"
        return matches[0]


EMPTY_STATE = Evaluation(resources=[], outputs={}, secret_outputs=frozenset())
"""A new stack's state: everything is created (RecordingMocks.state)."""


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return True
        return any(_holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False


SECRET = "[secret]"
UNKNOWN = "<unknown>"
"""What a recorded input holds for a value the engine does not know yet (a preview)."""


def mark_unknowns(value: Any) -> Any:
    """Inputs with each unknown value (pulumi.output.Unknown, as the SDK hands the mocks
    an unresolved output in a dry run) replaced by UNKNOWN."""
    if isinstance(value, pulumi.output.Unknown):
        return UNKNOWN
    if isinstance(value, dict):
        return {k: mark_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mark_unknowns(v) for v in value]
    return value


def redact_secrets(value: Any) -> Any:
    """Inputs with each secret value replaced by SECRET (see Resource.plain_inputs)."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET
        return {k: redact_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_secrets(v) for v in value]
    return value


def unwrap_secrets(value: Any) -> Any:
    """Inputs with secrets replaced by their plain values (secretness is recorded apart)."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return unwrap_secrets(value["value"])
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


@dataclass(frozen=True)
class Meta:
    """What the monitor sees of a registration that MockResourceArgs lacks."""

    urn: str
    parent: str
    secret_inputs: frozenset[str]
    dependencies: dict[str, list[str]]
    options: dict[str, Any] = field(default_factory=dict)
    plain_inputs: dict[str, Any] = field(default_factory=dict)


def _options(request: Any) -> dict[str, Any]:
    """The update-relevant resource options of a RegisterResourceRequest (Mocks.new_resource
    never sees them), keeping only those that are set."""
    options: dict[str, Any] = {
        "ignoreChanges": sorted(request.ignoreChanges),
        "replaceOnChanges": sorted(request.replaceOnChanges),
        "deleteBeforeReplace": request.deleteBeforeReplaceDefined and request.deleteBeforeReplace,
        "retainOnDelete": request.retainOnDelete,
        "protect": request.protect,
        # the names an alias gives (a rename that keeps the resource)
        "aliases": sorted(
            a.spec.name for a in request.aliases if a.HasField("spec") and a.spec.name
        ),
        "additionalSecretOutputs": sorted(request.additionalSecretOutputs),
        # how long the provider waits (e.g. an ECS service's steady state)
        "customTimeouts": {
            what: getattr(request.customTimeouts, what)
            for what in ("create", "update", "delete")
            if request.HasField("customTimeouts") and getattr(request.customTimeouts, what)
        },
    }
    return {key: value for key, value in options.items() if value}


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """Records parent URNs and secretness, which MockResourceArgs does not carry."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording = mocks

    def RegisterResource(self, request: Any) -> Any:
        if request.type != "pulumi:pulumi:Stack":
            raw = rpc.deserialize_properties(request.object, keep_internal=True)
            raw_secret = {k for k, v in raw.items() if _holds_secret(v)}
            self.recording.pending_meta[(request.type, request.name)] = Meta(
                urn=self.make_urn(request.parent, request.type, request.name),
                parent=request.parent,
                secret_inputs=frozenset(raw_secret),
                dependencies={
                    key: sorted(deps.urns) for key, deps in request.propertyDependencies.items()
                },
                options=_options(request),
                plain_inputs=json.loads(
                    json.dumps(mark_unknowns(redact_secrets(raw)), default=str)
                ),
            )
        return super().RegisterResource(request)


AddressBook = Callable[[str, int], str]


ECS_ARN_KINDS = {
    "aws:ecs/cluster:Cluster": "cluster",
    "aws:ecs/taskDefinition:TaskDefinition": "task-definition",
    "aws:ecs/capacityProvider:CapacityProvider": "capacity-provider",
}
"""ECS resources whose ARN the mocks answer as ECS forms it (`arn:aws:ecs:REGION:ACCOUNT:
KIND/NAME`), so what reads an ARN back (bench ecs, the rails commands) sees a real one."""


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers resources and invokes with plausible values and records them."""

    def __init__(
        self,
        vpc_subnets: Sequence[str] = DEFAULT_VPC_SUBNETS,
        public_ips: Sequence[str] | None = None,
        private_ips: Sequence[str] | None = None,
        region: str | None = None,
        newest_ami: str = "ami-0123456789abcdef0",
        cert_serial: int = 0,
        default_subnets: Sequence[str] | None = DEFAULT_VPC_SUBNETS,
        state: Evaluation | None = None,
        zones: Mapping[str, str] | None = None,
        offerings: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.state = state
        """The stack's state from the last `up` (an Evaluation), or EMPTY_STATE for a new
        stack. Given one, the mocks answer as the engine does: a resource whose checked
        inputs the provider diffs as unchanged is a same step and keeps its id and
        outputs; in a preview a created, updated or replaced resource has only its inputs
        as outputs (the engine hands a provider without preview support back its inputs,
        pulumi/pulumi sdk/go/common/resource/plugin/provider_plugin.go @1a80e27f Create;
        pulumi-docker with buildOnPreview false does the same, and the Python SDK
        resolves every output it is not given a value for as unknown in a dry run:
        pulumi/runtime/rpc.py resolve_properties), so computed outputs are unknown to what
        uses them; no id when created or replaced. This is the conservative reading for
        bridged providers, whose planned state may keep an unchanged computed output
        known. Without a state (None), every resource is answered as if just created,
        known even in preview (as before)."""
        self.vpc_subnets = list(vpc_subnets)
        """What EC2 lists as the subnets of a configured vpcId."""
        self.default_subnets = None if default_subnets is None else list(default_subnets)
        """The default VPC's default subnets; None: the region has no default VPC (getVpc
        fails as the provider does)."""
        self.region = region
        """The stack's aws:region (evaluate() fills it in): every answer is in that region,
        as the provider's would be."""
        self.newest_ami = newest_ami
        """What the AMI lookup answers (a newer image is published: a new id)."""
        self.cert_serial = cert_serial
        """Certificates issued with a higher serial differ (a renewal)."""
        self.zones = dict(zones or {})
        self._other_subnets: list[str] = []
        self._eni_subnets: dict[str, Any] = {}
        """Subnet id -> its zone, as EC2 answers getSubnet (default: see subnet_zone)."""
        self.offerings = dict(offerings or {})
        """Instance type -> the zones offering it (default: zones a-f of the region)."""
        self.public_ips = list(public_ips or [])
        self.private_ips = list(private_ips or [])
        self.resources: list[Resource] = []
        self.invokes: list[tuple[str, dict[str, Any]]] = []
        self.pending_meta: dict[tuple[str, str], Meta] = {}

    @staticmethod
    def _index(name: str) -> int:
        """Registration order is not deterministic; ids and addresses come from the name."""
        tail = name.rsplit("-", 1)[-1]
        if tail.isdigit():
            return int(tail)
        return int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        meta = self.pending_meta.pop(
            (args.typ, args.name), Meta(f"urn:{args.typ}::{args.name}", "", frozenset(), {})
        )
        inputs = json.loads(json.dumps(mark_unknowns(unwrap_secrets(args.inputs)), default=str))
        if args.typ == docker_image.IMAGE:
            inputs = docker_image.check(inputs, Path.cwd())
        prior = self._prior(args.typ, args.name)
        kind = self._step(args.typ, inputs, prior, meta.options)
        if kind == "same":
            assert prior is not None
            rid, outputs = prior.id, dict(prior.outputs)
        elif settings.is_dry_run() and self.state is not None:
            # the provider's preview of a change: the inputs, computed outputs unknown
            rid = prior.id if kind == "update" and prior is not None else ""
            outputs = dict(inputs)
        else:
            rid, outputs = self._answer(args, inputs)
        self.resources.append(
            Resource(
                typ=args.typ,
                name=args.name,
                urn=meta.urn,
                parent=meta.parent,
                inputs=inputs,
                secret_inputs=meta.secret_inputs,
                plain_inputs=meta.plain_inputs,
                dependencies=meta.dependencies,
                options=meta.options,
                id=rid,
                outputs=json.loads(json.dumps(outputs, default=str)),
                step=kind,
            )
        )
        return rid, outputs

    def _prior(self, typ: str, name: str) -> Resource | None:
        if self.state is None:
            return None
        matches = [r for r in self.state.resources if (r.typ, r.name) == (typ, name)]
        return matches[0] if matches else None

    def _step(
        self, typ: str, inputs: dict[str, Any], prior: Resource | None, options: dict[str, Any]
    ) -> str:
        """The engine's step for this registration against the state ("" without one)."""
        if self.state is None:
            return ""
        if prior is None:
            return "create"
        change = step(typ, prior.inputs, inputs, options)
        if change is None:
            return "same"
        return "replace" if change.op == REPLACE else "update"

    def _answer(
        self, args: pulumi.runtime.MockResourceArgs, inputs: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The id and outputs the provider answers when it creates or updates a resource."""
        if args.typ == docker_image.IMAGE:
            return f"{args.name}-id", docker_image.pushed(inputs)
        outputs = unwrap_secrets(dict(args.inputs))
        region = self.region or "us-east-1"
        rid = f"{args.name}-id"
        typ = args.typ
        if typ == "aws:ec2/networkInterface:NetworkInterface":
            n = self._index(args.name)
            outputs["privateIp"] = (
                self.private_ips[n - 1] if n <= len(self.private_ips) else f"10.0.1.{10 + n}"
            )
            rid = f"eni-{n:08x}"
            self._eni_subnets[rid] = args.inputs.get("subnetId")
        elif typ == "aws:ec2/eip:Eip":
            n = self._index(args.name)
            outputs["publicIp"] = (
                self.public_ips[n - 1] if n <= len(self.public_ips) else f"203.0.113.{10 + n}"
            )
            rid = f"eipalloc-{n:08x}"
        elif typ == "aws:ec2/instance:Instance":
            n = self._index(args.name)
            rid = f"i-{n:017x}"
            # the zone of its primary interface's subnet, as EC2 places it
            eni = (args.inputs.get("primaryNetworkInterface") or {}).get("networkInterfaceId")
            subnet = self._eni_subnets.get(eni) if isinstance(eni, str) else None
            zone = self.subnet_zone(subnet) if isinstance(subnet, str) else f"{region}a"
            outputs["availabilityZone"] = zone
            outputs["arn"] = f"arn:aws:ec2:{region}:123456789012:instance/{rid}"
        elif typ == "aws:ec2/securityGroup:SecurityGroup":
            rid = f"sg-{self._index(args.name):08x}"
            outputs["arn"] = f"arn:aws:ec2:{region}:123456789012:security-group/{rid}"
        elif typ in ("aws:iam/instanceProfile:InstanceProfile", "aws:iam/role:Role"):
            outputs.setdefault("name", f"{args.name}-0123abc")  # autonamed by the provider
            kind = "role" if typ == "aws:iam/role:Role" else "instance-profile"
            path = str(outputs.get("path") or "/")
            outputs["arn"] = f"arn:aws:iam::123456789012:{kind}{path}{outputs['name']}"
        elif typ in ECS_ARN_KINDS:
            # ECS's ARNs: the kind, the name (a task definition's family and revision 1)
            name = outputs.get("family") or outputs.get("name") or args.name
            if typ == "aws:ecs/taskDefinition:TaskDefinition":
                outputs["revision"] = 1
                outputs["arnWithoutRevision"] = (
                    f"arn:aws:ecs:{region}:123456789012:task-definition/{name}"
                )
                name = f"{name}:1"
            outputs["arn"] = f"arn:aws:ecs:{region}:123456789012:{ECS_ARN_KINDS[typ]}/{name}"
        elif typ == "random:index/randomPassword:RandomPassword":
            # a password (the same for the same name) of the asked length, as `result`
            seed = hashlib.sha256(args.name.encode()).hexdigest()
            outputs["result"] = (seed * 4)[: int(outputs.get("length") or 16)]
        elif typ == "aws:ec2/keyPair:KeyPair":
            outputs["keyName"] = f"{args.name}-key"
        elif typ == "tls:index/privateKey:PrivateKey" and outputs.get("algorithm") == "ED25519":
            # a real key (the same for the same name), so ssh can log in with it
            private, public = ed25519_openssh(args.name)
            outputs["privateKeyOpenssh"] = private
            outputs["publicKeyOpenssh"] = public
        elif typ == "tls:index/privateKey:PrivateKey":
            outputs["privateKeyPem"] = f"-----BEGIN PRIVATE KEY-----\n{args.name}\n"
            outputs["publicKeyPem"] = f"-----BEGIN PUBLIC KEY-----\n{args.name}\n"
        elif typ in (
            "tls:index/selfSignedCert:SelfSignedCert",
            "tls:index/locallySignedCert:LocallySignedCert",
        ):
            serial = f" serial {self.cert_serial}" if self.cert_serial else ""
            outputs["certPem"] = f"-----BEGIN CERTIFICATE-----\n{args.name}{serial}\n"
        elif typ == "tls:index/certRequest:CertRequest":
            outputs["certRequestPem"] = f"-----BEGIN CERTIFICATE REQUEST-----\n{args.name}\n"
        elif typ == "random:index/randomBytes:RandomBytes":
            # random bytes (the same for the same name), as hex and base64
            data = hashlib.sha256(args.name.encode()).digest()[: int(outputs["length"])]
            outputs["hex"] = data.hex()
            outputs["base64"] = base64.b64encode(data).decode()
        elif typ == "aws:ecr/repository:Repository":
            outputs["repositoryUrl"] = f"123456789012.dkr.ecr.{region}.amazonaws.com/{args.name}"
            outputs["registryId"] = "123456789012"
        elif typ == "aws:s3/bucket:Bucket" and "bucket" not in outputs:
            # S3's name for a bucket_prefix: the prefix and a unique suffix (a computed
            # output: left unanswered, the program would read None where AWS gives a name)
            outputs["bucket"] = f"{outputs.get('bucketPrefix', 'terraform-')}20260101000000000001"
            outputs["arn"] = f"arn:aws:s3:::{outputs['bucket']}"
        elif typ == "aws:lb/loadBalancer:LoadBalancer":
            outputs["dnsName"] = f"{args.name}-123.{region}.elb.amazonaws.com"
            outputs["arnSuffix"] = f"app/{args.name}/0123456789abcdef"
        elif typ == "aws:lb/targetGroup:TargetGroup":
            outputs["arnSuffix"] = f"targetgroup/{args.name}/0123456789abcdef"
            outputs["zoneId"] = "Z35SXDOTRQ7X7K"  # ELB's hosted zone (us-east-1)
        elif typ == "aws:acm/certificate:Certificate":
            # ACM's DNS validation: one CNAME per name, a token under the domain pointing
            # into acm-validations.aws
            token = hashlib.sha256(str(outputs["domainName"]).encode()).hexdigest()
            outputs["domainValidationOptions"] = [
                {
                    "domainName": outputs["domainName"],
                    "resourceRecordName": f"_{token[:32]}.{outputs['domainName']}.",
                    "resourceRecordType": "CNAME",
                    "resourceRecordValue": f"_{token[32:]}.xlfgrmvvlj.acm-validations.aws.",
                }
            ]
            outputs["status"] = "PENDING_VALIDATION"
        elif typ == "aws:route53/record:Record":
            outputs["fqdn"] = str(outputs["name"]).rstrip(".")
        outputs.setdefault("arn", f"arn:aws:mock:{region}:123456789012:{args.name}")
        return rid, outputs

    def subnet_zone(self, subnet: str) -> str:
        """A subnet's zone: from `zones`, else a zone per position among the VPC's subnets,
        sorted (subnet-0aaa... in a, subnet-0bbb... in b), as a VPC spread over zones has them; a
        subnet neither lists (railsSubnetIds, networkStack's) takes the next position in
        the order it is first asked about."""
        region = self.region or "us-east-1"
        if subnet in self.zones:
            return self.zones[subnet]
        # by sorted position: a subnet's zone does not depend on the order EC2 lists it in
        for listed in (self.vpc_subnets, self.default_subnets or []):
            if subnet in listed:
                return f"{region}{'abc'[sorted(listed).index(subnet) % 3]}"
        if subnet not in self._other_subnets:
            self._other_subnets.append(subnet)
        return f"{region}{'abc'[self._other_subnets.index(subnet) % 3]}"

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.invokes.append((args.token, dict(args.args)))
        region = self.region or "us-east-1"
        if args.token == "aws:ec2/getVpc:getVpc":
            if self.default_subnets is None or not args.args.get("default"):
                raise ProviderError(NO_DEFAULT_VPC)
            return {
                "id": DEFAULT_VPC,
                "default": True,
                "cidrBlock": "172.31.0.0/16",
                "arn": f"arn:aws:ec2:{region}:123456789012:vpc/{DEFAULT_VPC}",
            }
        if args.token == "aws:ec2/getSubnets:getSubnets":
            filters = args.args.get("filters") or []
            vpcs = [v for f in filters if f.get("name") == "vpc-id" for v in f.get("values", [])]
            ids = self.default_subnets if vpcs == [DEFAULT_VPC] else self.vpc_subnets
            return {"id": region, "ids": ids or [], "filters": filters}
        if args.token == "aws:ec2/getSubnet:getSubnet":
            subnet = str(args.args["id"])
            return {"id": subnet, "availabilityZone": self.subnet_zone(subnet)}
        if args.token == "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings":
            (wanted,) = [v for f in args.args["filters"] for v in f["values"]]
            zones = self.offerings.get(wanted, [f"{region}{letter}" for letter in "abcdef"])
            return {
                "id": region,
                "instanceTypes": [wanted] * len(zones),
                "locations": list(zones),
                "locationTypes": ["availability-zone"] * len(zones),
            }
        if args.token == "aws:ec2/getInstanceType:getInstanceType":
            wanted = str(args.args["instanceType"])
            found = instance_type(wanted)
            if found is None:
                raise ProviderError(f"reading EC2 Instance Type ({wanted}): empty result")
            return found
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "id": "123456789012",
                "accountId": "123456789012",
                "arn": "arn:aws:iam::123456789012:user/dockyard-tests",
                "userId": "AIDAEXAMPLEDOCKYARD",
            }
        if args.token == "aws:ec2/getAmi:getAmi":
            return {"id": self.newest_ami, "imageId": self.newest_ami}
        if args.token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            return {
                "id": region,
                "authorizationToken": "QVdTOnRva2Vu",
                "expiresAt": "2030-01-01T00:00:00Z",
                "password": "ecr-token",
                "proxyEndpoint": f"https://123456789012.dkr.ecr.{region}.amazonaws.com",
                "userName": "AWS",
            }
        return {}


BASE_CONFIG: dict[str, Any] = {
    "aws:region": "us-east-1",
    "dockyard:vpcId": "vpc-0123456789abcdef0",
    "dockyard:subnetIds": ["subnet-0aaa1111", "subnet-0bbb2222"],
    "dockyard:adminCidrs": ["198.51.100.0/24"],
    "dockyard:sshPublicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockKeyForTests test@dockyard",
    "dockyard:runAnsible": "false",
}


def config_strings(config: Mapping[str, Any]) -> dict[str, str]:
    """Config values as the engine hands them to the program: strings as they are,
    anything else as JSON text (3 -> "3", true -> "true", [] -> "[]")."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}


_RAISED: set[tuple[type, tuple[Any, ...]]] = set()
"""Errors evaluate() has raised to a test, as (type, args)."""


def _drop_echoes_of_raised_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """When the program fails, every output that depended on the failing value holds the
    same error; when those futures are collected asyncio logs each one as "exception was
    never retrieved" (hundreds per failing evaluation, printed after pytest's summary).
    The test already received that error from evaluate(), so drop those echoes; log
    anything else as asyncio would."""
    error = context.get("exception")
    if error is not None and (type(error), error.args) in _RAISED:
        return
    loop.default_exception_handler(context)


def _evaluate_reporting_once(program: Callable[[], Any]) -> None:
    loop = _ensure_event_loop()
    loop.set_exception_handler(_drop_echoes_of_raised_errors)
    try:
        program()
    except Exception as error:
        _RAISED.add((type(error), error.args))
        # Let the outputs still pending settle and collect the failed run's garbage now,
        # inside this test, rather than at a random later allocation.
        pending = list(settings.SETTINGS.outputs)
        settings.SETTINGS.outputs.clear()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        gc.collect()
        raise


def project_defaults(project_dir: Path = REPO) -> dict[str, Any]:
    """The `config:` defaults that project_dir/Pulumi.yaml declares, as namespaced keys
    (`<project>:<key>` unless the key names its namespace)."""
    document = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    namespace = document["name"]
    defaults: dict[str, Any] = {}
    for key, schema in (document.get("config") or {}).items():
        if isinstance(schema, dict) and "default" in schema:
            defaults[key if ":" in key else f"{namespace}:{key}"] = schema["default"]
    return defaults


def set_up(
    config: Mapping[str, Any] | None = None,
    *,
    stack: str = "dev",
    secret_keys: Sequence[str] = (),
    mocks: RecordingMocks | None = None,
    base: Mapping[str, Any] = BASE_CONFIG,
    project: str = PROJECT,
    project_dir: Path = REPO,
    preview: bool = False,
    inject_defaults: bool = True,
) -> RecordingMocks:
    """Install the mocks and the config as the CLI would run the program, without running
    anything; returns the mocks. The config is `base` overlaid by `config` (None deletes a
    key); every key project_dir/Pulumi.yaml declares with a default and the stack does not
    set is injected (arrays and maps as JSON text); lookups are answered in the stack's
    aws:region; `preview=True` is `pulumi preview` (computed outputs unknown).
    `inject_defaults=False` leaves the unset keys out (to compare the two)."""
    merged = {**base, **(config or {})}
    merged = {k: v for k, v in merged.items() if v is not None}
    if inject_defaults:
        merged = {**project_defaults(project_dir), **merged}
    mocks = mocks or RecordingMocks()
    if mocks.region is None:
        # the region the AWS provider would use: aws:region, else the environment's
        mocks.region = str(
            merged.get("aws:region")
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or "us-east-1"
        )
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=preview, monitor=RecordingMonitor(mocks)
    )
    pulumi.runtime.set_all_config(config_strings(merged), list(secret_keys))
    return mocks


def load_config(
    config: Mapping[str, Any] | None = None,
    *,
    base: Mapping[str, Any] = BASE_CONFIG,
    inject_defaults: bool = True,
) -> tuple[StackConfig, Reader]:
    """components.config.load() alone under mocks (no program, no resources): the stack
    config it reads from `base` overlaid by `config`, and the Reader it used."""
    set_up(config, base=base, inject_defaults=inject_defaults)
    reader = Reader()
    return load(reader), reader


def evaluate(
    config: Mapping[str, Any] | None = None,
    *,
    stack: str = "dev",
    secret_keys: Sequence[str] = (),
    mocks: RecordingMocks | None = None,
    base: Mapping[str, Any] = BASE_CONFIG,
    main: Path = REPO / "__main__.py",
    project: str = PROJECT,
    preview: bool = False,
) -> Evaluation:
    """Run a Pulumi program (default: ours, __main__.py) under mocks with `base` overlaid
    by `config` (None deletes a key), set up as the CLI would (see set_up())."""
    mocks = set_up(
        config,
        stack=stack,
        secret_keys=secret_keys,
        mocks=mocks,
        base=base,
        project=project,
        project_dir=main.parent,
        preview=preview,
    )
    values: dict[str, Any] = {}
    secret: set[str] = set()

    async def collect() -> None:
        root = settings.get_root_resource()
        assert root is not None
        for key, value in root.outputs.items():  # type: ignore[attr-defined]
            output = pulumi.Output.from_input(value)
            values[key] = await output.future()
            if await output.is_secret():
                secret.add(key)

    @pulumi.runtime.test  # type: ignore[misc]
    def program() -> Any:
        runpy.run_path(str(main), run_name="__main__")
        return asyncio.ensure_future(collect())

    # Pulumi runs the program (and its providers) in the project directory
    # (pulumi/pulumi sdk/go/common/resource/plugin/plugin.go @00712118: cmd.Dir = pwd)
    cwd = Path.cwd()
    os.chdir(main.parent)
    try:
        _evaluate_reporting_once(program)
    finally:
        os.chdir(cwd)
    return Evaluation(
        resources=sorted(mocks.resources, key=lambda r: (r.typ, r.name)),
        outputs=values,
        secret_outputs=frozenset(secret),
        invokes=list(mocks.invokes),
    )


def config_error(call: Callable[[], object], key: str, words: str) -> str:
    """`call()` must stop with a ConfigError whose message starts with `key` and says
    `words`, as users see it; returns the message."""
    with pytest.raises(ConfigError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(f"{key}: "), message
    assert words in message, message
    return message
