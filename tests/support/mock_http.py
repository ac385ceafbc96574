"""Handlers for ``httpx.MockTransport``: answers a REST client test scripts by hand."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import httpx

Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


def answer(status: int, body: Any) -> Handler:
    """A handler that always answers ``status`` with ``body`` (JSON unless bytes)."""

    def handle(request: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    return handle
