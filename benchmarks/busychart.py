"""4f. A busy stream's 7-day chart: how long it takes to open, and what its first draw costs.

One dashboard at ``--sim-rate 20`` (``api.request.log``, the busiest stream, gets about 400
events/s) runs until that stream holds 10,000 points (quick) or 40,000 (full). Chromium
then opens its 7-day chart, alternating with the quiet default stream (a 7-day chart of
about 2,300 points) as the baseline. Per load: navigation to the chart drawn, the rows the
reset brought (the server thins a long series to the tab's width), the time of the reset's
own call (rows in, first draw), and the page's long tasks (> 50 ms; the page's scripts and
Vue mount have theirs, whatever the stream).
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from benchmarks.common import CHART_READY_JS, Figure, Report, chromium, free_port, median, running
from benchmarks.overview import wait_seeded

BUSY, QUIET = "api.request.log", "customer.tutor.search"
HOOKS = """(() => {
  window.__long = [];
  const note = (list) => list.getEntries().forEach((e) => window.__long.push(e.duration));
  new PerformanceObserver(note).observe({ type: "longtask", buffered: true });
  let chart;
  Object.defineProperty(window, "LiveChart", { configurable: true, get: () => chart, set(v) {
    const reset = v.reset;
    v.reset = function (...args) {
      const t = performance.now();
      const result = reset.apply(this, args);
      (window.__resets = window.__resets || []).push([args[2].length, performance.now() - t]);
      return result;
    };
    chart = v;
  } });
})();"""
"""Long tasks, and each ``LiveChart.reset``'s rows and duration."""


def _points(url: str) -> int:
    stream = httpx.get(url + "/api/dashboard/status", timeout=10).json()["streams"][BUSY]
    return int(stream["historyPoints"] + stream["livePoints"])


def _load(browser: Any, url: str, stream: str) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.add_init_script(HOOKS)
        started = time.monotonic()
        page.goto(f"{url}/?streams={stream}&range=7d")
        page.wait_for_function(CHART_READY_JS, arg=1000, timeout=60_000, polling="raf")
        drawn = time.monotonic() - started
        page.wait_for_timeout(1000)  # late long tasks of the load
        resets = page.evaluate("() => window.__resets || []")
        longest = max(page.evaluate("() => window.__long"), default=0.0)
    finally:
        page.close()
    return {"stream": stream, "drawn_s": drawn, "resets": resets, "longest_task_ms": longest}


def run(report: Report) -> None:
    want = 10_000 if report.quick else 40_000
    port = free_port()
    args = ["app", "--port", str(port), "--no-show", "--sim-rate", "20"]
    with running(args, port, f"dashboard-busychart-{port}", "/") as proc, chromium() as browser:
        wait_seeded(proc.url)
        deadline = time.monotonic() + 180
        while (held := _points(proc.url)) < want and time.monotonic() < deadline:
            time.sleep(1.0)  # the stream fills at about 400 points a second
        loads = [_load(browser, proc.url, s) for s in (BUSY, QUIET) * (1 if report.quick else 3)]
    report.details["busy_chart"] = {"store_points": held, "loads": loads}
    busy = [x for x in loads if x["stream"] == BUSY]
    quiet = [x for x in loads if x["stream"] == QUIET]

    def first(loads: list[dict[str, Any]], field: int) -> float:
        return median([x["resets"][0][field] for x in loads if x["resets"]])

    def longest(loads: list[dict[str, Any]]) -> float:
        return float(max(x["longest_task_ms"] for x in loads))

    report.add(
        Figure(
            "busychart",
            f"7-day chart of {BUSY} ({held:,} points held) opened and drawn",
            median([x["drawn_s"] for x in busy]),
            "s",
            f"the quiet {QUIET}",
            median([x["drawn_s"] for x in quiet]),
            None,
            "< 1 s, no long task",
            None,
            f"page load included; rows sent {first(busy, 0):,.0f} (quiet {first(quiet, 0):,.0f});"
            f" the reset's first draw {first(busy, 1):.0f} ms (quiet {first(quiet, 1):.0f} ms);"
            f" longest task of the load {longest(busy):.0f} ms (quiet {longest(quiet):.0f} ms)",
        )
    )
