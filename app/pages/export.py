"""``GET /api/dashboard/export``: the merged series the chart shows, as JSON or CSV.

``stream=NAME`` exports one stream (``{"stream", "timezone", "points", "interruptions"}``);
``streams=a,b`` exports up to six (``{"timezone", "streams": {NAME: points},
"interruptions": {NAME: entries}}``), as the chart shows them. The interruptions are the
ledger's entries overlapping the window, labelled as on the chart; as CSV they are their
own table (``table=interruptions``). ``start`` and ``end`` (epoch ms) keep the window on
screen; ``tz`` (an IANA name, default UTC) is the zone the times are written in, named in
the answer.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from fastapi import Response
from fastapi.responses import JSONResponse
from nicegui import app

from app.pages.contracts import DashboardServices
from app.pages.series import (
    Rollups,
    Row,
    chart_rows,
    export_csv,
    export_points,
    iso_in,
    ledger_csv,
    zone,
)
from app.protocol.topics import is_stream_name
from app.stores.gaps import describe
from app.stores.streams import Point
from app.stores.types import Gap

FORMATS = ("json", "csv")
TABLES = ("points", "interruptions")
"""What a CSV export holds (JSON holds both)."""
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


@dataclass(frozen=True, slots=True)
class _Ask:
    fmt: str
    tz_name: str | None
    window: tuple[int | None, int | None]
    single: bool
    table: str


def _render(
    snapshots: dict[str, list[Point]],
    ledger: dict[str, list[Gap]],
    rollups: dict[str, Rollups],
    ask: _Ask,
) -> Response:
    """Format snapshots of the series and the ledger (pure: it runs in a worker thread)."""
    name, tz = zone(ask.tz_name)
    start, end = ask.window
    entries = {
        s: [
            describe(e, lambda ms: iso_in(ms, tz))
            for e in gaps
            if (start is None or e.end_ms >= start) and (end is None or e.start_ms <= end)
        ]
        for s, gaps in ledger.items()
    }
    if ask.fmt == "csv":
        label = next(iter(snapshots)) if len(snapshots) == 1 else "streams"
        if ask.table == "interruptions":
            text, label = ledger_csv(entries), f"{label}-interruptions"
        else:
            series = {s: _window(chart_rows(p), start, end) for s, p in snapshots.items()}
            text = export_csv(series, tz, rollups)
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{download_name(label)}"',
                "X-Time-Zone": name,
            },
        )
    points = {
        s: export_points(_window(chart_rows(p), start, end), tz, rollups[s])
        for s, p in snapshots.items()
    }
    if ask.single:
        ((stream, rows),) = points.items()
        body = {"stream": stream, "timezone": name, "points": rows}
        return JSONResponse({**body, "interruptions": entries[stream]})
    return JSONResponse({"timezone": name, "streams": points, "interruptions": entries})


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
    table: str = "points",
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
    if table not in TABLES:
        return _error(400, "INVALID_TABLE", f"table must be one of {', '.join(TABLES)}")
    snapshots = {name: services.streams.series(name) for name in names}
    ledger = {name: services.streams.ledger.all(name) for name in names}
    width = services.streams.rollup.bucket_ms
    rollups = {name: Rollups(width, services.streams.rollups(name)) for name in names}
    ask = _Ask(fmt, tz, (start, end), stream is not None, table)
    return await asyncio.to_thread(_render, snapshots, ledger, rollups, ask)


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
        table: str = "points",
    ) -> Response:
        return await export_response(
            services,
            stream,
            format.lower(),
            streams=streams,
            tz=tz,
            start=start,
            end=end,
            table=table,
        )
