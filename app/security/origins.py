"""Which ``Host`` and ``Origin`` values are the dashboard's own: pure parsing and policy.

``Host`` (every request): its *name* must be one of the dashboard's own names or listed in
``--allowed-hosts``. A browser tricked by DNS rebinding sends the attacker's name, so the
name is what matters; the port is not checked for the own names (a port forward or a proxy
changes it). The own names depend on the bind address (:func:`own_names`):

* loopback (127.0.0.1, ::1, localhost): ``localhost``, ``127.0.0.1``, ``::1`` and the
  bind address itself;
* a specific address or name: it, plus the loopback names;
* 0.0.0.0 or ``::`` (every interface): the machine's host name, its FQDN and the addresses
  of its interfaces (see :mod:`app.security.netinfo`), plus the loopback names.

``Origin`` (WebSocket handshakes, state-changing requests, and any request that carries
one): the page's origin must be the very origin the request was sent to, i.e. the request's
scheme (``ws``/``wss`` counted as ``http``/``https``), ``Host`` name and port, or be listed in
``--allowed-origins``. Another port of the same host is another origin: SameSite cookies do
not separate ports, this check does. No ``Origin`` header (curl, scripts, the dashboard's own
link to its embedded simulator) passes, unless ``Sec-Fetch-Site`` says a browser sent it
from another site.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

DEFAULT_PORTS: Final = {"http": 80, "https": 443}
LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})
ALL_INTERFACES: Final = frozenset({"", "0.0.0.0", "::"})
STATE_CHANGING: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NAME: Final = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?$")


@dataclass(frozen=True, slots=True)
class Authority:
    """``host[:port]``: host lower-cased, IPv6 without brackets, no trailing dot."""

    host: str
    port: int | None = None

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Origin:
    """A web origin: scheme (http or https), host and effective port."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = DEFAULT_PORTS[self.scheme] == self.port
        return f"{self.scheme}://{host}" if default else f"{self.scheme}://{host}:{self.port}"


def _port(text: str) -> int | None:
    if not text.isdigit() or len(text) > 5 or not 0 < int(text) <= 65535:
        return None
    return int(text)


def parse_authority(text: str) -> Authority | None:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port``; None if malformed."""
    text = text.strip().lower()
    if not text or len(text) > 300:
        return None
    port: int | None = None
    if text.startswith("["):
        inside, sep, rest = text[1:].partition("]")
        if not sep:
            return None
        try:
            host = str(ipaddress.IPv6Address(inside))
        except ValueError:
            return None
        if rest and (not rest.startswith(":") or (port := _port(rest[1:])) is None):
            return None
        return Authority(host, port)
    host, sep, port_text = text.partition(":")
    if sep and (port := _port(port_text)) is None:
        return None
    host = host.removesuffix(".")
    if not _NAME.match(host) or ".." in host:
        return None
    return Authority(host, port)


def parse_origin(text: str) -> Origin | None:
    """An ``Origin`` header value; None for ``null``, other schemes and anything malformed."""
    scheme, sep, rest = text.strip().lower().partition("://")
    if not sep or scheme not in DEFAULT_PORTS:
        return None
    authority = parse_authority(rest)
    if authority is None:
        return None
    return Origin(scheme, authority.host, authority.port or DEFAULT_PORTS[scheme])


def request_origin(scheme: str, host: Authority) -> Origin:
    """The origin a request was sent to: its scheme (ws as http) and its ``Host``."""
    web = "https" if scheme in ("https", "wss") else "http"
    return Origin(web, host.host, host.port or DEFAULT_PORTS[web])


def normalize_bind(host: str) -> str:
    """A bind address as a host name: lower case, IPv6 without brackets, canonical form."""
    host = host.strip().lower().removeprefix("[").removesuffix("]").removesuffix(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def own_names(bind: str, machine: Iterable[str] = ()) -> frozenset[str]:
    """The names a ``Host`` header may carry for a server bound to ``bind``.

    ``machine`` (host names and interface addresses) is used for an all-interfaces bind
    only; a specific bind answers to itself and loopback.
    """
    bind = normalize_bind(bind)
    if bind in ALL_INTERFACES:
        return LOOPBACK_NAMES | {normalize_bind(n) for n in machine if n.strip()}
    return LOOPBACK_NAMES | {bind}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused: a kind (for rate-limited logs), status, code, message."""

    kind: str
    status: int
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class OriginPolicy:
    """The own host names and what the settings add; decides on a request's headers."""

    names: frozenset[str]
    extra_hosts: frozenset[Authority] = frozenset()
    extra_origins: frozenset[Origin] = frozenset()

    def host_allowed(self, host: Authority) -> bool:
        """An own name (any port), or an ``--allowed-hosts`` entry (its port, if it has one)."""
        return (
            host.host in self.names
            or Authority(host.host) in self.extra_hosts
            or host in self.extra_hosts
        )

    def origin_allowed(self, origin: Origin, scheme: str, host: Authority) -> bool:
        """The request's own origin, or an ``--allowed-origins`` entry."""
        return origin == request_origin(scheme, host) or origin in self.extra_origins

    def judge(
        self,
        kind: str,
        method: str,
        scheme: str,
        host_header: str | None,
        origin_header: str | None,
        fetch_site: str | None = None,
    ) -> Refusal | None:
        """None if a request with these facts may pass, else why not (pure)."""
        host = parse_authority(host_header) if host_header else None
        if host is None or not self.host_allowed(host):
            shown = excerpt(host_header or "")
            return Refusal("host", 403, "FORBIDDEN_HOST", f"host {shown} is not served here")
        guarded = kind == "websocket" or method in STATE_CHANGING
        if origin_header is None:
            if guarded and fetch_site in ("cross-site", "same-site"):
                return Refusal(
                    "origin", 403, "FORBIDDEN_ORIGIN", f"a {fetch_site} request is not accepted"
                )
            return None
        origin = parse_origin(origin_header)
        if origin is None or not self.origin_allowed(origin, scheme, host):
            shown = excerpt(origin_header)
            return Refusal("origin", 403, "FORBIDDEN_ORIGIN", f"origin {shown} is not allowed")
        return None


def excerpt(text: str, limit: int = 60) -> str:
    """A short, quoted and escaped excerpt of untrusted text for messages and logs."""
    clipped = text[:limit]
    return repr(clipped) + ("..." if len(text) > limit else "")


def check_allowed_host(entry: str) -> Authority:
    """An ``--allowed-hosts`` entry (``name``, ``name:port``, ``[v6]:port``); raises ValueError."""
    authority = parse_authority(entry)
    if authority is None:
        raise ValueError(f"{entry!r} is not a host name or address with an optional port")
    return authority


def check_allowed_origin(entry: str) -> Origin:
    """An ``--allowed-origins`` entry (``scheme://host[:port]``); raises ValueError."""
    origin = parse_origin(entry.strip().removesuffix("/"))
    if origin is None:
        raise ValueError(f"{entry!r} is not an origin like https://dashboard.example:8443")
    return origin
