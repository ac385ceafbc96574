"""``python -m benchmarks.dashboard_lag ARGS``: the dashboard (``python -m app ARGS``) plus an
event-loop lag probe, for the latency benchmark.

The probe sleeps 10 ms in a loop and records how late each wake-up is, and the garbage
collector's pauses are timed (``gc.callbacks``); ``GET /bench/lag`` returns both since the
previous call (and starts a new window). Nothing else differs from ``python -m app``.
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any

from fastapi.responses import JSONResponse
from nicegui import app

from app.config import load_settings
from app.main import run
from benchmarks.common import percentile

INTERVAL = 0.01
_lags: list[float] = []
_gc_pauses: list[float] = []
_gc_started = [0.0]


def _time_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    elif len(_gc_pauses) < 200_000:
        _gc_pauses.append((time.perf_counter() - _gc_started[0]) * 1000)


async def _probe() -> None:
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(INTERVAL)
        _lags.append((loop.time() - before - INTERVAL) * 1000)
        if len(_lags) > 200_000:  # bounded: one window never needs more
            del _lags[:100_000]


@app.get("/bench/lag")
def lag() -> JSONResponse:
    window = list(_lags)
    _lags.clear()
    pauses = list(_gc_pauses)
    _gc_pauses.clear()
    body: dict[str, Any] = {
        "samples": len(window),
        "p50_ms": percentile(window, 50),
        "p99_ms": percentile(window, 99),
        "max_ms": max(window, default=None),
        "gc": {
            "pauses": len(pauses),
            "total_ms": round(sum(pauses), 1),
            "p99_ms": percentile(pauses, 99),
            "max_ms": round(max(pauses, default=0.0), 1),
        },
    }
    return JSONResponse(body)


def _start_probe() -> None:
    from nicegui import background_tasks

    background_tasks.create(_probe(), name="bench-lag-probe")


if __name__ in {"__main__", "__mp_main__"}:
    app.on_startup(_start_probe)
    gc.callbacks.append(_time_gc)
    run(load_settings())
