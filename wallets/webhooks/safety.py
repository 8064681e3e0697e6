"""Where a webhook may go: `https://` to a public address only, unless the switch
(`settings.WEBHOOK_ALLOW_PRIVATE_URLS`, or `DEBUG`) allows `http://` and private addresses
for development and tests.

The host is resolved when the URL is created (to refuse at once what can be known then) and
again at every send (`addresses_checked`), and the request connects to the address that was
checked, so DNS cannot point the name inside between the check and the connection.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


def private_allowed() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE_URLS or settings.DEBUG)


def address_refused(address: str) -> bool:
    """Whether an IP is private, loopback, link-local, multicast, reserved or unspecified:
    anything but a public unicast address (an IPv4-mapped IPv6 address is judged as the IPv4
    one it maps)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


class UrlRefused(Exception):
    """The URL may not be called; the message says why (shown in the delivery log)."""


def _parts(url: str):
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UrlRefused("The URL must be https://host/...")
    if parts.scheme != "https" and not private_allowed():
        raise UrlRefused("The URL must be https://.")
    if parts.username or parts.password:
        raise UrlRefused("The URL may not carry a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlRefused("The URL's port is not a number.") from exc
    return parts, port


def addresses_checked(url: str) -> tuple:
    """(scheme, host, port, path with query, the addresses to connect to), every address the
    host resolves to checked; UrlRefused when any is refused or none resolves."""
    parts, port = _parts(url)
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"{host} does not resolve.") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not private_allowed():
        refused = [a for a in addresses if address_refused(a)]
        if refused:
            raise UrlRefused(f"{host} resolves to a private, loopback or link-local address "
                             f"({refused[0]}).")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port, path, addresses


def url_refusal(url: str) -> str:
    """Why a new endpoint's URL is refused, or "" (a name that does not resolve yet is
    accepted: it is checked again at every send)."""
    try:
        parts, port = _parts(url)
    except UrlRefused as exc:
        return str(exc)
    if private_allowed():
        return ""
    try:
        addresses_checked(url)
    except UrlRefused as exc:
        if isinstance(exc.__cause__, (socket.gaierror, UnicodeError)):
            return ""
        return str(exc)
    return ""
