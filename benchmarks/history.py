"""4a. History: fetch + parse + store of 7 days, for one stream and for all 50 streams.

The simulator runs in its own process; the app's ``HistoryClient`` fetches (HTTP, body,
parse in a worker thread for large bodies) and the store takes each stream as the
loader does. Parse and store are also timed alone on the same body, and the naive
pipeline (``json.loads``, one ``model_validate`` per point, copy-and-sort store) on it.

The first request of each kind warms the simulator and is reported apart ("cold server"):
the embedded simulator computes its world model's day cells on first use (~0.2 s for 50
streams x 8 days), which is the server's cost, not the dashboard's; a stored history
answers without it.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.history import HistoryClient
from app.protocol import HistoryResult, parse_history
from app.simulator.catalog import load_catalog
from app.stores.streams import StreamStore
from benchmarks.common import Figure, Report, free_port, median, simulator
from benchmarks.naive import NaiveStore, naive_history

DAYS = 7.0


def _store(result: HistoryResult) -> StreamStore:
    store = StreamStore()
    for name, samples in result.streams.items():
        store.add_history({name: samples})
    return store


async def _measure(url: str, names: list[str], reps: int) -> dict[str, Any]:
    end = datetime.now(UTC)
    start = end - timedelta(days=DAYS)
    params = {"start": start.isoformat(), "end": end.isoformat(), "streams": ",".join(names)}
    totals: list[float] = []
    fetches: list[float] = []
    parses: list[float] = []
    stores: list[float] = []
    naive_s: list[float] = []
    points = size = 0
    async with httpx.AsyncClient(timeout=60.0) as http:
        client = HistoryClient(http, url, timeout=60.0)
        t = time.perf_counter()
        _store(await client.fetch_history(start, end, names))
        cold = time.perf_counter() - t
        for _ in range(reps):
            t0 = time.perf_counter()
            result = await client.fetch_history(start, end, names)
            t1 = time.perf_counter()
            store = _store(result)
            t2 = time.perf_counter()
            totals.append(t2 - t0)
            fetches.append(t1 - t0)
            stores.append(t2 - t1)
            points = sum(len(store.series(n)) for n in store.stream_names())
            raw = await http.get(url + "/api/simulation/history", params=params)
            body = raw.content
            size = len(body)
            t3 = time.perf_counter()
            parse_history(body)
            parses.append(time.perf_counter() - t3)
        naive_store = NaiveStore()
        t4 = time.perf_counter()
        naive_history(body, naive_store)
        naive_s.append(time.perf_counter() - t4)
    return {
        "cold_server_total_s": cold,
        "points": points,
        "body_bytes": size,
        "total_s": median(totals),
        "fetch_and_parse_s": median(fetches),
        "parse_only_s": median(parses),
        "store_s": median(stores),
        "naive_parse_and_store_s": median(naive_s),
    }


def run(report: Report) -> None:
    names = list(load_catalog().names)
    reps = 1 if report.quick else 5
    port = free_port()
    with simulator(port, 1.0, "sim-history") as sim:
        one = asyncio.run(_measure(sim.url, ["customer.tutor.search"], reps))
        every = asyncio.run(_measure(sim.url, names, reps))
    report.details["history"] = {"1_stream": one, "50_streams": every}
    for label, r, target in (("1 stream", one, None), ("50 streams", every, 1.0)):
        own = r["parse_only_s"] + r["store_s"]
        report.add(
            Figure(
                "history",
                f"7 days of {label}: fetch+parse+store",
                r["total_s"] * 1000,
                "ms",
                "naive parse+store (no fetch)",
                r["naive_parse_and_store_s"] * 1000,
                r["naive_parse_and_store_s"] / own if own else None,
                "<= 1 s" if target else "",
                r["total_s"] <= target if target else None,
                f"{r['points']:,} points, {r['body_bytes'] / 1e6:.1f} MB; cold server "
                f"{r['cold_server_total_s'] * 1000:.0f} ms; parse "
                f"{r['parse_only_s'] * 1000:.0f} ms, store {r['store_s'] * 1000:.0f} ms "
                f"(ratio: naive / app parse+store)",
            )
        )
