"""Which push endpoints the server may POST to: a user supplies the URL, so this is SSRF.

By default only https on port 443 to a host whose every address is public (no loopback,
private, link-local, reserved or multicast address, no "localhost"): checked when a
browser subscribes and again before each send, since a name may later resolve elsewhere
(DNS rebinding). Redirects are never followed (push.py). TOCSIN_PUSH_ALLOWED_HOSTS names
extra ``host[:port]`` origins accepted as they are, over http too: a test's local push
service, a self-hosted one on a private network.
"""

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

#: A push endpoint's length limit (the column's size).
ENDPOINT_MAX = 2048
#: Names that always mean this machine or its network, whatever DNS says.
LOCAL_SUFFIXES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")


class RefusedEndpoint(ValueError):
    """An endpoint the server will not POST to; the message says why."""


class Unresolved(RefusedEndpoint):
    """The endpoint's host did not resolve: refused at subscribe, retried at send."""


def allowed_hosts(setting: str | Iterable[str] | None) -> frozenset[str]:
    """Parse TOCSIN_PUSH_ALLOWED_HOSTS: comma- or space-separated ``host[:port]``."""
    if not setting:
        return frozenset()
    items = setting.replace(",", " ").split() if isinstance(setting, str) else setting
    return frozenset(item.strip().lower() for item in items if item.strip())


def check(endpoint: str, allowed: frozenset[str], resolve: bool = True) -> None:
    """Raise RefusedEndpoint unless the server may POST to `endpoint`."""
    if len(endpoint) > ENDPOINT_MAX:
        raise RefusedEndpoint(f"endpoint must be at most {ENDPOINT_MAX} characters")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in endpoint):
        raise RefusedEndpoint("endpoint must not contain whitespace or control characters")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError as exc:
        raise RefusedEndpoint("endpoint is not a valid URL") from exc
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise RefusedEndpoint("endpoint must be an https URL")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise RefusedEndpoint("endpoint must not carry credentials or a fragment")
    origin = host if port is None else f"{host}:{port}"
    if origin in allowed:
        return
    if parts.scheme != "https" or port not in (None, 443):
        raise RefusedEndpoint("endpoint must be an https URL on the default port")
    if host == "localhost" or host.endswith(LOCAL_SUFFIXES):
        raise RefusedEndpoint("endpoint must be on a public host")
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        _public(literal)
    elif resolve:
        for address in _addresses(host):
            _public(address)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    mapped = getattr(address, "ipv4_mapped", None)
    if not (mapped or address).is_global or address.is_multicast:
        raise RefusedEndpoint("endpoint must be on a public host")


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise Unresolved("endpoint's host does not resolve") from exc
    found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not found:
        raise Unresolved("endpoint's host does not resolve")
    return found
