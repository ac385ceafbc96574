"""``python -m benchmarks.dashboard_lag ARGS``: the dashboard (``python -m app ARGS``) plus an
event-loop lag probe, for the latency benchmark.

The probe sleeps 10 ms in a loop and records how late each wake-up is; ``GET /bench/lag``
returns the lag percentiles since the previous call (and starts a new window). Nothing
else differs from ``python -m app``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.responses import JSONResponse
from nicegui import app

from app.config import load_settings
from app.main import run
from benchmarks.common import percentile

INTERVAL = 0.01
_lags: list[float] = []


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
    body: dict[str, Any] = {
        "samples": len(window),
        "p50_ms": percentile(window, 50),
        "p99_ms": percentile(window, 99),
        "max_ms": max(window, default=None),
    }
    return JSONResponse(body)


def _start_probe() -> None:
    from nicegui import background_tasks

    background_tasks.create(_probe(), name="bench-lag-probe")


if __name__ in {"__main__", "__mp_main__"}:
    app.on_startup(_start_probe)
    run(load_settings())
