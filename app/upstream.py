"""How the dashboard reaches its simulator: the bearer token, TLS trust, and the two clients.

Both channels get the same credentials and the same trust: the WebSocket handshake and the
history requests send ``Authorization: Bearer <token>`` when a token is configured, and an
``https://`` simulator's certificate is always verified, against ``--simulator-ca-file``
when given, else against the default CA store.
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx

from app.config import Settings
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
