"""The one place that knows websockets: open a link that reports when bytes last arrived.

websockets' asyncio client answers protocol pings by itself but does not tell anyone
that a ping came in. :class:`WatchedConnection` overrides the asyncio ``data_received``
hook to stamp every inbound chunk (data frames, pings, pongs, close frames) with the
event loop's clock, which is what the silence watch needs. websockets' own keepalive is
disabled (``ping_interval=None``): the manager sends its own probe ping instead, at half
the silence limit, and judges the link by inbound bytes, so there is one mechanism, not two.

``max_size`` is set well above the manager's skip limit (4x by default) so that a large
frame is skipped and counted rather than closing the link with 1009; only frames beyond
``max_size`` still do that.

Credentials and TLS come from :mod:`app.upstream`: extra handshake ``headers`` (the bearer
token, which websockets' debug log of the handshake shows as ``[redacted]``) and, for
``wss://``, an ``ssl_context``. A certificate that fails verification becomes
:class:`UntrustedCertificate`, whose message says what to do about it.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

MAX_SIZE_FACTOR = 4
CLOSE_TIMEOUT = 2.0
"""Seconds a closing handshake may take before the TCP connection is simply dropped."""


class Link(Protocol):
    """What the manager needs of an open WebSocket; fakes can implement it for tests."""

    @property
    def last_activity(self) -> float:
        """Event-loop time of the last inbound bytes (frames, pings, pongs)."""
        ...

    async def recv(self) -> str | bytes: ...

    async def send(self, message: str) -> None: ...

    async def probe(self) -> None:
        """Send a ping without waiting for its pong (a pong shows up as activity)."""
        ...

    async def close(self, code: int = 1000, reason: str = "") -> None: ...

    def abort(self) -> None:
        """Drop the TCP connection at once, without a closing handshake."""
        ...


Connector = Callable[[str], Awaitable[Link]]
"""Opens a link to a ``ws://`` URL; raises ``OSError``/websockets errors on failure."""


class WatchedConnection(ClientConnection):
    """A websockets client connection that records when it last received anything."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._last_activity = self.loop.time()
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._last_activity = self.loop.time()
        super().data_received(data)

    @property
    def last_activity(self) -> float:
        return getattr(self, "_last_activity", self.loop.time())

    async def probe(self) -> None:
        await self.ping()

    def abort(self) -> None:
        self.transport.abort()


class UntrustedCertificate(OSError):
    """The server's TLS certificate failed verification (unknown CA, wrong host, expired)."""


class _RedactCredentials(logging.Filter):
    """Hides the values of credential headers in websockets' debug log of the handshake."""

    HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and str(args[0]).lower() in self.HEADERS:
            record.args = (args[0], "[redacted]")
        return True


_HANDSHAKE_LOG = logging.getLogger("websockets.client")
if not any(isinstance(f, _RedactCredentials) for f in _HANDSHAKE_LOG.filters):
    _HANDSHAKE_LOG.addFilter(_RedactCredentials())


def websocket_connector(
    *,
    open_timeout: float,
    max_frame_bytes: int,
    headers: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Connector:
    """The production connector: websockets' asyncio client with the settings above."""
    extra: dict[str, Any] = {} if ssl_context is None else {"ssl": ssl_context}
    handshake_headers = dict(headers) if headers else None

    async def open_link(url: str) -> Link:
        try:
            conn = await connect(
                url,
                create_connection=WatchedConnection,
                open_timeout=open_timeout,
                ping_interval=None,
                ping_timeout=None,
                close_timeout=CLOSE_TIMEOUT,
                max_size=max_frame_bytes * MAX_SIZE_FACTOR,
                additional_headers=handshake_headers,
                logger=_HANDSHAKE_LOG,
                **extra,
            )
        except ssl.SSLCertVerificationError as exc:
            raise untrusted(urlsplit(url).hostname or url, exc) from exc
        return cast(WatchedConnection, conn)

    return open_link


def untrusted(host: str, exc: ssl.SSLCertVerificationError) -> UntrustedCertificate:
    """A verification failure as a sentence: whose certificate, why, and the remedy."""
    why = exc.verify_message or exc.reason or str(exc)
    return UntrustedCertificate(
        f"TLS certificate of {host} not trusted ({why}); "
        "give the CA that signed it with --simulator-ca-file"
    )


async def close_link(link: Link, last_frame: str | None = None) -> None:
    """Close gracefully (``last_frame`` first, e.g. an unsubscribe), or abort if that stalls."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            if last_frame is not None:
                await link.send(last_frame)
            await link.close(1000, "client disconnect")
    except (TimeoutError, ConnectionClosed, OSError):
        link.abort()
