"""4e. Many viewers: N real NiceGUI client sessions on one dashboard process at 1x.

One dashboard process follows every stream at the simulator's 1x rate (its default). Each
viewer is what a browser tab is to the server: it loads ``/`` (NiceGUI builds the whole
page: grid, chart, timeline, scenario panel) and opens the page's Socket.IO connection with
the page's own query, then receives every update the server pushes; it renders nothing.
The chart shows ``api.request.log``, a busy stream, so that its appended rows carry enough
event timestamps to time the push: arrival at the viewer minus the event's own time.

For each N, with the viewers open and the status API counting them: server CPU over the
window (from /proc), RSS above the no-viewer baseline per viewer, push latency p50/p99,
messages and bytes per viewer per second, and the status API's slowest answers. The
viewers run in this process, on the same two cores as the server: their own decoding is
part of the load, so the figures are an upper bound for the server alone. Browser tabs
cost the server the same as these sessions (checked in ``overview``: one real tab).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import socketio

from benchmarks.common import (
    Figure,
    Report,
    cpu_seconds,
    free_port,
    percentile,
    rss_mb,
    running,
)
from benchmarks.overview import wait_seeded

PAGE = "/?streams=api.request.log&range=1h"
QUERY = re.compile(r"query: (\{[^}]*\})")
ROW_TS = re.compile(r"\[(1\d{12}),")
"""Event timestamps (epoch ms) at the start of each row of a ``LiveChart.append`` call."""
OPEN_AT_ONCE = 10


@dataclass
class Tally:
    """What every viewer received during the window (shared: one event loop)."""

    counting: bool = False
    messages: int = 0
    bytes: int = 0
    latency_ms: list[float] = field(default_factory=list)

    def take(self, event: str, data: Any) -> None:
        if not self.counting:
            return
        self.messages += 1
        text = json.dumps(data)
        self.bytes += len(text)
        if event == "run_javascript" and "LiveChart.append(" in text:
            now = time.time() * 1000
            self.latency_ms.extend(now - int(ts) for ts in ROW_TS.findall(text))


async def _viewer(base: str, http: httpx.AsyncClient, tally: Tally) -> socketio.AsyncClient:
    """A viewer, retried with a fresh page as a browser reloads when its socket fails (a
    loaded server can take longer than a connect's wait)."""
    for attempt in range(3):
        try:
            return await _open_viewer(base, http, tally)
        except socketio.exceptions.ConnectionError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _open_viewer(base: str, http: httpx.AsyncClient, tally: Tally) -> socketio.AsyncClient:
    """Load the page, then connect its socket as the page's script would."""
    html = (await http.get(base + PAGE)).text
    match = QUERY.search(html)
    if match is None:
        raise RuntimeError("no socket query in the page")
    query = ast.literal_eval(match.group(1))
    query |= {"document_id": str(uuid.uuid4()), "tab_id": str(uuid.uuid4())}
    params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()}
    client = socketio.AsyncClient(reconnection=False)
    client.on("*", tally.take)
    await client.connect(
        f"{base}/?{urllib.parse.urlencode(params)}",
        socketio_path="/_nicegui_ws/socket.io",
        transports=["websocket"],
        headers={"Origin": base},
        wait_timeout=10,
    )
    return client


async def _viewers_seen(http: httpx.AsyncClient, base: str, n: int, within: float) -> None:
    """Until the status API counts ``n`` viewers (the server saw every socket)."""
    deadline = time.monotonic() + within
    while True:
        body = (await http.get(base + "/api/dashboard/status", timeout=30)).json()
        if body["process"]["viewers"] == n:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"status counts {body['process']['viewers']} viewers, not {n}")
        await asyncio.sleep(0.2)  # poll interval of a condition wait


async def _window(
    base: str, pid: int, http: httpx.AsyncClient, tally: Tally, seconds: float
) -> dict[str, Any]:
    """Server CPU and status answers over ``seconds`` while ``tally`` counts."""
    status_s: list[float] = []
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    tally.counting = True
    while time.monotonic() - t0 < seconds:
        asked = time.monotonic()
        await http.get(base + "/api/dashboard/status", timeout=30)
        status_s.append(time.monotonic() - asked)
        await asyncio.sleep(0.5)  # the status is polled twice a second, as a monitor would
    tally.counting = False
    elapsed = time.monotonic() - t0
    return {
        "cpu_percent": 100 * (cpu_seconds(pid) - cpu0) / elapsed,
        "elapsed_s": elapsed,
        "status_p99_ms": 1000 * (percentile(status_s, 99) or 0.0),
    }


async def _tier(base: str, pid: int, n: int, seconds: float) -> dict[str, Any]:
    tally = Tally()
    clients: list[socketio.AsyncClient] = []
    limits = httpx.Limits(max_connections=OPEN_AT_ONCE)
    async with httpx.AsyncClient(limits=limits, timeout=60) as http:
        try:
            opened = time.monotonic()
            for start in range(0, n, OPEN_AT_ONCE):
                batch = range(start, min(n, start + OPEN_AT_ONCE))
                clients += await asyncio.gather(*(_viewer(base, http, tally) for _ in batch))
            await _viewers_seen(http, base, n, within=60)
            open_s = time.monotonic() - opened
            await asyncio.sleep(2.0)  # the first full pages are not the steady flow
            figures = await _window(base, pid, http, tally, seconds)
            figures["rss_mb"] = rss_mb(pid)
        finally:
            for client in clients:
                with contextlib.suppress(Exception):
                    await client.disconnect()
        await _viewers_seen(http, base, 0, within=60)
    per_s = n * figures["elapsed_s"]
    return figures | {
        "viewers": n,
        "open_s": open_s,
        "messages_per_viewer_s": tally.messages / per_s,
        "bytes_per_viewer_s": tally.bytes / per_s,
        "push_p50_ms": percentile(tally.latency_ms, 50),
        "push_p99_ms": percentile(tally.latency_ms, 99),
        "latency_samples": len(tally.latency_ms),
    }


def _baseline(pid: int, seconds: float) -> dict[str, float]:
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)  # the no-viewer window: nothing to wait on but time
    return {
        "cpu_percent": 100 * (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0),
        "rss_mb": rss_mb(pid),
    }


def run(report: Report) -> None:
    seconds = 6.0 if report.quick else 20.0
    tiers = (10, 50, 100) if report.quick else (10, 50, 100, 200, 500)
    port = free_port()
    args = ["app", "--port", str(port), "--no-show"]
    with running(args, port, f"dashboard-viewers-{port}", "/") as proc:
        wait_seeded(proc.url)
        base = _baseline(proc.pid, seconds)
        results = [asyncio.run(_tier(proc.url, proc.pid, n, seconds)) for n in tiers]
    report.details["viewers"] = {"baseline": base, "tiers": results}
    for r in results:
        n = r["viewers"]
        p99 = r["push_p99_ms"]
        report.add(
            Figure(
                "viewers",
                f"server CPU with {n} viewer sessions (1x, all streams)",
                r["cpu_percent"],
                "% of a core",
                "no viewer",
                base["cpu_percent"],
                None,
                "push p99 <= 300 ms at 500" if n == 500 else "",
                (p99 is not None and p99 <= 300) if n == 500 else None,
                f"RSS +{(r['rss_mb'] - base['rss_mb']) / n:.2f} MB/viewer; push p50/p99 "
                f"{r['push_p50_ms'] or 0:.0f}/{p99 or 0:.0f} ms ({r['latency_samples']} rows); "
                f"{r['messages_per_viewer_s']:.1f} msgs, {r['bytes_per_viewer_s'] / 1000:.2f} "
                f"KB per viewer/s; status p99 {r['status_p99_ms']:.0f} ms; "
                f"opened in {r['open_s']:.1f} s",
            )
        )
