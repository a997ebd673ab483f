"""Which addresses are this machine only: the server takes writes from nowhere else.

textual-serve has no authentication: whoever reaches the port drives the app with
the server's user's rights. On a loopback address that is only local users (and
what they forward, e.g. an SSH tunnel); on any other, it is the network.
"""

from __future__ import annotations

import ipaddress

#: Names that mean this machine; anything else is checked as an IP address.
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or a name, `[::1]` too) is this machine only."""
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # A host name could resolve anywhere: not loopback.


def host_name(host_header: str) -> str:
    """The name part of a `Host` header (`127.0.0.1:8000`, `[::1]:8000`, `localhost`)."""
    text = host_header.strip()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


def url_host(host: str) -> str:
    """`host` as it goes in a URL: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
