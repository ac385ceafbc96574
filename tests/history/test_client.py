"""HistoryClient: both server shapes, and every failure as one HistoryError (MockTransport)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.history import HistoryClient, HistoryError
from tests.support.mock_http import Handler, answer

BASE = "http://sim.test:8765/"
END = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
START = END - timedelta(days=7)
STREAM = "customer.tutor.search"

CONTRACT = {
    "timeRange": {"start": "2026-11-19T12:00:00Z", "end": "2026-11-26T12:00:00Z"},
    "streams": {
        STREAM: [
            {"timestamp": "2026-11-19T12:05:00Z", "value": 30, "normalized": 80},
            {"timestamp": "2026-11-19T12:00:00Z", "value": 28, "normalized": 50},
        ]
    },
    "events": [],
}
ORIGINAL = {
    "start": "2026-11-19T12:00:00Z",
    "end": "2026-11-26T12:00:00Z",
    "streams": [STREAM],
    "data": {
        STREAM: {
            "events": [
                {
                    "stream": STREAM,
                    "timestamp": "2026-11-20T00:00:00Z",
                    "data": {"value": 12},
                    "normalizedValue": 47.5,
                    "anomalyFlag": "normal",
                }
            ],
            "baseline": None,
        }
    },
}


def client_for(handler: Handler, **kwargs: Any) -> HistoryClient:
    """A HistoryClient whose requests go to ``handler``."""
    transport = httpx.MockTransport(handler)
    return HistoryClient(httpx.AsyncClient(transport=transport), BASE, **kwargs)


async def failure(handler: Handler, **kwargs: Any) -> HistoryError:
    """The HistoryError that fetching through ``handler`` raises."""
    with pytest.raises(HistoryError) as info:
        await client_for(handler, **kwargs).fetch_history(START, END, [STREAM])
    return info.value


async def test_contract_shape_and_query_parameters() -> None:
    """The contract's shape parses, and start, end and streams go in the query."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=CONTRACT)

    result = await client_for(handle).fetch_history(START, END, [STREAM, "other.stream"])
    assert result.shape == "contract"
    assert [s.normalized for s in result.streams[STREAM]] == [50, 80]
    (request,) = seen
    assert request.url.path == "/api/simulation/history"
    assert request.url.params["start"] == "2026-11-19T12:00:00.000Z"
    assert request.url.params["end"] == "2026-11-26T12:00:00.000Z"
    assert request.url.params["streams"] == f"{STREAM},other.stream"


async def test_original_shape() -> None:
    """The original server's shape parses into the same result type."""
    result = await client_for(answer(200, ORIGINAL)).fetch_history(START, END, None)
    assert result.shape == "original"
    assert [s.normalized for s in result.streams[STREAM]] == [47.5]


async def test_all_streams_sends_no_streams_parameter() -> None:
    """streams=None asks for every stream."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=CONTRACT)

    await client_for(handle).fetch_history(START, END, None)
    assert "streams" not in seen[0].url.params


async def test_large_body_is_parsed() -> None:
    """A body large enough to be parsed in a worker thread still parses."""
    points = [
        {"timestamp": f"2026-11-2{d}T{h:02}:{m:02}:00Z", "value": 1, "normalized": 50}
        for d in range(7)
        for h in range(24)
        for m in range(0, 60, 5)
    ]
    body = {"streams": {f"s.{i}": points for i in range(4)}, "events": []}
    assert len(json.dumps(body)) > 256 * 1024
    result = await client_for(answer(200, body)).fetch_history(START, END, None)
    assert len(result.streams["s.3"]) == len(points)


async def test_connect_error_is_retryable_network_error() -> None:
    """A refused connection becomes kind=network, retryable, caused by the httpx error."""

    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    err = await failure(handle)
    assert (err.kind, err.retryable, err.status) == ("network", True, None)
    assert err.reason == "cannot reach the simulator at sim.test:8765: connection refused"
    assert "ConnectError: [Errno 111] Connection refused" in err.detail
    assert isinstance(err.__cause__, httpx.ConnectError)


async def test_httpx_timeout_is_retryable_timeout() -> None:
    """An httpx read timeout becomes kind=timeout."""

    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    err = await failure(handle)
    assert (err.kind, err.retryable) == ("timeout", True)
    assert isinstance(err.__cause__, httpx.ReadTimeout)


async def test_overall_deadline_covers_a_stalled_server() -> None:
    """A server that never answers is cut off by the total deadline."""
    never = asyncio.Event()

    async def handle(request: httpx.Request) -> httpx.Response:
        await never.wait()
        raise AssertionError("unreachable")

    err = await failure(handle, timeout=0.05)
    assert err.kind == "timeout" and "0.05 s" in err.reason
    assert isinstance(err.__cause__, TimeoutError)


async def test_contract_error_object_4xx() -> None:
    """{"error": {code, message}} with 404: code and message kept, not retryable."""
    body = {"error": {"code": "STREAM_NOT_FOUND", "message": "unknown stream 'x'"}}
    err = await failure(answer(404, body))
    assert (err.kind, err.status, err.code, err.retryable) == (
        "http",
        404,
        "STREAM_NOT_FOUND",
        False,
    )
    assert err.reason == "server answered 404 STREAM_NOT_FOUND: unknown stream 'x'"


async def test_original_error_text_5xx() -> None:
    """{"error": "text"} with 500: the text is the reason, no code, retryable."""
    err = await failure(answer(500, {"error": "history generation failed"}))
    assert (err.status, err.code, err.retryable) == (500, None, True)
    assert err.reason == "server answered 500: history generation failed"


async def test_contract_error_object_503_is_retryable() -> None:
    """503 with an error object is worth retrying."""
    body = {"error": {"code": "INTERNAL_ERROR", "message": "warming up"}}
    err = await failure(answer(503, body))
    assert err.retryable and err.code == "INTERNAL_ERROR"


async def test_non_json_error_body() -> None:
    """A proxy's HTML error page: status, phrase and a short snippet of the text."""
    err = await failure(answer(502, b"<html><body>\n  Bad gateway  </body></html>"))
    assert (err.kind, err.status, err.code, err.retryable) == ("http", 502, None, True)
    assert err.reason == "server answered 502 Bad Gateway: <html><body> Bad gateway </body></html>"


async def test_invalid_json_200() -> None:
    """A 2xx body that is not JSON is an invalid_json error, not retryable."""
    err = await failure(answer(200, b"{not json"))
    assert (err.kind, err.status, err.retryable) == ("invalid_json", 200, False)
    assert "not valid JSON" in err.reason


async def test_wrong_shape_200() -> None:
    """Valid JSON of neither shape is an invalid_shape error."""
    err = await failure(answer(200, {"series": []}))
    assert (err.kind, err.status) == ("invalid_shape", 200)
    assert "neither known shape" in err.reason


async def test_too_large_declared_body() -> None:
    """A Content-Length over the limit is refused before reading."""
    err = await failure(answer(200, b"x" * 2000), max_bytes=1000)
    assert err.kind == "too_large" and "2,000 bytes" in err.reason
    assert not err.retryable


async def test_too_large_streamed_body() -> None:
    """A body without Content-Length is cut off once it passes the limit."""
    sent: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(1000):
            sent.append(1)
            yield b"x" * 512

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())

    err = await failure(handle, max_bytes=4096)
    assert err.kind == "too_large" and "over 4,096 bytes" in err.reason
    assert len(sent) < 20


async def test_bad_url_is_not_retryable() -> None:
    """A base URL without http(s) fails as a network error nobody should retry."""
    client = HistoryClient(httpx.AsyncClient(), "ftp://sim.test")
    with pytest.raises(HistoryError) as info:
        await client.fetch_history(START, END, [STREAM])
    assert info.value.kind == "network" and not info.value.retryable


async def test_empty_range_is_a_caller_error() -> None:
    """end <= start is a bug in the caller, reported at once as ValueError."""
    with pytest.raises(ValueError, match="before it starts"):
        await client_for(answer(200, CONTRACT)).fetch_history(END, END, None)


async def test_error_repr_and_str() -> None:
    """str() is the readable reason; repr() shows every field."""
    err = await failure(answer(404, {"error": "no such stream"}))
    assert str(err) == "server answered 404: no such stream"
    assert "status=404" in repr(err) and "kind='http'" in repr(err)
