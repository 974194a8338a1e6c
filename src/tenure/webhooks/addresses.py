"""Where a webhook may be sent: http or https, to a host on the public internet.

An endpoint's URL is chosen by an admin, but the worker sends from inside the network, so a
URL naming a loopback, private, link-local (a cloud's metadata service) or otherwise reserved
address would let the sender reach what the internet cannot. Those are refused, when the URL
is given and again before each send (a name may resolve elsewhere later), unless
``TENURE_WEBHOOKS_ALLOW_PRIVATE=1`` (the default outside production, and the tests': their
receiver listens on loopback). Redirects are not followed (``sending``), so an answer cannot
send the request elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

URL_MAX = 2000


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook's address (its form), or None."""
    if len(url) > URL_MAX:
        return f"at most {URL_MAX} characters"
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        return "a URL has no spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https"):
        return "the URL must start with http:// or https://"
    if not parts.hostname:
        return "the URL names no host"
    if parts.username is not None or parts.password is not None:
        return "put no user or password in the URL: requests are signed with the secret"
    if parts.fragment:
        return "a URL sent to has no #fragment"
    return None


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def address_problem(url: str) -> str | None:
    """Why the host of ``url`` may not be sent to from here (a private address), or None."""
    if settings.WEBHOOKS_ALLOW_PRIVATE:
        return None
    host = urlsplit(url).hostname or ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        addresses = {str(info[4][0]) for info in found}
    except (OSError, UnicodeError, ValueError):
        return f"the host {host!r} could not be found"
    if not addresses or not all(_public(address) for address in addresses):
        return (
            "the URL's host is a loopback, private or reserved address; set "
            "TENURE_WEBHOOKS_ALLOW_PRIVATE=1 to allow it"
        )
    return None
