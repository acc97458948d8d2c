"""cloud-init user data for a Docker host, as Docker Machine's amazonec2 driver left it.

Docker comes from the distribution's packages (no `curl | sh`); the engine
listens on the local socket and on 2376 with TLS, verifying client certificates
against the stack's CA.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import yaml

DOCKER_TLS_PORT = 2376
TLS_DIR = "/etc/docker/tls"


@dataclass(frozen=True)
class DockerTls:
    """PEM material the engine needs: the CA and the host's server certificate and key."""

    ca_cert_pem: str
    server_cert_pem: str
    server_key_pem: str


def daemon_json(port: int = DOCKER_TLS_PORT) -> str:
    config = {
        "hosts": ["unix:///var/run/docker.sock", f"tcp://0.0.0.0:{port}"],
        "tls": True,
        "tlsverify": True,
        "tlscacert": f"{TLS_DIR}/ca.pem",
        "tlscert": f"{TLS_DIR}/server-cert.pem",
        "tlskey": f"{TLS_DIR}/server-key.pem",
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m", "max-file": "3"},
    }
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


# The distribution unit starts dockerd with `-H fd://`, which conflicts with `hosts`
# in daemon.json; the drop-in clears it so daemon.json is the one source of truth.
_DOCKER_DROPIN = """\
[Service]
ExecStart=
ExecStart=/usr/bin/dockerd --containerd=/run/containerd/containerd.sock
"""


def render_user_data(hostname: str, tls: DockerTls, port: int = DOCKER_TLS_PORT) -> str:
    """A `#cloud-config` document; deterministic for the same inputs."""
    if not hostname:
        raise ValueError("a Docker host needs a hostname")
    files = [
        {"path": f"{TLS_DIR}/ca.pem", "content": tls.ca_cert_pem, "permissions": "0644"},
        {
            "path": f"{TLS_DIR}/server-cert.pem",
            "content": tls.server_cert_pem,
            "permissions": "0644",
        },
        {
            "path": f"{TLS_DIR}/server-key.pem",
            "content": tls.server_key_pem,
            "permissions": "0600",
        },
        {"path": "/etc/docker/daemon.json", "content": daemon_json(port), "permissions": "0644"},
        {
            "path": "/etc/systemd/system/docker.service.d/dockyard.conf",
            "content": _DOCKER_DROPIN,
            "permissions": "0644",
        },
    ]
    document = {
        "hostname": hostname,
        "preserve_hostname": False,
        "package_update": True,
        "packages": ["docker.io"],
        "write_files": files,
        "runcmd": [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "docker.service"],
            ["systemctl", "restart", "docker.service"],
        ],
    }
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
