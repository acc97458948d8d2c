"""cloud-init user data for a Docker host, as Docker Machine's amazonec2 driver left it.

Docker comes from the distribution's packages (no `curl | sh`). The user data holds no
secret: the engine's TLS material and its settings (listening on 2376 with TLS,
verifying client certificates against the stack's CA) are installed by the Ansible
run (ansible/roles/docker_tls), which can rotate them on a running host.
"""

from __future__ import annotations

import yaml

DOCKER_TLS_PORT = 2376


def render_user_data(hostname: str) -> str:
    """A `#cloud-config` document; deterministic for the same hostname."""
    if not hostname:
        raise ValueError("a Docker host needs a hostname")
    document = {
        "hostname": hostname,
        "preserve_hostname": False,
        "package_update": True,
        "packages": ["docker.io"],
    }
    return "#cloud-config\n" + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
