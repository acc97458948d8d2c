"""A Docker host as the program makes it, for real: its engine serves TLS, our client env works.

The TLS resources are answered by a mock that does what pulumi-tls does (real keys,
a real CA, CSRs signed with the requested SANs and key usages), so the certificates
are the ones the program's wiring asks for. The host's user data (cloud-init
write_files: daemon.json, the systemd drop-in, the CA and server certificate) is laid
out in a private mount namespace and a real dockerd starts from that daemon.json in a
network namespace. `dockyard docker-env` turns the stack outputs into the client's
environment, and the real docker CLI connects over TLS; without a client certificate
it is refused.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tests.harness import certs
from tests.harness.pulumi_program import RecordingMocks, evaluate, unwrap_secrets
from tests.harness.sshhosts import ssh_cluster
from tests.harness.tools import REPO, require_tool

pytestmark = [pytest.mark.integration, pytest.mark.root]

# pulumi-tls allowed_uses -> the names tests.harness.certs takes
KEY_USAGE = {"cert_signing": "key_cert_sign", "crl_signing": "crl_sign"}


def _certificate(
    subject: x509.Name,
    public_key: Any,
    issuer: x509.Name,
    signing_key: Any,
    inputs: dict[str, Any],
    sans: list[x509.GeneralName],
    is_ca: bool,
) -> str:
    uses = inputs.get("allowedUses", [])
    return certs.cert_pem(
        certs.issue(
            subject,
            public_key,
            issuer,
            signing_key,
            is_ca=is_ca,
            usages=[KEY_USAGE.get(u, u) for u in uses if KEY_USAGE.get(u, u) in certs.KEY_USAGES],
            extended=[u for u in uses if u in certs.EXTENDED_USAGES],
            sans=sans,
            hours=int(inputs["validityPeriodHours"]),
        )
    )


class TlsMocks(RecordingMocks):
    """pulumi-tls answered the way its provider would, with real cryptography."""

    def __init__(self, address: str) -> None:
        super().__init__(public_ips=[address], private_ips=[address])

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        rid, outputs = super().new_resource(args)
        inputs = unwrap_secrets(args.inputs)
        if args.typ == "tls:index/privateKey:PrivateKey":
            outputs["privateKeyPem"] = certs.key_pem(certs.new_key())
        elif args.typ == "tls:index/selfSignedCert:SelfSignedCert":
            key = serialization.load_pem_private_key(inputs["privateKeyPem"].encode(), None)
            name = certs.common_name(inputs["subject"]["commonName"])
            outputs["certPem"] = _certificate(
                name, key.public_key(), name, key, inputs, [], inputs["isCaCertificate"]
            )
        elif args.typ == "tls:index/certRequest:CertRequest":
            key = serialization.load_pem_private_key(inputs["privateKeyPem"].encode(), None)
            sans: list[x509.GeneralName] = [x509.DNSName(d) for d in inputs.get("dnsNames", [])]
            sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in inputs.get("ipAddresses", [])]
            builder = x509.CertificateSigningRequestBuilder().subject_name(
                certs.common_name(inputs["subject"]["commonName"])
            )
            if sans:
                builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
            outputs["certRequestPem"] = (
                builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
            )
        elif args.typ == "tls:index/locallySignedCert:LocallySignedCert":
            csr = x509.load_pem_x509_csr(inputs["certRequestPem"].encode())
            ca = x509.load_pem_x509_certificate(inputs["caCertPem"].encode())
            ca_key = serialization.load_pem_private_key(inputs["caPrivateKeyPem"].encode(), None)
            try:
                sans = list(
                    csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
                )
            except x509.ExtensionNotFound:
                sans = []
            outputs["certPem"] = _certificate(
                csr.subject, csr.public_key(), ca.subject, ca_key, inputs, sans, False
            )
        return rid, outputs


def _docker(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("docker"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_engine_serves_tls_from_user_data_and_docker_env_connects(tmp_path: Path) -> None:
    """dockerd from our daemon.json answers on 2376 only to a client with our certificate."""
    dockerd = require_tool("dockerd")
    with ssh_cluster(tmp_path / "c", count=1, tag="dyt2", subnet=236) as cluster:
        host = cluster.hosts[0]
        result = evaluate({"dockyard:hostCount": "1"}, mocks=TlsMocks(host.address))
        [instance] = result.of_type("aws:ec2/instance:Instance")
        document = yaml.safe_load(instance.inputs["userData"].split("\n", 1)[1])

        root = tmp_path / "root"
        for item in document["write_files"]:
            path = root / item["path"].lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(item["content"], encoding="utf-8")
            path.chmod(int(item["permissions"], 8))
        dropin = (root / "etc/systemd/system/docker.service.d/dockyard.conf").read_text()
        assert "ExecStart=/usr/bin/dockerd --containerd" in dropin

        state = cluster.docker_dir
        state.mkdir(exist_ok=True)
        script = (
            f"mount --bind {root}/etc/docker /etc/docker && mount -t tmpfs tmpfs /run && "
            f"exec {dockerd} --config-file /etc/docker/daemon.json --data-root {state}/d "
            f"--exec-root {state}/x --pidfile {state}/p --iptables=false --ip6tables=false "
            "--bridge=none --ip-masq=false"
        )
        log = (tmp_path / "dockerd.log").open("wb")
        daemon = subprocess.Popen(
            [
                require_tool("nsenter"),
                f"--net=/run/netns/{host.namespace}",
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
            ],
            stdout=log,
            stderr=log,
        )
        try:
            cert_dir = tmp_path / "certs"
            proc = subprocess.run(
                [sys.executable, "-m", "dockyard", "docker-env", "--cert-dir", str(cert_dir)],
                input=json.dumps(result.outputs),
                capture_output=True,
                text=True,
                cwd=REPO,
                check=False,
            )
            assert proc.returncode == 0, proc.stderr
            env = dict(os.environ)
            for line in proc.stdout.splitlines():
                if line.startswith("export "):
                    key, _, value = line.removeprefix("export ").partition("=")
                    env[key] = value.strip("'")
            assert env["DOCKER_HOST"] == f"tcp://{host.address}:2376"
            assert (cert_dir / "key.pem").stat().st_mode & 0o777 == 0o600

            deadline = time.monotonic() + 60
            info = _docker(env, "info", "--format", "{{.ServerVersion}}")
            while info.returncode != 0 and time.monotonic() < deadline and daemon.poll() is None:
                time.sleep(0.3)
                info = _docker(env, "info", "--format", "{{.ServerVersion}}")
            assert info.returncode == 0, (
                info.stderr + (tmp_path / "dockerd.log").read_text()[-2000:]
            )

            anonymous = {k: v for k, v in env.items() if k != "DOCKER_CERT_PATH"}
            anonymous["DOCKER_CERT_PATH"] = str(tmp_path / "no-certs")
            (tmp_path / "no-certs").mkdir()
            (tmp_path / "no-certs" / "ca.pem").write_text((cert_dir / "ca.pem").read_text())
            refused = _docker(anonymous, "--tls", "info")
            assert refused.returncode != 0
        finally:
            daemon.terminate()
            daemon.wait(30)
