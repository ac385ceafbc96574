"""Request body caps and the content type of state-changing API calls.

A body over the cap is answered 413 before it is read whole: at once when its
``Content-Length`` says so, else as soon as the streamed chunks (chunked encoding) pass the
cap, without buffering them. NiceGUI's socket.io polling posts may be larger (they carry
what a WebSocket frame would); engine.io refuses those over its own 1,000,000 bytes.

State-changing ``/api/...`` calls take JSON only (415 otherwise): a page of another site
can send ``text/plain``, a form or multipart without a preflight, never ``application/json``.
A call without a body and without a content type (``curl -X POST .../stop``) passes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from starlette.datastructures import Headers
from starlette.types import Message, Receive

from app.security.origins import STATE_CHANGING, Refusal

SOCKET_IO_PREFIX: Final = "/_nicegui_ws/"
SOCKET_IO_BODY_BYTES: Final = 1_000_000
"""engine.io's own ``max_http_buffer_size``: the cap of socket.io's polling posts."""
JSON_TYPES: Final = frozenset({"application/json"})


def body_cap(path: str, default: int) -> int:
    """The body cap of a request to ``path``."""
    return max(default, SOCKET_IO_BODY_BYTES) if path.startswith(SOCKET_IO_PREFIX) else default


def too_large(cap: int) -> Refusal:
    """The 413 refusal of a body over ``cap`` bytes."""
    return Refusal("body", 413, "PAYLOAD_TOO_LARGE", f"the request body is over {cap} bytes")


def _has_body(headers: Headers) -> bool:
    length = headers.get("content-length")
    return "transfer-encoding" in headers or (length is not None and length.strip() != "0")


def length_refusal(headers: Headers, cap: int) -> Refusal | None:
    """413 when ``Content-Length`` already says the body is over ``cap`` (pure)."""
    length = headers.get("content-length")
    if length is not None and length.strip().isdigit() and int(length) > cap:
        return too_large(cap)
    return None


def content_type_refusal(method: str, path: str, headers: Headers) -> Refusal | None:
    """415 for a state-changing ``/api/`` call whose body is not ``application/json`` (pure)."""
    if method not in STATE_CHANGING or not path.startswith("/api/"):
        return None
    content_type = headers.get("content-type")
    if content_type is None and not _has_body(headers):
        return None
    media = (content_type or "").partition(";")[0].strip().lower()
    if media in JSON_TYPES:
        return None
    return Refusal(
        "content-type", 415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json"
    )


class CappedReceive:
    """Wraps ``receive``: counts body bytes; past ``cap`` it calls ``on_exceeded`` once and
    tells the app the client is gone, so nothing more is read or buffered."""

    def __init__(
        self, receive: Receive, cap: int, on_exceeded: Callable[[], Awaitable[None]]
    ) -> None:
        self._receive = receive
        self._cap = cap
        self._on_exceeded = on_exceeded
        self.received = 0
        self.exceeded = False

    async def __call__(self) -> Message:
        if self.exceeded:
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self._cap:
                self.exceeded = True
                await self._on_exceeded()
                return {"type": "http.disconnect"}
        return message
