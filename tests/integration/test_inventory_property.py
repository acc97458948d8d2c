"""Generated fleets, written in every format and read back by Ansible's own inventory
loader (issue 23): what Ansible reads equals what was meant, or the input is refused
with one InventoryError.

Names are any text (quotes, brackets, `=`, `#`, unicode, Jinja, number-like), addresses
IPv4, IPv6 or hostile strings, ids sometimes repeated. The loader is ansible-core's
InventoryManager with the INI and YAML plugins, in process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dockyard.hosts.inventory import Host, InventoryError, build_inventory, render

pytestmark = pytest.mark.integration

NAMES = st.one_of(
    st.text(min_size=1, max_size=20),
    st.sampled_from(["0", "True", "None", "1e5", "[1]", "{{ 7 * 7 }}", "a b", "'q'", "#x"]),
)
ADDRESSES = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(str),
    st.sampled_from(["#x", "host[1:3]", "1.2.3.4:2222", "a,b", "x y"]),
)
IDS = st.sampled_from(["i-0a", "i-0b", "i-0c", "i-0d", "i-0e"])


def _read_back(path: Path) -> dict[str, dict[str, object]]:
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader

    manager = InventoryManager(loader=DataLoader(), sources=[str(path)])
    return {host.name: dict(host.vars) for host in manager.get_hosts()}


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fleet=st.lists(st.tuples(ADDRESSES, NAMES, IDS), min_size=1, max_size=4),
    fmt=st.sampled_from(["ini", "yaml"]),
)
def test_what_ansible_reads_is_what_was_meant(
    tmp_path_factory: pytest.TempPathFactory, fleet: list[tuple[str, str, str]], fmt: str
) -> None:
    """Every host, its name and its id as Ansible's loader reads them, or one refusal."""
    hosts = [Host(a, name=n, instance_id=i, public_ip=a) for a, n, i in fleet]
    try:
        inventory = build_inventory(hosts)
        text = render(inventory, fmt)
    except InventoryError as err:
        assert "\n" not in str(err)
        return
    path = tmp_path_factory.mktemp("inv") / f"hosts.{fmt}"
    path.write_text(text, encoding="utf-8")
    read = _read_back(path)
    assert set(read) == {h.address for h in hosts}
    for host in hosts:
        seen = read[host.address]
        assert seen["ec2_name"] == host.name
        assert isinstance(seen["ec2_name"], str)
        assert seen["instance_id"] == host.instance_id
