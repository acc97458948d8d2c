"""The hand-off to Ansible: inventory and agent.yml outputs, and the Command that runs it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_command as command
import pulumi_random as random

from components import PROJECT_DIR
from components.config import AnsibleConfig, FlockerConfig
from components.hosts.docker_hosts import ServerTls
from dockyard.hosts.ansible import (
    EXTRA_VARS_ENV,
    INVENTORY_ENV,
    PRIVATE_KEY_TEXT_ENV,
    RUN_SCRIPT,
    Handoff,
    command_environment,
    handoff,
    host_env,
    keyed_sha256,
    playbook_digest,
    sha256,
)


def _host_name(position: int, files: Handoff) -> str:
    return files.host_names[position]


def _host_agent_yml(position: int, files: Handoff) -> str:
    return files.host_agent_ymls[position]


class AnsibleRunArgs(TypedDict):
    """What the hand-off is wired to; its own settings are the AnsibleConfig (playbook,
    user, address kind, key, known_hosts, extra vars, whether to run)."""

    hosts: pulumi.Input[list[dict[str, Any]]]
    """The DockerHosts component's `hosts` output."""
    flocker: FlockerConfig
    """Region, zone and optional credentials for agent.yml."""
    ssh_private_key: NotRequired[pulumi.Input[str] | None]
    """The private key Ansible logs in with, as text (secret: the generated key or
    sshPrivateKey); None: the file at ansible.private_key_path."""
    server_tls: Sequence[ServerTls]
    """Per host, in the order of `hosts`: the engine's TLS material the playbook installs."""
    depends_on: NotRequired[list[pulumi.Resource]]
    """Resources the playbook run waits for (the instances)."""


class AnsibleRun(pulumi.ComponentResource):
    """Renders the inventory and agent.yml and, when enabled, runs ansible-playbook."""

    inventory_ini: pulumi.Output[str]
    inventory_yaml: pulumi.Output[str]
    agent_yml: pulumi.Output[str]
    """Secret: it may hold AWS credentials."""

    def __init__(
        self,
        name: str,
        cfg: AnsibleConfig,
        args: AnsibleRunArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("dockyard:ansible_run:AnsibleRun", name, None, opts)
        self._cfg = cfg
        files = self._handoff(cfg, args)
        # The inventories hold no secrets; agent.yml may. Unwrap the inventories from
        # the (possibly secret) combined value, keep agent.yml secret.
        self.inventory_ini = pulumi.Output.unsecret(files.apply(lambda f: f.inventory_ini))
        self.inventory_yaml = pulumi.Output.unsecret(files.apply(lambda f: f.inventory_yaml))
        self.agent_yml = pulumi.Output.secret(files.apply(lambda f: f.agent_yml))
        if cfg.run:
            self._playbook(name, args, files)
        self.register_outputs(
            {
                "inventoryIni": self.inventory_ini,
                "inventoryYaml": self.inventory_yaml,
                "agentYml": self.agent_yml,
            }
        )

    @staticmethod
    def _handoff(cfg: AnsibleConfig, args: AnsibleRunArgs) -> pulumi.Output[Handoff]:
        """The inventories and each host's agent.yml, from the hosts output."""
        flocker = args["flocker"]
        return pulumi.Output.all(
            args["hosts"], flocker.access_key_id, flocker.secret_access_key
        ).apply(
            lambda v: handoff(
                v[0],
                address=cfg.address,
                user=cfg.user,
                region=flocker.region,
                zone=flocker.zone,
                access_key_id=v[1],
                secret_access_key=v[2],
                ssm=cfg.ssm,
            )
        )

    def _playbook(self, name: str, args: AnsibleRunArgs, files: pulumi.Output[Handoff]) -> None:
        """The Command that runs ansible-playbook, replaced whenever what it hands over changes."""
        cfg = self._cfg
        key = args.get("ssh_private_key")
        playbook = Path(cfg.playbook)
        digest = playbook_digest(
            playbook if playbook.is_absolute() else PROJECT_DIR / playbook, PROJECT_DIR
        )
        settings = command_environment(
            playbook=cfg.playbook,
            private_key_path=None if key is not None else cfg.private_key_path,
            known_hosts_file=cfg.known_hosts_file,
            # hostTuning's and hostQos' role variables; ansibleExtraVars can override them
            extra_vars={**cfg.role_vars, **cfg.extra_vars},
            ssm=cfg.ssm,
        )
        extra_vars = settings.pop(EXTRA_VARS_ENV)
        environment: dict[str, pulumi.Input[str]] = {
            **settings,
            # extra variables may hold secrets (docs/configuration.md): never in the clear
            EXTRA_VARS_ENV: pulumi.Output.secret(extra_vars),
            INVENTORY_ENV: self.inventory_ini,
        }
        if key is not None:
            # a secret in the environment, written 0600 by run-playbook.sh, never argv
            environment[PRIVATE_KEY_TEXT_ENV] = pulumi.Output.secret(key)
        certificates = self._host_files(environment, args["server_tls"], files)
        command.local.Command(
            f"{name}-playbook",
            create=f"bash {RUN_SCRIPT}",
            environment=environment,
            # A new value of any of these re-runs the playbook (the Command is replaced):
            # a renewed certificate is rotated in place by the next `up`; switching ssm
            # changes the inventory (ansible_host, the ProxyCommand), so the run follows.
            triggers=[
                self.inventory_ini.apply(sha256),
                files.apply(lambda f: sha256("".join(f.host_agent_ymls))),
                digest,
                self._extra_vars_digest(name, extra_vars),
                pulumi.Output.all(*certificates).apply(lambda pems: sha256("".join(pems))),
                # hostTuning and hostQos as the roles get them, readable in the preview's
                # diff: a changed rule or setting re-runs the playbook and nothing else
                json.dumps(cfg.role_vars, sort_keys=True),
            ],
            # Ansible's output can hold secrets (more so with -v): keep it out of the
            # update log and store it encrypted in the state.
            logging=command.local.Logging.NONE,
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=args.get("depends_on", []),
                additional_secret_outputs=["stdout", "stderr"],
            ),
        )

    def _extra_vars_digest(self, name: str, extra_vars: str) -> pulumi.Output[str]:
        """The extra variables' hash, keyed by random bytes kept secret in the state: it
        stays readable in the preview's diff, and a guessable secret among the variables
        cannot be found from it by hashing candidates (a plain sha256 could)."""
        key = random.RandomBytes(
            f"{name}-extra-vars-key", length=32, opts=pulumi.ResourceOptions(parent=self)
        )
        return pulumi.Output.unsecret(key.hex.apply(lambda k: keyed_sha256(k, extra_vars)))

    @staticmethod
    def _host_files(
        environment: dict[str, pulumi.Input[str]],
        server_tls: Sequence[ServerTls],
        files: pulumi.Output[Handoff],
    ) -> list[pulumi.Output[str]]:
        """Each host's name, agent.yml and TLS material into `environment`; returns the
        certificates (their renewal re-runs the playbook)."""
        certificates: list[pulumi.Output[str]] = []
        for index, tls in enumerate(server_tls, start=1):
            environment[host_env(index)] = pulumi.Output.unsecret(
                files.apply(partial(_host_name, index - 1))
            )
            environment[host_env(index, "AGENT_YML")] = pulumi.Output.secret(
                files.apply(partial(_host_agent_yml, index - 1))
            )
            environment[host_env(index, "TLS_CA")] = tls.ca_cert_pem
            environment[host_env(index, "TLS_CERT")] = tls.cert_pem
            environment[host_env(index, "TLS_KEY")] = pulumi.Output.secret(tls.key_pem)
            certificates += [tls.ca_cert_pem, tls.cert_pem]
        return certificates
