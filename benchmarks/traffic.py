"""3. Browser traffic and server CPU: the app's delta path against ``chart.update()``.

Each mode runs in its own server process (``benchmarks.chart_server``); Chromium opens 1,
then 4 tabs. WebSocket payload bytes come from CDP ``Network.webSocketFrameReceived`` of
every tab, the server's CPU time from /proc, both over the same window after a warm-up
(so the first full series of each tab is not counted, only the steady flow).
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import (
    CHART_READY_JS,
    Figure,
    Report,
    chromium,
    cpu_seconds,
    free_port,
    running,
)

WARMUP_S = 2.0
QUICK_WARMUP_S = 1.0


class Tab:
    """One page with a CDP session counting received WebSocket payload bytes."""

    def __init__(self, browser: Any, url: str) -> None:
        self.page = browser.new_page()
        self.bytes = 0
        self.frames = 0
        cdp = self.page.context.new_cdp_session(self.page)
        cdp.send("Network.enable")
        cdp.on("Network.webSocketFrameReceived", self._frame)
        self.page.goto(url, wait_until="commit")

    def wait_drawn(self) -> None:
        """Until the chart holds its series: all 10,080 points in the naive page, about 2,500
        in the app's (a series that long is sent thinned to the chart's width)."""
        self.page.wait_for_function(CHART_READY_JS, arg=2_000, timeout=60_000, polling=100)

    def _frame(self, event: dict[str, Any]) -> None:
        self.bytes += len(event["response"]["payloadData"])
        self.frames += 1

    def reset(self) -> None:
        self.bytes = 0
        self.frames = 0


def _open(browser: Any, url: str, count: int) -> list[Tab]:
    """``count`` tabs loading at once, returned when every chart is drawn."""
    tabs = [Tab(browser, url) for _ in range(count)]
    for tab in tabs:
        tab.wait_drawn()
    return tabs


def _window(tabs: list[Tab], pid: int, seconds: float, warmup: float) -> dict[str, float]:
    tabs[0].page.wait_for_timeout(warmup * 1000)
    for tab in tabs:
        tab.reset()
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    tabs[0].page.wait_for_timeout(seconds * 1000)
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0
    return {
        "bytes_per_s": sum(t.bytes for t in tabs) / elapsed,
        "frames_per_s": sum(t.frames for t in tabs) / elapsed,
        "cpu_percent": 100 * cpu / elapsed,
    }


def _mode(browser: Any, mode: str, seconds: float, warmup: float) -> dict[str, Any]:
    port = free_port()
    args = ["benchmarks.chart_server", "--port", str(port), "--mode", mode]
    out: dict[str, Any] = {}
    t0 = time.monotonic()
    with running(args, port, f"chart-{mode}-{port}", "/") as proc:
        up = time.monotonic() - t0
        tabs = _open(browser, proc.url + "/", 1)
        drawn = time.monotonic() - t0
        try:
            out["1_tab"] = _window(tabs, proc.pid, seconds, warmup)
            t1 = time.monotonic()
            tabs += _open(browser, proc.url + "/", 3)
            more = time.monotonic() - t1
            out["4_tabs"] = _window(tabs, proc.pid, seconds, warmup)
        finally:
            for tab in tabs:
                tab.page.close()
    print(
        f"    {mode}: server up {up:.1f} s, first chart {drawn:.1f} s, 3 more tabs {more:.1f} s, "
        f"all {time.monotonic() - t0:.1f} s",
        flush=True,
    )
    return out


def run(report: Report) -> None:
    seconds = 3.0 if report.quick else 20.0
    warmup = QUICK_WARMUP_S if report.quick else WARMUP_S
    with chromium() as browser:
        delta = _mode(browser, "delta", seconds, warmup)
        naive = _mode(browser, "naive", seconds, warmup)
    report.details["traffic"] = {"delta": delta, "naive": naive, "window_s": seconds}
    for tabs in ("1_tab", "4_tabs"):
        d, n = delta[tabs], naive[tabs]
        ratio = n["bytes_per_s"] / d["bytes_per_s"] if d["bytes_per_s"] else None
        label = tabs.replace("_", " ")
        report.add(
            Figure(
                "traffic",
                f"browser traffic, {label} (10,080 pts + 20/s)",
                d["bytes_per_s"] / 1000,
                "KB/s",
                "naive update()",
                n["bytes_per_s"] / 1000,
                ratio,
                ">= 100x below naive",
                ratio is not None and ratio >= 100,
            )
        )
        report.add(
            Figure(
                "traffic",
                f"server CPU, {label}",
                d["cpu_percent"],
                "% of a core",
                "naive update()",
                n["cpu_percent"],
                n["cpu_percent"] / d["cpu_percent"] if d["cpu_percent"] else None,
                "below naive",
                d["cpu_percent"] < n["cpu_percent"],
            )
        )
