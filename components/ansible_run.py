"""The hand-off to Ansible: inventory and agent.yml outputs, and the Command that runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_command as command

from components import PROJECT_DIR
from components.config import AnsibleConfig, FlockerConfig
from dockyard.ansible import (
    AGENT_YML_ENV,
    INVENTORY_ENV,
    PRIVATE_KEY_TEXT_ENV,
    RUN_SCRIPT,
    Handoff,
    command_environment,
    handoff,
    playbook_digest,
    sha256,
)


class AnsibleRunArgs(TypedDict):
    hosts: pulumi.Input[list[dict[str, Any]]]
    """The DockerHosts component's `hosts` output."""
    ansible: AnsibleConfig
    """Playbook, user, address kind, key, known_hosts, extra vars, whether to run."""
    flocker: FlockerConfig
    """Region, zone and optional credentials for agent.yml."""
    ssh_private_key: NotRequired[pulumi.Input[str] | None]
    """The private key Ansible logs in with, as text (secret: the generated key or
    sshPrivateKey); None: the file at ansible.private_key_path."""
    depends_on: NotRequired[list[pulumi.Resource]]
    """Resources the playbook run waits for (the instances)."""


class AnsibleRun(pulumi.ComponentResource):
    """Renders the inventory and agent.yml and, when enabled, runs ansible-playbook."""

    inventory_ini: pulumi.Output[str]
    inventory_yaml: pulumi.Output[str]
    agent_yml: pulumi.Output[str]
    """Secret: it may hold AWS credentials."""

    def __init__(
        self, name: str, args: AnsibleRunArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dockyard:ansible_run:AnsibleRun", name, None, opts)
        cfg = args["ansible"]
        flocker = args["flocker"]
        files: pulumi.Output[Handoff] = pulumi.Output.all(
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
            )
        )
        # The inventories hold no secrets; agent.yml may. Unwrap the inventories from
        # the (possibly secret) combined value, keep agent.yml secret.
        self.inventory_ini = pulumi.Output.unsecret(files.apply(lambda f: f.inventory_ini))
        self.inventory_yaml = pulumi.Output.unsecret(files.apply(lambda f: f.inventory_yaml))
        self.agent_yml = pulumi.Output.secret(files.apply(lambda f: f.agent_yml))

        if cfg.run:
            key = args.get("ssh_private_key")
            playbook = Path(cfg.playbook)
            digest = playbook_digest(
                playbook if playbook.is_absolute() else PROJECT_DIR / playbook, PROJECT_DIR
            )
            settings = command_environment(
                playbook=cfg.playbook,
                private_key_path=None if key is not None else cfg.private_key_path,
                known_hosts_file=cfg.known_hosts_file,
                extra_vars=cfg.extra_vars,
            )
            environment: dict[str, pulumi.Input[str]] = {
                **settings,
                INVENTORY_ENV: self.inventory_ini,
                AGENT_YML_ENV: self.agent_yml,
            }
            if key is not None:
                # a secret in the environment, written 0600 by run-playbook.sh, never argv
                environment[PRIVATE_KEY_TEXT_ENV] = pulumi.Output.secret(key)
            command.local.Command(
                f"{name}-playbook",
                create=f"bash {RUN_SCRIPT}",
                environment=environment,
                triggers=[
                    self.inventory_ini.apply(sha256),
                    self.agent_yml.apply(sha256),
                    digest,
                    sha256(settings["DOCKYARD_EXTRA_VARS"]),
                ],
                opts=pulumi.ResourceOptions(parent=self, depends_on=args.get("depends_on", [])),
            )
        self.register_outputs(
            {
                "inventoryIni": self.inventory_ini,
                "inventoryYaml": self.inventory_yaml,
                "agentYml": self.agent_yml,
            }
        )
