"""``GET /api/dashboard/export``: the merged series the chart shows, as JSON or CSV.

``stream=NAME`` exports one stream (``{"stream", "timezone", "points"}``); ``streams=a,b``
exports up to six (``{"timezone", "streams": {NAME: points}}``), as the chart shows them.
``start`` and ``end`` (epoch ms) keep the window on screen; ``tz`` (an IANA name, default
UTC) is the zone the times are written in, named in the answer.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from nicegui import app

from app.pages.contracts import DashboardServices
from app.pages.series import Row, chart_rows, export_csv, export_points, zone
from app.protocol.topics import is_stream_name
from app.stores.streams import Point

FORMATS = ("json", "csv")
MAX_STREAMS = 6
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _error(status: int, code: str, message: str, **details: Any) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def download_name(stream: str) -> str:
    """A file name for the CSV that no stream name can break out of (quotes, CR/LF, non-ASCII).

    Stream names come from the wire; put verbatim in the header, a quote or a line break
    would forge header parameters and a non-Latin-1 character would fail the response.
    """
    safe = _UNSAFE_NAME.sub("_", stream)[:120].strip(".") or "stream"
    return f"{safe}.csv"


def _window(rows: list[Row], start: int | None, end: int | None) -> list[Row]:
    return [
        r for r in rows if (start is None or r.ts_ms >= start) and (end is None or r.ts_ms <= end)
    ]


def _render(
    snapshots: dict[str, list[Point]],
    fmt: str,
    tz_name: str | None,
    window: tuple[int | None, int | None],
    single: bool,
) -> Response:
    """Format snapshots of the series (pure, so it can run in a worker thread)."""
    name, tz = zone(tz_name)
    series = {s: _window(chart_rows(points), *window) for s, points in snapshots.items()}
    if fmt == "csv":
        label = next(iter(series)) if len(series) == 1 else "streams"
        return Response(
            export_csv(series, tz),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{download_name(label)}"',
                "X-Time-Zone": name,
            },
        )
    if single:
        (stream, rows), *_ = series.items()
        return JSONResponse({"stream": stream, "timezone": name, "points": export_points(rows, tz)})
    body = {"timezone": name, "streams": {s: export_points(r, tz) for s, r in series.items()}}
    return JSONResponse(body)


def _streams(services: DashboardServices, stream: str | None, streams: str | None) -> list[str]:
    names = [stream] if stream else [s.strip() for s in (streams or "").split(",") if s.strip()]
    return list(dict.fromkeys(names))


async def export_response(
    services: DashboardServices,
    stream: str | None,
    fmt: str,
    *,
    streams: str | None = None,
    tz: str | None = None,
    start: int | None = None,
    end: int | None = None,
) -> Response:
    """The export of the streams asked for in ``fmt``; 404 for an unknown stream, 400 for bad input.

    The series are copied on the event loop (the store is not thread-safe) and formatted
    in a worker thread: 100,000 points take about 0.4 s to format.
    """
    if fmt not in FORMATS:
        return _error(
            400, "INVALID_FORMAT", f"format must be one of {', '.join(FORMATS)}", format=fmt
        )
    names = _streams(services, stream, streams)
    if not names:
        return _error(400, "INVALID_STREAM", "the stream (or streams) parameter is required")
    if len(names) > MAX_STREAMS:
        return _error(400, "INVALID_STREAM", f"at most {MAX_STREAMS} streams at once")
    known = set(services.facts.names) | set(services.streams.stream_names())
    for name in names:
        if name not in known or not is_stream_name(name):
            return _error(404, "STREAM_NOT_FOUND", "no such stream", stream=name[:80])
    snapshots = {name: services.streams.series(name) for name in names}
    single = stream is not None
    return await asyncio.to_thread(_render, snapshots, fmt, tz, (start, end), single)


def register_export(services: DashboardServices) -> None:
    """Add the export route to NiceGUI's FastAPI app."""

    @app.get("/api/dashboard/export")
    async def export(
        stream: str | None = None,
        streams: str | None = None,
        format: str = "json",
        tz: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> Response:
        return await export_response(
            services, stream, format.lower(), streams=streams, tz=tz, start=start, end=end
        )
