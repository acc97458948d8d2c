"""pulumi-tls answered under mocks the way its provider would, with real cryptography.

`TlsMocks(addresses)` makes real keys, a real CA, and CSRs signed with the requested SANs
and key usages, so the certificates are the ones the program's wiring asks for and a
real dockerd can serve them. Every evaluation makes new keys: evaluating again is a
certificate change.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

import pulumi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from tests.harness import certs
from tests.harness.pulumi_program import RecordingMocks, unwrap_secrets

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

    def __init__(self, addresses: Sequence[str]) -> None:
        super().__init__(public_ips=addresses, private_ips=addresses)

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
