"""`me` in adminCidrs: this machine's public IPv4 address, as AWS's check-ip endpoint sees it.

The program looks it up when it runs (preview and up), so the admin ports open to the
address the deployer has now. `DOCKYARD_CHECKIP_URL` points the lookup elsewhere (tests
use a local server). Any failure is an error, never a silently wider or missing rule.
"""

from __future__ import annotations

import ipaddress
import os
import urllib.error
import urllib.request

from dockyard.errors import DockyardError

ME = "me"
CHECKIP_URL = "https://checkip.amazonaws.com"
CHECKIP_URL_ENV = "DOCKYARD_CHECKIP_URL"
TIMEOUT_SECONDS = 10.0
MAX_ANSWER_BYTES = 256
"""checkip answers one address and a newline; anything longer is not its answer."""


class CheckIpError(DockyardError, ValueError):
    """The address could not be looked up; the message says what happened."""


def checkip_url() -> str:
    return os.environ.get(CHECKIP_URL_ENV) or CHECKIP_URL


def public_ipv4_cidr(url: str | None = None, timeout: float = TIMEOUT_SECONDS) -> str:
    """This machine's public IPv4 address as a /32, from `url` (default: checkip_url())."""
    url = url or checkip_url()
    if not url.startswith(("https://", "http://")):
        raise CheckIpError(f"{url} is not an http(s) URL (from {CHECKIP_URL_ENV}?)")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_ANSWER_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        raise CheckIpError(f"could not reach {url} ({reason})") from None
    text = body.decode("ascii", errors="replace").strip()
    if len(body) > MAX_ANSWER_BYTES:
        raise CheckIpError(f"{url} answered more than an address")
    try:
        address = ipaddress.IPv4Address(text)
    except ValueError:
        raise CheckIpError(f"{url} answered {text[:40]!r}, not an IPv4 address") from None
    return f"{address}/32"
