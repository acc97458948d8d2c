"""N Docker hosts on EC2, as Docker Machine's amazonec2 driver made them.

Each host gets its own network interface (and Elastic IP when public) before the
instance exists, so its addresses are known in advance: the engine's TLS server
certificate names them, and they survive an instance replacement.

Nothing here replaces a host as a side effect of time passing: a looked-up AMI is used
when an instance is created and ignored afterwards, and the TLS material reaches the
hosts through the Ansible run (ansible/roles/docker_tls), not the user data, which
holds no secret and is updated in place when it changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from components.config import DockerHostsConfig
from components.config.reader import ConfigError
from dockyard.hosts.cloudinit import DOCKER_TLS_PORT, render_user_data
from dockyard.hosts.inventory import CONTROL_ROLE
from dockyard.hosts.machines import Machine
from dockyard.hosts.tuning import HostTuning, TuningError, check_cpu_options
from dockyard.iam import assume_role_policy, flocker_ebs_policy

SSM_MANAGED_INSTANCE_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
"""AWS's managed policy for Session Manager and the SSM agent (ssm, ssmmessages, ec2messages)."""
UBUNTU_OWNER = "099720109477"  # Canonical
UBUNTU_AMI_NAME = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"
CERT_VALIDITY_HOURS = 3 * 365 * 24
CERT_EARLY_RENEWAL_HOURS = 30 * 24


@dataclass(frozen=True)
class ServerTls:
    """One host's engine TLS material, which the Ansible run installs (docker_tls role)."""

    ca_cert_pem: pulumi.Output[str]
    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]
    """Secret."""


class DockerHostsArgs(TypedDict):
    """What the hosts are wired to; their own settings are the DockerHostsConfig."""

    name_prefix: str
    """Hosts are named `<prefix>-1` .. `<prefix>-N` (the Name tag)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """Subnets to spread the hosts over (round robin)."""
    security_group_id: pulumi.Input[str]
    """The cluster security group."""
    region: str
    """The region whose EBS volumes Flocker manages through the hosts' instance role."""
    tags: dict[str, str]
    """Tags for every resource."""


class DockerHosts(pulumi.ComponentResource):
    """The hosts plus the TLS material their engines and clients use."""

    hosts: pulumi.Output[list[dict[str, Any]]]
    """Per host: name, role, instanceId, publicIp, privateIp, availabilityZone, dockerHost,
    dockerEnv (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_MACHINE_NAME)."""
    instances: list[aws.ec2.Instance]
    docker_tls: pulumi.Output[dict[str, str]]
    """Client TLS material (secret): caPem, certPem, keyPem."""
    ssh_private_key: pulumi.Output[str] | None
    """The generated SSH key's private half, OpenSSH format (secret); None when the key
    pair is the user's (key_name or ssh_public_key)."""
    server_tls: list[ServerTls]
    """Per host, in the order of `hosts`: the engine's CA, certificate and key."""

    def __init__(
        self,
        name: str,
        cfg: DockerHostsConfig,
        args: DockerHostsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("dockyard:docker_hosts:DockerHosts", name, None, opts)
        self._name, self._cfg, self._args = name, cfg, args
        self._child = pulumi.ResourceOptions(parent=self)
        self._tags = args["tags"]
        self._check_cpu_options()
        ami = self._ami()
        key_name = self._key_pair()
        profile = self._instance_profile()
        ca_key, ca_cert = self._certificate_authority()
        client_key = tls.PrivateKey(
            f"{name}-client-key", algorithm="ECDSA", ecdsa_curve="P256", opts=self._child
        )
        client_cert = self._sign(
            f"{name}-client",
            client_key,
            ca_key,
            ca_cert,
            common_name="dockyard-client",
            uses=["digital_signature", "key_encipherment", "client_auth"],
        )
        self.instances = []
        self.server_tls = []
        hosts = [
            self._host(index, ami, key_name, profile, ca_key, ca_cert)
            for index in range(1, cfg.count + 1)
        ]
        self.hosts = pulumi.Output.all(*hosts).apply(list)
        self.docker_tls = pulumi.Output.secret(
            pulumi.Output.all(
                ca_cert.cert_pem, client_cert.cert_pem, client_key.private_key_pem
            ).apply(lambda pems: {"caPem": pems[0], "certPem": pems[1], "keyPem": pems[2]})
        )
        self.register_outputs({"hosts": self.hosts, "dockerTls": self.docker_tls})

    def _ami(self) -> pulumi.Input[str]:
        """amiId, or the newest Ubuntu LTS image, looked up."""
        return self._cfg.ami_id or (
            aws.ec2.get_ami_output(
                most_recent=True,
                owners=[UBUNTU_OWNER],
                filters=[
                    {"name": "name", "values": [UBUNTU_AMI_NAME]},
                    {"name": "architecture", "values": ["x86_64"]},
                    {"name": "virtualization-type", "values": ["hvm"]},
                ],
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).id
        )

    def _key_pair(self) -> pulumi.Input[str] | None:
        """The EC2 key pair's name: the user's, one made from their public key, or one made
        from a generated ED25519 key (then `ssh_private_key` is its private half)."""
        key_name: pulumi.Input[str] | None = self._cfg.key_name
        public_key: pulumi.Input[str] | None = self._cfg.ssh_public_key
        self.ssh_private_key = None
        if not key_name and not public_key:
            ssh_key = tls.PrivateKey(f"{self._name}-ssh-key", algorithm="ED25519", opts=self._child)
            public_key = ssh_key.public_key_openssh
            self.ssh_private_key = pulumi.Output.secret(ssh_key.private_key_openssh)
        if public_key:
            key_pair = aws.ec2.KeyPair(
                f"{self._name}-key",
                key_name_prefix=f"{self._args['name_prefix']}-",
                public_key=public_key,
                tags=self._tags,
                opts=self._child,
            )
            key_name = key_pair.key_name
        return key_name

    def _instance_profile(self) -> aws.iam.InstanceProfile:
        """The hosts' instance role: the EBS calls Flocker's AWS backend makes (agent.yml
        without credentials "uses the instance role"), and with ssm Session Manager's.
        Attaching a profile to a running instance is an update in place."""
        name, tags, child = self._name, self._tags, self._child
        instance_role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com", None),
            description=f"{self._args['name_prefix']} Docker hosts: Flocker's EBS volumes",
            tags=tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flocker-ebs",
            role=instance_role.id,
            policy=flocker_ebs_policy(self._args["region"], tags),
            opts=child,
        )
        if self._cfg.ssm:
            # Ubuntu's AMIs run the SSM agent; this lets it register and carry sessions.
            aws.iam.RolePolicyAttachment(
                f"{name}-ssm",
                role=instance_role.name,
                policy_arn=SSM_MANAGED_INSTANCE_POLICY,
                opts=child,
            )
        return aws.iam.InstanceProfile(
            f"{name}-profile", role=instance_role.name, tags=tags, opts=child
        )

    def _certificate_authority(self) -> tuple[tls.PrivateKey, tls.SelfSignedCert]:
        """The CA that signs the engines' and the client's certificates."""
        ca_key = tls.PrivateKey(
            f"{self._name}-ca-key", algorithm="ECDSA", ecdsa_curve="P256", opts=self._child
        )
        ca_cert = tls.SelfSignedCert(
            f"{self._name}-ca-cert",
            private_key_pem=ca_key.private_key_pem,
            is_ca_certificate=True,
            subject={
                "common_name": f"{self._args['name_prefix']} Docker CA",
                "organization": "dockyard",
            },
            validity_period_hours=CERT_VALIDITY_HOURS,
            early_renewal_hours=CERT_EARLY_RENEWAL_HOURS,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature"],
            opts=self._child,
        )
        return ca_key, ca_cert

    def _host(
        self,
        index: int,
        ami: pulumi.Input[str],
        key_name: pulumi.Input[str] | None,
        profile: aws.iam.InstanceProfile,
        ca_key: tls.PrivateKey,
        ca_cert: tls.SelfSignedCert,
    ) -> pulumi.Output[dict[str, Any]]:
        """Host `index`: its interface (and Elastic IP), engine certificate and instance;
        returns its entry of the `hosts` output."""
        name, args, tags, child = self._name, self._args, self._tags, self._child
        host_name = f"{args['name_prefix']}-{index}"
        role = CONTROL_ROLE if index == 1 else "agent"
        eni = aws.ec2.NetworkInterface(
            f"{name}-eni-{index}",
            subnet_id=args["subnet_ids"][(index - 1) % len(args["subnet_ids"])],
            security_groups=[args["security_group_id"]],
            description=f"{host_name} primary interface",
            tags={**tags, "Name": host_name},
            opts=child,
        )
        public_ip: pulumi.Output[str] | None = None
        if self._cfg.public_ip:
            eip = aws.ec2.Eip(
                f"{name}-eip-{index}",
                domain="vpc",
                network_interface=eni.id,
                tags={**tags, "Name": host_name},
                opts=child,
            )
            public_ip = eip.public_ip
        server_key = tls.PrivateKey(
            f"{name}-server-key-{index}", algorithm="ECDSA", ecdsa_curve="P256", opts=child
        )
        addresses: list[pulumi.Input[str]] = [eni.private_ip, "127.0.0.1"]
        if public_ip is not None:
            addresses.append(public_ip)
        server_cert = self._sign(
            f"{name}-server-{index}",
            server_key,
            ca_key,
            ca_cert,
            common_name=host_name,
            uses=["digital_signature", "key_encipherment", "server_auth"],
            ip_addresses=addresses,
            dns_names=[host_name, "localhost"],
        )
        self.server_tls.append(
            ServerTls(ca_cert.cert_pem, server_cert.cert_pem, server_key.private_key_pem)
        )
        instance = self._instance(index, host_name, role, eni, ami, key_name, profile)
        self.instances.append(instance)
        address = public_ip if public_ip is not None else eni.private_ip
        return pulumi.Output.all(
            instance.id, eni.private_ip, public_ip, instance.availability_zone, address
        ).apply(
            lambda values: Machine.serving(
                index - 1, host_name, role, values, docker_port=DOCKER_TLS_PORT
            ).to_output()
        )

    def _instance(
        self,
        index: int,
        host_name: str,
        role: str,
        eni: aws.ec2.NetworkInterface,
        ami: pulumi.Input[str],
        key_name: pulumi.Input[str] | None,
        profile: aws.iam.InstanceProfile,
    ) -> aws.ec2.Instance:
        cfg, tags = self._cfg, self._tags
        # A looked-up AMI only chooses the image of a new host: `ami` forces a new instance
        # (docs/hosts-and-ansible.md), so a newer image must not replace the hosts. An
        # explicit amiId is followed: setting it is how hosts move to a new image.
        ignore_ami = [] if cfg.ami_id else ["ami"]
        return aws.ec2.Instance(
            f"{self._name}-host-{index}",
            ami=ami,
            instance_type=cfg.instance_type,
            key_name=key_name,
            iam_instance_profile=profile.name,
            primary_network_interface={
                "network_interface_id": eni.id,
                "delete_on_termination": False,
            },
            # No secret in it; a change is applied in place (stop, start), never by
            # replacing the host.
            user_data=render_user_data(host_name),
            user_data_replace_on_change=False,
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 1,
            },
            root_block_device={
                "volume_type": "gp3",
                "volume_size": cfg.root_volume_size,
                "encrypted": True,
                "delete_on_termination": True,
                "tags": {**tags, "Name": f"{host_name}-root"},
            },
            tags={**tags, "Name": host_name, "Role": role},
            # hostTuning.threadsPerCore (1: hyper-threading off) with coreCount (EC2's
            # CpuOptionsRequest takes both). The provider marks cpu_options.core_count
            # and threads_per_core ForceNew (terraform-provider-aws
            # internal/service/ec2/ec2_instance.go @0015dfcd): a change replaces the
            # host; its interface and Elastic IP stay, so its addresses do.
            cpu_options=(
                {"core_count": cfg.core_count, "threads_per_core": cfg.threads_per_core}
                if cfg.threads_per_core is not None
                else None
            ),
            # The interface can be attached to one instance at a time.
            opts=pulumi.ResourceOptions(
                parent=self, delete_before_replace=True, ignore_changes=ignore_ami
            ),
        )

    def _check_cpu_options(self) -> None:
        """hostTuning's CPU options against EC2's answer for the instance type
        (DescribeInstanceTypes), so a type that refuses them fails the preview, not the
        replacement of a host already deleted (deleteBeforeReplace)."""
        cfg = self._cfg
        if cfg.threads_per_core is None:
            return
        found = aws.ec2.get_instance_type(instance_type=cfg.instance_type)
        tuning = HostTuning(threads_per_core=cfg.threads_per_core, core_count=cfg.core_count)
        try:
            check_cpu_options(
                cfg.instance_type,
                tuning,
                list(found.valid_threads_per_cores or []),
                list(found.valid_cores or []),
            )
        except TuningError as err:
            raise ConfigError(
                "hostTuning",
                f"{err.where} {err.problem}",
                f"{err.fix} (docs/host-tuning.md#threadspercore-and-corecount-replace-the-hosts)",
            ) from None

    def _sign(
        self,
        name: str,
        key: tls.PrivateKey,
        ca_key: tls.PrivateKey,
        ca_cert: tls.SelfSignedCert,
        *,
        common_name: str,
        uses: list[str],
        ip_addresses: list[pulumi.Input[str]] | None = None,
        dns_names: list[str] | None = None,
    ) -> tls.LocallySignedCert:
        child = pulumi.ResourceOptions(parent=self)
        request = tls.CertRequest(
            f"{name}-csr",
            private_key_pem=key.private_key_pem,
            subject={"common_name": common_name, "organization": "dockyard"},
            ip_addresses=ip_addresses,
            dns_names=dns_names,
            opts=child,
        )
        return tls.LocallySignedCert(
            f"{name}-cert",
            cert_request_pem=request.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca_cert.cert_pem,
            validity_period_hours=CERT_VALIDITY_HOURS,
            early_renewal_hours=CERT_EARLY_RENEWAL_HOURS,
            allowed_uses=uses,
            opts=child,
        )
