"""Day 2 of a zero-config stack (the dev stack: default VPC, generated key): what the next
`pulumi up` does when the world around it moves."""

from __future__ import annotations

import http.server
import threading

import pytest

from dockyard.checkip import CHECKIP_URL_ENV
from tests.harness.day2 import next_up
from tests.harness.pulumi_program import DEFAULT_VPC_SUBNETS, RecordingMocks

INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def test_default_subnets_listed_in_another_order_change_nothing() -> None:
    """EC2 lists the default subnets in any order: the hosts' round robin does not move."""
    changes = next_up(
        before_mocks=RecordingMocks(default_subnets=DEFAULT_VPC_SUBNETS),
        after_mocks=RecordingMocks(default_subnets=tuple(reversed(DEFAULT_VPC_SUBNETS))),
    )
    assert changes == []


def test_the_generated_key_is_stable() -> None:
    """Another `pulumi up` with nothing changed keeps the key pair and the Command."""
    assert next_up() == []


def test_me_from_a_new_address_moves_only_the_admin_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """adminCidrs [me] from another address: only ingress rules change (SSH and Docker TLS
    from the new address replace those from the old one; the fio plots' rule follows)."""
    answers = iter([b"203.0.113.7\n", b"198.51.100.9\n"])

    class CheckIp(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(next(answers))

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CheckIp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv(CHECKIP_URL_ENV, f"http://127.0.0.1:{server.server_address[1]}/")
        me = {"dockyard:adminCidrs": ["me"]}
        changes = next_up(me, me)
    finally:
        server.shutdown()
        server.server_close()
    assert {c.typ for c in changes} == {INGRESS}
    cluster = sorted((c.op, c.name) for c in changes if c.name.startswith("cluster-"))
    assert cluster == [
        ("+", "cluster-docker-tls-198-51-100-9-32"),
        ("+", "cluster-ssh-198-51-100-9-32"),
        ("-", "cluster-docker-tls-203-0-113-7-32"),
        ("-", "cluster-ssh-203-0-113-7-32"),
    ]
