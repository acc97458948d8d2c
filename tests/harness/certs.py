"""Real key material for tests: X.509 keys and certificates, and SSH keys, from `cryptography`."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificateIssuerPublicKeyTypes,
)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KEY_USAGES = ("digital_signature", "key_encipherment", "key_cert_sign", "crl_sign")
EXTENDED_USAGES = {
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
}


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def common_name(name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])


def issue(
    subject: x509.Name,
    public_key: CertificateIssuerPublicKeyTypes,
    issuer: x509.Name,
    signing_key: CertificateIssuerPrivateKeyTypes,
    *,
    is_ca: bool = False,
    usages: Iterable[str] = (),
    extended: Iterable[str] = (),
    sans: Sequence[x509.GeneralName] = (),
    hours: int = 24,
) -> x509.Certificate:
    """A certificate with the given key usages (KEY_USAGES names), extended usages
    (EXTENDED_USAGES names) and subject alternative names."""
    now = dt.datetime.now(dt.UTC)
    wanted = set(usages)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=hours))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
            critical=False,
        )
    )
    if wanted:
        builder = builder.add_extension(
            x509.KeyUsage(
                content_commitment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
                **{usage: usage in wanted for usage in KEY_USAGES},
            ),
            critical=True,
        )
    oids = [EXTENDED_USAGES[u] for u in extended]
    if oids:
        builder = builder.add_extension(x509.ExtendedKeyUsage(oids), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def ed25519_openssh(seed: str) -> tuple[str, str]:
    """A real ED25519 key made from `seed` (the same seed, the same key): its private half in
    OpenSSH format and its public half as an authorized_keys line, as pulumi-tls's
    private_key_openssh and public_key_openssh give them."""
    digest = hashlib.sha256(seed.encode()).digest()
    key = ed25519.Ed25519PrivateKey.from_private_bytes(digest)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return _fixed_checkint(pem, digest[:4]), public.decode() + "\n"


def _fixed_checkint(pem: str, checkint: bytes) -> str:
    """The OpenSSH private key with its random "checkint" (twice, at the start of the private
    section: PROTOCOL.key in OpenSSH's source) replaced by `checkint`, so that the same key
    serializes the same way in every run (snapshots hash secret values)."""
    lines = pem.strip().splitlines()
    blob = bytearray(base64.b64decode("".join(lines[1:-1])))
    offset = len(b"openssh-key-v1\0")
    for _ in range(3):  # ciphername, kdfname, kdfoptions
        offset += 4 + int.from_bytes(blob[offset : offset + 4], "big")
    offset += 4  # number of keys
    offset += 4 + int.from_bytes(blob[offset : offset + 4], "big")  # public key
    offset += 4  # length of the private section
    blob[offset : offset + 8] = checkint * 2
    body = base64.b64encode(bytes(blob)).decode()
    wrapped = [body[i : i + 70] for i in range(0, len(body), 70)]
    return "\n".join([lines[0], *wrapped, lines[-1]]) + "\n"
