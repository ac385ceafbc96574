"""How the dashboard reaches its simulator: the bearer token, TLS trust, the two clients,
and how a REST answer is read.

Both channels get the same credentials and the same trust: the WebSocket handshake and the
REST requests (history, state, scenario control) send ``Authorization: Bearer <token>`` when
a token is configured, and an ``https://`` simulator's certificate is always verified,
against ``--simulator-ca-file`` when given, else against the default CA store. Every REST
answer is read through :func:`read_bounded`, so no answer can grow past its cap in memory,
and a refusal is put in words by :func:`refusal_text`, whichever error shape it has.
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.config import Settings
from app.protocol import parse_error_body
from app.ws_client.link import Connector, websocket_connector


def auth_headers(settings: Settings) -> dict[str, str]:
    """The headers that authenticate the dashboard to its simulator (empty: no token)."""
    token = settings.upstream_token
    return {"Authorization": f"Bearer {token}"} if token else {}


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """A verifying context trusting ``--simulator-ca-file`` (None: the libraries' default).

    Only the CAs in that file are trusted, as with ``curl --cacert``.
    """
    if not settings.simulator_ca_file:
        return None
    return ssl.create_default_context(cafile=settings.simulator_ca_file)


def http_client(settings: Settings, context: ssl.SSLContext | None = None) -> httpx.AsyncClient:
    """The client of the history requests; redirects are not followed (nor is the token)."""
    context = context or tls_context(settings)
    return httpx.AsyncClient(
        timeout=settings.history_timeout,
        headers=auth_headers(settings),
        verify=context if context is not None else True,
    )


class TooLarge(Exception):
    """An answer over its cap: ``size`` as declared by ``Content-Length``, or the cap passed."""

    def __init__(self, size: int, declared: bool) -> None:
        super().__init__(size)
        self.size = size
        self.declared = declared


async def read_bounded(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    max_bytes: int,
    **request: Any,
) -> tuple[int, str, bytes]:
    """Status, reason phrase and body of one request, the body read up to ``max_bytes``.

    ``request`` goes to ``client.stream`` (``params``, ``json``, ``timeout``...). Raises
    :class:`TooLarge` as soon as the declared or the received size passes the cap (the rest
    is never read), and httpx's own exceptions otherwise.
    """
    async with client.stream(method, url, **request) as response:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise TooLarge(int(declared), declared=True)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(max_bytes, declared=False)
            chunks.append(chunk)
        return response.status_code, response.reason_phrase, b"".join(chunks)


def snippet(body: bytes, limit: int = 160) -> str:
    """The start of an answer body as one short line of text (white space folded)."""
    text = " ".join(body[: limit * 4].decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def ws_connector(settings: Settings, context: ssl.SSLContext | None = None) -> Connector:
    """The WebSocket connector with the token and, for ``wss://``, the TLS context."""
    secure = urlsplit(settings.ws_url).scheme == "wss"
    context = context or tls_context(settings)
    return websocket_connector(
        open_timeout=settings.connect_timeout,
        max_frame_bytes=settings.max_frame_bytes,
        headers=auth_headers(settings),
        ssl_context=context if secure else None,
    )


def refusal_text(status: int, phrase: str, body: bytes) -> tuple[str, str | None]:
    """A non-2xx answer in words, and its contract error code if it had one:
    ``server answered 404 STREAM_NOT_FOUND: unknown stream`` (either error shape), or the
    start of a body that is neither."""
    parsed = parse_error_body(body) if body else None
    if parsed is None:
        text = snippet(body)
        reason = f"server answered {status} {phrase}".rstrip()
        return (f"{reason}: {text}" if text else reason), None
    code, message = parsed
    label = f"{status} {code}" if code else str(status)
    return f"server answered {label}: {message or phrase}", code
