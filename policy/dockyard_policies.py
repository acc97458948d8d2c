"""dockyard's safe defaults as pulumi-policy policies (all mandatory).

Each validation reads the resource properties the engine hands to a policy pack (the
same camelCase inputs the program registers), so it covers every component that uses
the resource type, now and later. __main__.py assembles the pack; the tests call the
validation functions directly with ResourceValidationArgs / StackValidationArgs.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import importlib
import inspect
import ipaddress
import json
import keyword
import re
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

ADMIN_PORTS = (22, 2376, 8000, 3306)
"""SSH, the Docker TLS API, the Flocker control API and MySQL (dockyard.netrules.ADMIN_PORTS)."""
CLUSTER_PORTS = (
    ("tcp", 2377, 2377),
    ("tcp", 7946, 7946),
    ("udp", 7946, 7946),
    ("udp", 4789, 4789),
    ("tcp", 8300, 8302),
    ("udp", 8301, 8302),
    ("tcp", 8500, 8500),
    ("tcp", 4523, 4524),
)
"""Swarm, Consul and Flocker: only ever open between cluster members
(dockyard.netrules.CLUSTER_RULES)."""
DOCKER_PLAIN_PORT = 2375
"""The Docker engine API without TLS: root on the host for anyone who reaches it."""
PRIVATE_PORTS = (
    *(("tcp", port, port) for port in (*ADMIN_PORTS, DOCKER_PLAIN_PORT)),
    *CLUSTER_PORTS,
)
"""(protocol, first port, last port) never open to the world."""
PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp"}
"""Security group protocol names and numbers, as the engine hands them over."""
WIDE_PREFIX = {4: 16, 6: 32}
"""A public CIDR with a prefix shorter than this (wider than a /16 of IPv4 or an ISP's /32
of IPv6) counts as the world: 0.0.0.0/1 + 128.0.0.0/1 is 0.0.0.0/0 in two rules, and
no admin source is that wide. Each rule is judged alone, so a /16 is the widest piece."""
NON_PUBLIC = tuple(
    ipaddress.ip_network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
"""Private (RFC 1918, carrier-grade NAT, unique local) ranges: as wide as they like."""
METADATA_HOP_LIMIT = 1
"""The most network hops an IMDS answer may take. 1 keeps it on the instance: a container
on a bridge network is one hop further and cannot read the instance role's credentials
(ECS tasks get their own role from the ECS agent, not IMDS). The program sets 1 on the
Docker hosts and the ECS launch template; an AMI's own default may be 2, so it must be set."""
REQUIRED_TAGS = ("Project", "Stack", "ManagedBy")
"""The tags components.config.StackConfig.base_tags puts on every taggable resource."""
SECRET_NAME = re.compile(r"passw|passphrase|secret|key|token|credential", re.IGNORECASE)
"""Words that mark a variable name as a secret anywhere in it (DBPASSWORD, APIKEY)."""
SECRET_WORDS = frozenset("pass pwd pw psw pswd auth cred creds jwt bearer pat salt psk".split())  # noqa: SIM905
"""Short words that mark a secret only as a whole word of the name (DB_PASS, DB_PW,
GITHUB_PAT, WIFI_PSK, not BYPASS, PATH or PWRITE). SESSION is not one: SESSION_TIMEOUT
is no secret, and AWS_SESSION_TOKEN has its TOKEN."""
REFERENCES = {
    "arn": (re.compile(r"arn:aws[a-z-]*:\S+"), "an ARN"),
    "file": (re.compile(r"/\S+"), "an absolute path"),
}
"""Last words that make a name say where a secret is (DB_PASSWORD_SECRET_ARN, the *_FILE
variables of the entrypoints), with the form the value must then have: any other value
is the secret itself."""
KEY_FORMATS = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")),
    ("a PEM private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    (
        "a GitHub token",
        re.compile(r"\b(?:gh[opsur]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
)
"""Secrets known by their form wherever they appear (value, command line, user data)."""
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"`]+")
DSN_PASSWORD = re.compile(
    r"(?:^|[;&?\s])(?:password|passwd|pwd)\s*=\s*['\"]?(?![$'\"])[^;&\s'\"]", re.IGNORECASE
)
"""A key=value connection string with a password (Password=...; or libpq's password=...)."""
GO_DSN_PASSWORD = re.compile(r"(?:^|[\s'\"=])[^\s:@/'\"=]+:[^\s@/'\"$]+@(?:tcp|udp|unix)\(")
"""A Go driver DSN with a password: user:password@tcp(host:3306)/db (no scheme, so not a URL)."""
ASSIGNMENT = re.compile(r"-{0,2}([A-Za-z_][A-Za-z0-9_.-]*)=(.*)", re.DOTALL)
"""A command-line word that sets something: --password=..., DB_PASSWORD=... (env, export)."""
MYSQL_CLIENT = re.compile(r"(?:mysql|mariadb)[a-z-]*")
"""mysql, mysqladmin, mysqldump, mariadb, mariadb-dump...: `-pVALUE` is the password."""

SG_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SGS = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
INSTANCE = "aws:ec2/instance:Instance"
SPOT_INSTANCE_REQUEST = "aws:ec2/spotInstanceRequest:SpotInstanceRequest"
INSTANCES = (INSTANCE, SPOT_INSTANCE_REQUEST)
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
LAUNCH_CONFIGURATION = "aws:ec2/launchConfiguration:LaunchConfiguration"
MACHINES = (*INSTANCES, LAUNCH_CONFIGURATION)
"""What sets metadataOptions, rootBlockDevice and ebsBlockDevices itself."""
SPOT_FLEET = "aws:ec2/spotFleetRequest:SpotFleetRequest"
AUTOSCALING_GROUP = "aws:autoscaling/group:Group"
ROOT_DEVICES = frozenset({"/dev/xvda", "/dev/sda1", "/dev/sda", "/dev/nvme0n1"})
"""The root device names AMIs use (Amazon Linux, Ubuntu and most others, Nitro NVMe)."""
PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TARGET_GROUPS = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
LISTENER_PROTOCOLS = {"TCP": ("tcp",), "TLS": ("tcp",), "UDP": ("udp",), "TCP_UDP": ("tcp", "udp")}
"""A network load balancer listener's protocol, as security group protocols."""
BATCH_JOB = "aws:batch/jobDefinition:JobDefinition"
APP_RUNNER = "aws:apprunner/service:Service"
CODEBUILD = "aws:codebuild/project:Project"
EBS_VOLUME = "aws:ebs/volume:Volume"
EFS = "aws:efs/fileSystem:FileSystem"
DATABASES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
LAMBDA = "aws:lambda/function:Function"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONINGS = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)

Validation = Callable[[ResourceValidationArgs, ReportViolation], None]


def _is_list(value: Any) -> bool:
    """Whether a property is a list: pulumi-policy hands lists over as Sequences (its
    unknown-checking proxy), not as `list`."""
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def _truthy(value: Any) -> bool:
    """True for True and "true" (launch template EBS flags are strings in pulumi-aws)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _wide_open(cidrs: Iterable[Any]) -> list[str]:
    """The CIDRs that count as the world (see WIDE_PREFIX)."""
    found = []
    for cidr in cidrs:
        if not isinstance(cidr, str):
            continue
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            continue
        private = any(
            network.version == block.version and network.subnet_of(block) for block in NON_PUBLIC
        )
        if network.prefixlen < WIDE_PREFIX[network.version] and not private:
            found.append(cidr)
    return found


def _private_ports(protocol: Any, from_port: Any, to_port: Any) -> list[str]:
    """The private ports (PRIVATE_PORTS) a rule's protocol and port range admit."""
    if str(protocol).lower() in {"-1", "all"}:
        return [_port_label(*p) for p in PRIVATE_PORTS]
    name = PROTOCOLS.get(str(protocol).lower())
    # the engine hands numbers over as floats (22.0)
    ports = (from_port, to_port)
    if name is None or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in ports
    ):
        return []
    return [
        _port_label(proto, lo, hi)
        for proto, lo, hi in PRIVATE_PORTS
        if proto == name and from_port <= hi and lo <= to_port
    ]


def _port_label(protocol: str, lo: int, hi: int) -> str:
    return f"{lo}{'' if lo == hi else f'-{hi}'}{'/udp' if protocol == 'udp' else ''}"


def _check_open(
    report: ReportViolation, where: str, cidrs: list[Any], protocol: Any, lo: Any, hi: Any
) -> None:
    world = _wide_open(cidrs)
    ports = _private_ports(protocol, lo, hi)
    if world and ports:
        report(
            f"{where} admits admin or cluster port(s) {', '.join(ports)} from "
            f"{', '.join(world)} (any public range wider than /{WIDE_PREFIX[4]} for IPv4 or "
            f"/{WIDE_PREFIX[6]} for IPv6 counts as the world); list specific CIDRs "
            "(dockyard:adminCidrs) or, for cluster ports, the cluster's own security group",
            None,
        )


def no_admin_port_open_to_world(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """No ingress to an admin, Docker or cluster port (PRIVATE_PORTS) from the world
    (0.0.0.0/0, ::/0 or a wide public range, see WIDE_PREFIX), in any rule form."""
    props = args.props
    if args.resource_type == SG_INGRESS_RULE:
        cidrs = [props.get("cidrIpv4"), props.get("cidrIpv6")]
        _check_open(
            report,
            "this ingress rule",
            cidrs,
            props.get("ipProtocol"),
            props.get("fromPort"),
            props.get("toPort"),
        )
    elif args.resource_type == SG_RULE and props.get("type") == "ingress":
        cidrs = [*(props.get("cidrBlocks") or []), *(props.get("ipv6CidrBlocks") or [])]
        _check_open(
            report,
            "this ingress rule",
            cidrs,
            props.get("protocol"),
            props.get("fromPort"),
            props.get("toPort"),
        )
    elif args.resource_type in SGS:
        for index, rule in enumerate(props.get("ingress") or []):
            if not isinstance(rule, Mapping):
                continue
            cidrs = [*(rule.get("cidrBlocks") or []), *(rule.get("ipv6CidrBlocks") or [])]
            _check_open(
                report,
                f"inline ingress[{index}]",
                cidrs,
                rule.get("protocol"),
                rule.get("fromPort"),
                rule.get("toPort"),
            )


def _left_to_launch_template(props: Mapping[str, Any], key: str) -> bool:
    """Whether an instance takes `key` from its launch template (it names one, sets none)."""
    return bool(props.get("launchTemplate")) and not props.get(key)


def _metadata_problems(options: Mapping[str, Any]) -> list[str]:
    """What is wrong with a set of metadata options (IMDSv1, a hop limit above the limit)."""
    if options.get("httpEndpoint") == "disabled":
        return []
    problems = []
    if options.get("httpTokens") != "required":
        problems.append(
            "the instance metadata service allows IMDSv1; set "
            "metadata_options={'http_tokens': 'required'}"
        )
    hops = options.get("httpPutResponseHopLimit")
    if (
        not (isinstance(hops, int | float) and not isinstance(hops, bool))
        or hops > METADATA_HOP_LIMIT
    ):
        problems.append(
            f"the metadata hop limit is {'the AMI default' if hops is None else hops}: "
            "containers on the host could read the instance role's credentials; set "
            f"metadata_options={{'http_put_response_hop_limit': {METADATA_HOP_LIMIT}}}"
        )
    return problems


def _launch_specifications(props: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A spot fleet's launch specifications (the ones that do not use a launch template)."""
    return [s for s in props.get("launchSpecifications") or [] if isinstance(s, Mapping)]


def imdsv2_required(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Instances, spot requests, launch configurations and launch templates require IMDSv2
    session tokens (httpTokens: required) with a hop limit of METADATA_HOP_LIMIT. An instance
    that leaves its metadata options to a launch template is checked through the template
    (launch_template_in_stack). A spot fleet's launch specifications have no metadata
    options at all: only its launch template configs can require IMDSv2."""
    props = args.props
    if args.resource_type == SPOT_FLEET:
        for index, _ in enumerate(_launch_specifications(props)):
            report(
                f"launch_specifications[{index}] cannot require IMDSv2 (a spot fleet launch "
                "specification has no metadata options); use launch_template_configs with "
                "one of this stack's launch templates",
                None,
            )
        return
    if args.resource_type not in (*MACHINES, LAUNCH_TEMPLATE):
        return
    if args.resource_type in INSTANCES and _left_to_launch_template(props, "metadataOptions"):
        return
    for problem in _metadata_problems(props.get("metadataOptions") or {}):
        report(problem, None)


def _volume_problems(roots: list[Any] | None, devices: Iterable[Any]) -> list[str]:
    """What is unencrypted among a machine's root volume(s) (None: left to its launch
    template; none at all: the AMI's, unencrypted unless its snapshot is) and EBS volumes."""
    problems = []
    if roots is not None and not (
        roots and all(isinstance(r, Mapping) and _truthy(r.get("encrypted")) for r in roots)
    ):
        problems.append("the root volume is not encrypted; set root_block_device.encrypted")
    for device in devices:
        if isinstance(device, Mapping) and not _truthy(device.get("encrypted")):
            problems.append(f"EBS volume {device.get('deviceName')} is not encrypted")
    return problems


def _template_volume_problems(props: Mapping[str, Any]) -> list[str]:
    """A launch template encrypts every EBS mapping and maps the root device (ROOT_DEVICES):
    a template that maps only a data device (/dev/sdf) leaves the AMI's root volume as it is."""
    mappings = [
        m
        for m in props.get("blockDeviceMappings") or []
        if isinstance(m, Mapping) and isinstance(m.get("ebs"), Mapping)
    ]
    problems = []
    if not any(m.get("deviceName") in ROOT_DEVICES for m in mappings):
        problems.append(
            f"no EBS block device mapping for the root device ({', '.join(sorted(ROOT_DEVICES))}):"
            " instances get the AMI's root volume as it is (unencrypted unless the AMI's is); "
            "map the root device with ebs.encrypted 'true'"
        )
    problems += [
        f"block device {m.get('deviceName')} is not encrypted; set ebs.encrypted 'true'"
        for m in mappings
        if not _truthy(m["ebs"].get("encrypted"))
    ]
    return problems


def storage_encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """EBS volumes (root, extra, launch template mappings, spot fleet launch specifications,
    aws.ebs.Volume), EFS and RDS are encrypted. A launch template maps the root device
    (see _template_volume_problems): without that its instances get the AMI's root volume."""
    props = args.props
    problems: list[str] = []
    if args.resource_type in MACHINES:
        root = props.get("rootBlockDevice")
        inherited = args.resource_type in INSTANCES and _left_to_launch_template(
            props, "rootBlockDevice"
        )
        roots = None if inherited else [root] if root else []
        problems = _volume_problems(roots, props.get("ebsBlockDevices") or [])
    elif args.resource_type == SPOT_FLEET:
        for index, spec in enumerate(_launch_specifications(props)):
            problems += [
                f"launch_specifications[{index}]: {problem}"
                for problem in _volume_problems(
                    list(spec.get("rootBlockDevices") or []), spec.get("ebsBlockDevices") or []
                )
            ]
    elif args.resource_type == LAUNCH_TEMPLATE:
        problems = _template_volume_problems(props)
    elif args.resource_type in (EBS_VOLUME, EFS) and not _truthy(props.get("encrypted")):
        problems = ["the volume is not encrypted; set encrypted=True"]
    elif args.resource_type in DATABASES and not _truthy(props.get("storageEncrypted")):
        problems = ["the database storage is not encrypted; set storage_encrypted=True"]
    for problem in problems:
        report(problem, None)


def _json(value: Any) -> Any:
    """A JSON string input (containerDefinitions, containerProperties) parsed, None if it is
    not JSON; any other value as it is."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _container_definitions(value: Any) -> list[Mapping[str, Any]]:
    value = _json(value)
    return [c for c in value if isinstance(c, Mapping)] if _is_list(value) else []


def _words(name: str) -> list[str]:
    """A name's words, lower case (DB_PASSWORD_SECRET_ARN, dbPassword, --password-file,
    DB_PW2: a number is a word of its own)."""
    parts = re.split(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])", name)
    return [w.lower() for w in parts if w]


def _secret_name(name: str) -> bool:
    """Whether a name says it holds a secret (SECRET_NAME anywhere, SECRET_WORDS as words)."""
    return bool(SECRET_NAME.search(name)) or bool(SECRET_WORDS.intersection(_words(name)))


def _name_problem(name: str, value: Any) -> str | None:
    """What a variable's name says is wrong with it: it is named like a secret, or it is
    named like a reference (REFERENCES: any *_ARN, a secret's *_FILE) but its value is not
    one, so it holds the secret itself. Never repeats the value."""
    words = _words(name)
    ending = words[-1] if words else ""
    if ending in REFERENCES:
        pattern, form = REFERENCES[ending]
        text = value.strip() if isinstance(value, str) else ""
        if text and not pattern.fullmatch(text) and (ending == "arn" or _secret_name(name)):
            return f"{name} ends in {ending.upper()} but does not hold {form} (it holds the secret)"
        return None
    return f"{name} is named like a secret" if _secret_name(name) else None


def _url_with_password(text: str) -> bool:
    """Whether a text holds a URL with a password in its user information (user:password@;
    a shell reference such as user:$PASSWORD@ is not a password)."""
    for url in URL.findall(text):
        try:
            password = urlsplit(url).password
        except ValueError:
            continue
        if password and not password.startswith("$"):
            return True
    return False


def _secret_form(value: Any) -> str | None:
    """What secret a value holds by its form (KEY_FORMATS, a URL or a key=value connection
    string with a password), or None. Says what it is, never the secret."""
    if not isinstance(value, str):
        return None
    for label, pattern in KEY_FORMATS:
        if pattern.search(value):
            return label
    if _url_with_password(value):
        return "a URL with a password (user:password@)"
    if GO_DSN_PASSWORD.search(value):
        return "a DSN with a password (user:password@tcp(...))"
    if DSN_PASSWORD.search(value):
        return "a connection string with a password (password=...)"
    return None


def _environment_problems(variables: Iterable[tuple[str, Any]]) -> list[str]:
    """What is wrong with a set of environment variables, by name and by value (see
    _name_problem and _secret_form); never repeats a value."""
    problems = []
    for name, value in variables:
        problem = _name_problem(name, value)
        form = _secret_form(value)
        if problem is not None:
            problems.append(problem)
        elif form is not None:
            problems.append(f"{name} holds {form}")
    return problems


def _pairs(items: Any, plaintext_only: bool = False) -> list[tuple[str, Any]]:
    """[{name, value(, type)}] as (name, value); with plaintext_only, only the PLAINTEXT
    ones (CodeBuild's default type; SECRETS_MANAGER and PARAMETER_STORE hold a name)."""
    return [
        (str(item.get("name", "")), item.get("value"))
        for item in items or []
        if isinstance(item, Mapping)
        and not (plaintext_only and (item.get("type") or "PLAINTEXT") != "PLAINTEXT")
    ]


def _app_runner_configurations(props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """An App Runner service's image and code configurations, where each is set."""
    source = props.get("sourceConfiguration")
    image = _dig(source, "imageRepository", "imageConfiguration")
    code = _dig(source, "codeRepository", "codeConfiguration", "codeConfigurationValues")
    return [
        (where, config)
        for where, config in (("App Runner image", image), ("App Runner code", code))
        if isinstance(config, Mapping)
    ]


SECRETS_FIX = "pass it through `secrets` (Secrets Manager / SSM) instead"


def _environments(args: ResourceValidationArgs) -> list[tuple[str, list[tuple[str, Any]], str]]:
    """The plain-text environments a resource sets: (where, variables, how to fix)."""
    props, typ = args.props, args.resource_type
    if typ == TASK_DEFINITION:
        return [
            (f"container {c.get('name')} environment", _pairs(c.get("environment")), SECRETS_FIX)
            for c in _container_definitions(props.get("containerDefinitions"))
        ]
    if typ == LAMBDA:
        variables = _dig(props, "environment", "variables")
        pairs = (
            [(str(k), v) for k, v in variables.items()] if isinstance(variables, Mapping) else []
        )
        fix = (
            "keep the secret in Secrets Manager or SSM and pass its ARN (a variable ending in "
            "_ARN) for the function to read"
        )
        return [("Lambda environment", pairs, fix)]
    if typ == BATCH_JOB:
        container = _json(props.get("containerProperties"))
        env = container.get("environment") if isinstance(container, Mapping) else None
        return [("Batch container environment", _pairs(env), SECRETS_FIX)]
    if typ == APP_RUNNER:
        fix = "use runtime_environment_secrets (Secrets Manager / SSM ARNs) instead"
        return [
            (
                f"{where} runtimeEnvironmentVariables",
                [(str(k), v) for k, v in variables.items()],
                fix,
            )
            for where, config in _app_runner_configurations(props)
            if isinstance(variables := config.get("runtimeEnvironmentVariables"), Mapping)
        ]
    if typ == CODEBUILD:
        env = _dig(props, "environment", "environmentVariables")
        fix = "set type SECRETS_MANAGER or PARAMETER_STORE with the secret's name instead"
        return [("CodeBuild PLAINTEXT environment", _pairs(env, plaintext_only=True), fix)]
    return []


def no_secret_in_environment(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """No plain-text environment variable (ECS containers, Lambda, Batch containers, App
    Runner runtime variables, CodeBuild PLAINTEXT variables) named like a secret, named like
    a reference without holding one, or holding a secret in a known form: environments are
    plain text in the API and the console."""
    for where, variables, fix in _environments(args):
        for problem in _environment_problems(variables):
            report(f"{where}: {problem}; {fix}", None)


def _command_problems(argv: Iterable[Any]) -> list[str]:
    """What secrets a command line carries, never the secrets: an element in a known form
    (_secret_form); a word setting a secret-named option or variable (--password=VALUE,
    DB_PASSWORD=VALUE, --token VALUE); mysql's -pVALUE. Elements are split into words, so
    a shell line (CMD-SHELL, sh -c, user data) counts too. A value that is a shell
    reference ($VAR), an absolute path (a file holding the secret) or an option is none."""
    elements = [e for e in argv if isinstance(e, str)]
    problems = [f"an argument holds {form}" for form in map(_secret_form, elements) if form]
    words = [w.strip("'\"") for e in elements for w in e.split()]
    mysql = any(MYSQL_CLIENT.fullmatch(w.rsplit("/", 1)[-1]) for w in words)
    for index, word in enumerate(words):
        setting = ASSIGNMENT.fullmatch(word)
        if setting:
            shown, (name, value) = word.split("=", 1)[0] + "=", setting.groups()
        elif mysql and re.fullmatch(r"-p.+", word):
            shown, name, value = "mysql's -p", "password", word[2:]
        elif word.startswith("--") and not mysql and not word.startswith("--no-"):
            following = words[index + 1] if index + 1 < len(words) else ""
            shown, name, value = word, word[2:], following
        else:
            continue
        value = value.strip("'\"")
        if value and value[0] not in "$/-" and _name_problem(name, value) is not None:
            problems.append(f"{shown} sets a secret in plain text")
    return problems


def _user_data_lines(value: Any) -> list[str]:
    """User data's lines as given and, when it is base64 (launch templates, userDataBase64),
    decoded too (and gunzipped: cloud-init takes gzip)."""
    if not isinstance(value, str) or not value:
        return []
    lines = value.splitlines()
    try:
        raw = base64.b64decode("".join(value.split()), validate=True)
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (binascii.Error, ValueError, OSError, EOFError, zlib.error):
        return lines
    return lines + raw.decode("utf-8", "replace").splitlines()


def _plaintext_commands(args: ResourceValidationArgs) -> list[tuple[str, list[Any]]]:
    """The command lines and user data a resource hands over in plain text: (where, words)."""
    props, typ = args.props, args.resource_type
    found: list[tuple[str, list[Any]]] = []
    if typ == TASK_DEFINITION:
        for c in _container_definitions(props.get("containerDefinitions")):
            for key, value in (
                ("entryPoint", c.get("entryPoint")),
                ("command", c.get("command")),
                ("healthCheck", _dig(c, "healthCheck", "command")),
            ):
                found.append((f"container {c.get('name')} {key}", _as_list(value)))
    elif typ == BATCH_JOB:
        container = _json(props.get("containerProperties"))
        command = container.get("command") if isinstance(container, Mapping) else None
        found.append(("Batch container command", _as_list(command)))
    elif typ == APP_RUNNER:
        for where, config in _app_runner_configurations(props):
            for key in ("startCommand", "buildCommand"):
                found.append((f"{where} {key}", _as_list(config.get(key))))
    elif typ in (*MACHINES, LAUNCH_TEMPLATE):
        for key in ("userData", "userDataBase64"):
            found.append((key, _user_data_lines(props.get(key))))
    elif typ == SPOT_FLEET:
        for index, spec in enumerate(_launch_specifications(props)):
            found.append((f"launch_specifications[{index}] userData",
                          _user_data_lines(spec.get("userData"))))  # fmt: skip
    return found


def _as_list(value: Any) -> list[Any]:
    return list(value) if _is_list(value) else [value] if isinstance(value, str) else []


def no_secret_in_command_or_user_data(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    """No secret on a command line (ECS entry points, commands and health checks, Batch
    commands, App Runner start and build commands) or in user data (instances, spot
    requests and fleets, launch configurations and templates, base64 decoded): both are
    plain text in the API, the console and the instance's metadata (see _command_problems)."""
    for where, words in _plaintext_commands(args):
        for problem in dict.fromkeys(_command_problems(words)):
            report(
                f"{where}: {problem}; read it at run time from Secrets Manager or SSM instead",
                None,
            )


@cache
def _taggable(resource_type: str) -> bool:
    """Whether pulumi-aws's resource class for this type token takes `tags`."""
    parts = re.fullmatch(r"aws:([A-Za-z0-9]+)/[A-Za-z0-9]+:([A-Za-z0-9]+)", resource_type)
    if parts is None:
        return False
    try:
        module_name = parts.group(1).lower()
        # Python keywords get a trailing underscore (pulumi_aws.lambda_)
        module_name += "_" if keyword.iskeyword(module_name) else ""
        module = importlib.import_module(f"pulumi_aws.{module_name}")
        cls = getattr(module, parts.group(2))
    except (ImportError, AttributeError):
        return False
    init = getattr(cls, "_internal_init", None)
    return init is not None and "tags" in inspect.signature(init).parameters


def _tag_keys(tags: Any) -> set[str]:
    if isinstance(tags, Mapping):
        return {k for k, v in tags.items() if v not in (None, "")}
    if _is_list(tags):  # Auto Scaling groups: [{key, value, propagateAtLaunch}]
        return {t.get("key") for t in tags if isinstance(t, Mapping) and t.get("value")}
    return set()


def required_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    """Every taggable AWS resource carries Project, Stack and ManagedBy."""
    if not _taggable(args.resource_type):
        return
    missing = [t for t in REQUIRED_TAGS if t not in _tag_keys(args.props.get("tags"))]
    if missing:
        report(
            f"missing tag(s) {', '.join(missing)}; pass tags=cfg.base_tags (components.config)",
            None,
        )


REFERENCE_KEYS = ("id", "name", "launchTemplateId", "launchTemplateName")
"""Where a reference mapping names its target: a launch template reference is {id, name,
version}, a mixed instances policy's is {launchTemplateId, launchTemplateName, version}."""


def _reference_names(value: Any) -> list[Any]:
    """The ids and names a reference value carries (a value, a list, or a mapping)."""
    if isinstance(value, Mapping):
        return [value.get(k) for k in REFERENCE_KEYS if value.get(k) not in (None, "")]
    if _is_list(value):
        return [name for item in value for name in _reference_names(item)]
    return [] if value in (None, "") else [value]


def _refers_to(
    resource: PolicyResource, key: str, target: PolicyResource, name_key: str, value: Any = None
) -> bool:
    """Whether `resource`'s `key` property (or `value`, a part of it) is `target`: by property
    dependency, or by `target`'s physical name or id (its `name_key` property). Never by the
    Pulumi resource name: a bucket whose Pulumi name is "data" may be someone else's bucket
    called "data"."""
    if target in resource.property_dependencies.get(key, []):
        return True
    try:
        physical = target.props.get(name_key)
        names = _reference_names(resource.props.get(key) if value is None else value)
    except UnknownValueError:  # in a preview: computed from something else, not `target`
        return False
    return physical not in (None, "") and physical in names


def _dig(props: Mapping[str, Any], *keys: str) -> Any:
    """props[keys[0]][keys[1]]... or None where a level is missing."""
    value: Any = props
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _template_references(resource: PolicyResource) -> list[tuple[str, str, Any, str]]:
    """Where a resource takes its IMDS options and volumes from: (what it does, top-level key,
    reference, type of the target) for each launch template or configuration it names."""
    props, typ = resource.props, resource.resource_type
    refs = []
    if typ in INSTANCES:
        inherited = [
            key
            for key in ("metadataOptions", "rootBlockDevice")
            if _left_to_launch_template(props, key)
        ]
        if inherited:
            refs.append(
                (f"takes {' and '.join(inherited)} from a launch template", "launchTemplate",
                 props.get("launchTemplate"), LAUNCH_TEMPLATE)
            )  # fmt: skip
    elif typ == AUTOSCALING_GROUP:
        spec = _dig(props, "mixedInstancesPolicy", "launchTemplate", "launchTemplateSpecification")
        for what, key, ref, target in (
            ("launches from a launch template", "launchTemplate", props.get("launchTemplate"),
             LAUNCH_TEMPLATE),
            ("launches from a mixed instances policy's launch template", "mixedInstancesPolicy",
             spec, LAUNCH_TEMPLATE),
            ("launches from a launch configuration", "launchConfiguration",
             props.get("launchConfiguration"), LAUNCH_CONFIGURATION),
        ):  # fmt: skip
            if ref:
                refs.append((what, key, ref, target))
    elif typ == SPOT_FLEET:
        for index, config in enumerate(props.get("launchTemplateConfigs") or []):
            spec = (
                config.get("launchTemplateSpecification") if isinstance(config, Mapping) else None
            )
            refs.append(
                (f"launches launch_template_configs[{index}] from a launch template",
                 "launchTemplateConfigs", spec or {}, LAUNCH_TEMPLATE)
            )  # fmt: skip
    return refs


def launch_template_in_stack(args: StackValidationArgs, report: ReportViolation) -> None:
    """An instance or spot request that leaves its metadata options or root volume to its
    launch template, an Auto Scaling group (launch template, mixed instances policy or
    launch configuration) and a spot fleet's launch template configs use one of this
    stack's launch templates or configurations, which the pack checks for IMDSv2 and
    encryption."""
    for resource in args.resources:
        for what, key, ref, typ in _template_references(resource):
            targets = [r for r in args.resources if r.resource_type == typ]
            if not any(_refers_to(resource, key, t, "name", ref) for t in targets):
                report(
                    f"{resource.name} {what} that is not in this stack, so whether it "
                    "requires IMDSv2 and encrypts the root volume is unchecked; set them on "
                    "the instance or use one of this stack's launch templates",
                    resource.urn,
                )


def _world_prefix_lists(resources: Iterable[PolicyResource]) -> list[PolicyResource]:
    """This stack's managed prefix lists with an entry that counts as the world."""
    return [
        r
        for r in resources
        if r.resource_type == PREFIX_LIST
        and _wide_open(
            e.get("cidr") for e in r.props.get("entries") or [] if isinstance(e, Mapping)
        )
    ]


def _prefix_list_rules(resource: PolicyResource) -> list[tuple[str, str, Any, Any, Any, Any]]:
    """A resource's ingress rules from prefix lists: (where, top-level key, prefix list ids,
    protocol, from port, to port)."""
    props = resource.props
    if resource.resource_type == SG_INGRESS_RULE and props.get("prefixListId"):
        return [("ingress rule", "prefixListId", props.get("prefixListId"),
                 props.get("ipProtocol"), props.get("fromPort"), props.get("toPort"))]  # fmt: skip
    if resource.resource_type == SG_RULE and props.get("type") == "ingress":
        return [("ingress rule", "prefixListIds", props.get("prefixListIds") or [],
                 props.get("protocol"), props.get("fromPort"), props.get("toPort"))]  # fmt: skip
    if resource.resource_type in SGS:
        return [
            (f"security group inline ingress[{index}]", "ingress", rule.get("prefixListIds") or [],
             rule.get("protocol"), rule.get("fromPort"), rule.get("toPort"))
            for index, rule in enumerate(props.get("ingress") or [])
            if isinstance(rule, Mapping)
        ]  # fmt: skip
    return []


def _public_nlb_listeners(resources: list[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    """Listeners of this stack's internet-facing network load balancers, with the load
    balancer's name."""
    found = []
    for lb in resources:
        props = lb.props
        if lb.resource_type not in LOAD_BALANCERS or props.get("loadBalancerType") != "network":
            continue
        if _truthy(props.get("internal")):
            continue
        found += [
            (listener, lb.name)
            for listener in resources
            if listener.resource_type in LISTENERS
            and _refers_to(listener, "loadBalancerArn", lb, "arn")
        ]
    return found


def no_admin_port_open_indirectly(args: StackValidationArgs, report: ReportViolation) -> None:
    """No admin, Docker or cluster port (PRIVATE_PORTS) reachable from the world another way:
    an ingress rule (any form) from one of this stack's managed prefix lists holding a world
    CIDR (see WIDE_PREFIX), or a listener on an internet-facing network load balancer (an
    NLB forwards whoever connects to the listener's port)."""
    world = _world_prefix_lists(args.resources)
    for resource in args.resources:
        for where, key, ids, protocol, lo, hi in _prefix_list_rules(resource):
            lists = [pl.name for pl in world if ids and _refers_to(resource, key, pl, "id", ids)]
            ports = _private_ports(protocol, lo, hi)
            if lists and ports:
                report(
                    f"{resource.name} {where} admits admin or cluster port(s) "
                    f"{', '.join(ports)} from prefix list {', '.join(lists)}, which holds a "
                    "world-wide CIDR; list specific CIDRs in the prefix list",
                    resource.urn,
                )
    for listener, lb_name in _public_nlb_listeners(args.resources):
        ports = [
            p
            for protocol, port in _listener_ports(listener, args.resources)
            for proto in LISTENER_PROTOCOLS.get(str(protocol).upper(), ("tcp",))
            for p in _private_ports(proto, port, port)
        ]
        if ports:
            report(
                f"listener {listener.name} puts admin or cluster port(s) "
                f"{', '.join(dict.fromkeys(ports))} on the internet-facing network load "
                f"balancer {lb_name}; make the load balancer internal (internal=True) or "
                "reach the port another way",
                listener.urn,
            )


def _listener_ports(listener: PolicyResource, resources: list[PolicyResource]) -> list[Any]:
    """(protocol, port) a listener opens: its own, and that of each of this stack's target
    groups it forwards to (listener 2222 to a target group on 22 is SSH too)."""
    actions = [a for a in listener.props.get("defaultActions") or [] if isinstance(a, Mapping)]
    arns = [a.get("targetGroupArn") for a in actions] + [
        group.get("arn")
        for a in actions
        for group in _dig(a, "forward", "targetGroups") or []
        if isinstance(group, Mapping)
    ]
    groups = [
        r
        for r in resources
        if r.resource_type in TARGET_GROUPS
        and _refers_to(listener, "defaultActions", r, "arn", [a for a in arns if a])
    ]
    own = listener.props.get("protocol") or "TCP"
    return [(own, listener.props.get("port"))] + [
        (g.props.get("protocol") or own, g.props.get("port")) for g in groups
    ]


def buckets_private_and_versioned(args: StackValidationArgs, report: ReportViolation) -> None:
    """Each S3 bucket has a full public access block and versioning enabled.

    In pulumi-aws 7 both are separate resources (BucketPublicAccessBlock,
    BucketVersioning[V2]) pointing at the bucket, so this is a stack-level check.
    """
    buckets = [r for r in args.resources if r.resource_type in BUCKETS]
    for bucket in buckets:
        blocks = [
            r
            for r in args.resources
            if r.resource_type == PUBLIC_ACCESS_BLOCK and _refers_to(r, "bucket", bucket, "bucket")
        ]
        if not any(all(_truthy(b.props.get(f)) for f in PUBLIC_ACCESS_FLAGS) for b in blocks):
            report(
                f"bucket {bucket.name} has no BucketPublicAccessBlock with "
                f"{', '.join(PUBLIC_ACCESS_FLAGS)} all true",
                bucket.urn,
            )
        inline = (bucket.props.get("versioning") or {}).get("enabled") is True
        versioned = inline or any(
            ((r.props.get("versioningConfiguration") or {}).get("status") == "Enabled")
            for r in args.resources
            if r.resource_type in VERSIONINGS and _refers_to(r, "bucket", bucket, "bucket")
        )
        if not versioned:
            report(
                f"bucket {bucket.name} has no BucketVersioning with status Enabled",
                bucket.urn,
            )


RESOURCE_VALIDATIONS: dict[str, tuple[str, Validation]] = {
    "no-admin-port-open-to-world": (
        f"Admin, Docker and cluster ports ({', '.join(_port_label(*p) for p in PRIVATE_PORTS)}) "
        f"are never open to 0.0.0.0/0, ::/0 or a public range wider than /{WIDE_PREFIX[4]} "
        f"(IPv4) or /{WIDE_PREFIX[6]} (IPv6).",
        no_admin_port_open_to_world,
    ),
    "imdsv2-required": (
        "Instances, spot requests and fleets, launch configurations and launch templates "
        f"require IMDSv2 with a hop limit of {METADATA_HOP_LIMIT}.",
        imdsv2_required,
    ),
    "storage-encrypted": (
        "EBS volumes (instances, spot requests and fleets, launch configurations, launch "
        "templates, which map the root device), EFS file systems and RDS storage are encrypted.",
        storage_encrypted,
    ),
    "no-secret-in-environment": (
        "ECS and Batch containers, Lambda functions, App Runner services and CodeBuild "
        "projects get passwords, secrets, keys, tokens and URLs with passwords through Secrets "
        "Manager or SSM, never a plain-text environment.",
        no_secret_in_environment,
    ),
    "no-secret-in-command-or-user-data": (
        "No password, key or token on a container, Batch or App Runner command line or in "
        "EC2 user data.",
        no_secret_in_command_or_user_data,
    ),
    "required-tags": (
        f"Taggable AWS resources carry {', '.join(REQUIRED_TAGS)}.",
        required_tags,
    ),
}

STACK_VALIDATIONS: dict[str, tuple[str, Callable[[StackValidationArgs, ReportViolation], None]]] = {
    "s3-buckets-private-and-versioned": (
        "S3 buckets block public access and keep versions.",
        buckets_private_and_versioned,
    ),
    "launch-template-in-stack": (
        "Instances that take IMDS options or the root volume from a launch template, Auto "
        "Scaling groups and spot fleets use a launch template or configuration this stack "
        "defines (and the pack checks).",
        launch_template_in_stack,
    ),
    "no-admin-port-open-indirectly": (
        "Admin, Docker and cluster ports are not open to the world through a managed prefix "
        "list or an internet-facing network load balancer.",
        no_admin_port_open_indirectly,
    ),
}


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """Every policy, mandatory."""
    resource: list[ResourceValidationPolicy | StackValidationPolicy] = [
        ResourceValidationPolicy(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=EnforcementLevel.MANDATORY,
        )
        for name, (description, validate) in RESOURCE_VALIDATIONS.items()
    ]
    stack: list[ResourceValidationPolicy | StackValidationPolicy] = [
        StackValidationPolicy(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=EnforcementLevel.MANDATORY,
        )
        for name, (description, validate) in STACK_VALIDATIONS.items()
    ]
    return resource + stack
