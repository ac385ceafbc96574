"""The memory benchmark's child process: RSS of a dashboard-like process, step by step.

``python -m benchmarks.memory_child SIM_URL LIVE_SECONDS`` imports what the dashboard
imports (NiceGUI, FastAPI, the app), seeds a StreamStore with 7 days of all 50 streams from
the simulator through the app's HistoryClient, then feeds LIVE_SECONDS of live data at
1,000 events/s through the real session (parse + store), and prints one JSON object.

The live data is spread evenly, 20 events/s on each of the 50 streams: the worst case for
memory, since no stream reaches the per-stream cap that bounds the busy ones in the
simulator's real mix. Timestamps cover the last LIVE_SECONDS, inside retention.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx

import app.main  # noqa: F401 - the dashboard's imports are part of its footprint
from app.config import Settings
from app.history import HistoryClient
from app.simulator.catalog import load_catalog
from app.simulator.generator import iso_ms
from app.stores.streams import DAY_MS, StreamStore
from benchmarks.common import rss_mb
from benchmarks.ingest import make_session

RATE = 1000
PER_FRAME = 100


def _frames(names: list[str], start_ms: int, seconds: int) -> list[str]:
    """One second of frames: RATE events spread over the streams, in time order."""
    step = 1000 / RATE
    out: list[str] = []
    texts: list[str] = []
    for i in range(seconds * RATE):
        ts = start_ms + int(i * step)
        name = names[i % len(names)]
        value = 50.0 + (i % 37) * 0.5
        texts.append(
            f'{{"stream":"{name}","timestamp":"{iso_ms(ts)}","data":{{"value":{value},'
            f'"userId":"u{i % 1000003:06d}"}},"normalizedValue":{value},"anomalyFlag":"normal",'
            f'"id":"{name}:{ts}:0","seq":{ts * 1_000_000 + i % 50 * 10_000}}}'
        )
        if len(texts) == PER_FRAME:
            out.append('{"type":"batch","events":[' + ",".join(texts) + "]}")
            texts = []
    if texts:
        out.append('{"type":"batch","events":[' + ",".join(texts) + "]}")
    return out


async def _history(url: str, store: StreamStore, names: list[str]) -> int:
    end = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=120.0) as http:
        result = await HistoryClient(http, url, timeout=120.0).fetch_history(
            end - timedelta(days=7), end, names
        )
    for name, samples in result.streams.items():
        store.add_history({name: samples})
    return sum(len(s) for s in result.streams.values())


def main() -> None:
    url, live_seconds = sys.argv[1], int(sys.argv[2])
    out: dict[str, float | int] = {}
    gc.collect()
    out["rss_imports_mb"] = rss_mb()
    settings = Settings()
    store = StreamStore(
        retention_ms=int(settings.retention_days * DAY_MS),
        max_points_per_stream=settings.max_points_per_stream,
    )
    names = list(load_catalog().names)
    out["history_points"] = asyncio.run(_history(url, store, names))
    gc.collect()
    out["rss_history_mb"] = rss_mb()
    session = make_session(store)
    start_ms = int(time.time() * 1000) - live_seconds * 1000
    t0 = time.perf_counter()
    peak = 0.0
    for minute in range(0, live_seconds, 60):
        for frame in _frames(names, start_ms + minute * 1000, min(60, live_seconds - minute)):
            session.handle(frame)
        peak = max(peak, rss_mb())
    out["live_seconds"] = live_seconds
    out["live_feed_s"] = time.perf_counter() - t0
    out["points_stored"] = sum(len(store.series(n)) for n in store.stream_names())
    gc.collect()
    out["rss_history_and_live_mb"] = rss_mb()
    out["rss_peak_mb"] = max(peak, out["rss_history_and_live_mb"])
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
