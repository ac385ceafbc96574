"""Why the simulator could not be reached, as a sentence for a person plus the technical detail.

The connection manager and the history client both meet socket, DNS, TLS and HTTP failures;
both explain them here, so the badge and the history banner say the same thing the same way
("cannot reach the simulator at 127.0.0.1:8765: connection refused") and keep the exception
text one click away.
"""

from __future__ import annotations

import errno
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from websockets.exceptions import InvalidHandshake, InvalidStatus

DETAIL_CHARS = 300


@dataclass(frozen=True, slots=True)
class Explained:
    """A failure for people (``text``) and for whoever debugs it (``detail``)."""

    text: str
    detail: str


def where(url: str) -> str:
    """``host:port`` of a URL, as an operator would type it."""
    parts = urlsplit(url)
    host = parts.hostname or url
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme in ("https", "wss") else 80
    return f"{host}:{port}"


def technical(exc: BaseException) -> str:
    """The exception chain as one bounded line: ``Type: message <- Cause: message``."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 4:
        text = str(seen)
        parts.append(f"{type(seen).__name__}: {text}" if text else type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    line = " <- ".join(parts)
    return line if len(line) <= DETAIL_CHARS else line[: DETAIL_CHARS - 1] + "\u2026"


def _root(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 8:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain


_NO_NAME = "cannot find the simulator's host {host}: the name does not resolve"
_WORDS = (
    ("connection refused", "cannot reach the simulator at {place}: connection refused"),
    ("name or service not known", _NO_NAME),
    ("temporary failure in name resolution", _NO_NAME),
    ("timed out", "no answer from the simulator at {place}{within}"),
)
"""What a wrapper's own text says when it carries no cause (httpx's ConnectError may not)."""


def explain(exc: BaseException, url: str, timeout: float | None = None) -> Explained:
    """Say why connecting to the simulator at ``url`` failed."""
    place = where(url)
    detail = technical(exc)
    chain = _root(exc)
    for cause in chain:
        text = _sentence(cause, place, timeout)
        if text is not None:
            return Explained(text, detail)
    words = detail.lower()
    within = f" within {timeout:g} s" if timeout else ""
    for needle, sentence in _WORDS:
        if needle in words:
            host = place.rsplit(":", 1)[0]
            return Explained(sentence.format(place=place, host=host, within=within), detail)
    return Explained(f"cannot connect to the simulator at {place}", detail)


def _sentence(exc: BaseException, place: str, timeout: float | None) -> str | None:
    host = place.rsplit(":", 1)[0]
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = exc.verify_message or exc.reason or "verification failed"
        return (
            f"the TLS certificate of {host} is not trusted ({why}); "
            "give its CA with --simulator-ca-file"
        )
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot reach the simulator at {place}: connection refused"
    if isinstance(exc, socket.gaierror):
        return _NO_NAME.format(host=host)
    if isinstance(exc, TimeoutError):
        within = f" within {timeout:g} s" if timeout else ""
        return f"no answer from the simulator at {place}{within}"
    if isinstance(exc, InvalidStatus):
        return _refused(exc.response.status_code, place)
    if isinstance(exc, InvalidHandshake):
        return f"the server at {place} did not open a WebSocket ({type(exc).__name__})"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return f"cannot reach the simulator at {place}: no route to the host"
    if isinstance(exc, ConnectionResetError):
        return f"the simulator at {place} dropped the connection"
    return None


def _refused(status: int, place: str) -> str:
    if status in (401, 403):
        return (
            f"the simulator at {place} refused the connection (HTTP {status}): "
            "check --simulator-token"
        )
    if status == 404:
        return f"the server at {place} has no simulator WebSocket at /ws (HTTP 404)"
    return f"the simulator at {place} answered HTTP {status} instead of opening a WebSocket"
