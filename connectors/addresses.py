"""Which addresses are this machine, and which are inside a private network.

Two rules rest on this: plain text (no TLS) is allowed only to this machine, and a feed on the
public internet may not redirect tether to an address inside the user's own network (a router,
a cloud metadata service at 169.254.169.254).
"""

from __future__ import annotations

import ipaddress
import socket

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def ip_literal(host: str) -> IpAddress | None:
    """``host`` as an IP address when it is written as one ("127.0.0.1", "[::1]"), else None."""
    try:
        address = ipaddress.ip_address(host.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_loopback_host(host: str) -> bool:
    """A loopback IP literal (127.x, ::1), or ``localhost`` when every address it resolves to is loopback.

    A name merely starting with "127." (127.attacker.example) is an ordinary DNS name, not this machine.
    """
    literal = ip_literal(host)
    if literal is not None:
        return literal.is_loopback
    if host.strip().lower().rstrip(".") != "localhost":
        return False
    try:
        found = socket.getaddrinfo("localhost", None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    addresses = [ip_literal(str(info[4][0]).split("%", 1)[0]) for info in found]
    return bool(addresses) and all(address is not None and address.is_loopback for address in addresses)


def is_internal(address: str) -> bool:
    """Loopback, private (10/8, 192.168/16, fc00::/7 …), link-local (169.254/16, fe80::/10) or unspecified."""
    literal = ip_literal(address.split("%", 1)[0])
    if literal is None:
        return False
    return literal.is_loopback or literal.is_private or literal.is_link_local or literal.is_unspecified
