"""4c. The overview page at --sim-rate 100 following every stream: what one open tab costs.

One dashboard process, its history seed over, the exam-season scenario running (so cells
change state and value during the windows; at a steady baseline the simulator's values move
so slowly that the grid would send next to nothing). Server CPU (from /proc) is measured
over a window with no tab open (the baseline: ingesting ~1,500 events/s and ticking the health
board), then with one tab showing the grid and the default stream's 7-day chart; the
difference is the tab's share. In the same window the tab's main thread is sampled through
CDP (``Performance.getMetrics`` TaskDuration), and the status grid's traffic is counted in
the page: the bytes of every ``StatusGrid`` call the server sent (the deltas), against what
re-sending the whole grid on every board tick (twice a second) would have cost, the grid's
size measured in the same page.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from benchmarks.common import Figure, Report, chromium, cpu_seconds, free_port, running

RATE = "100"
SCENARIO = "exam-season-surge"
TICKS_PER_S = 2.0
"""Board ticks a second (``Services.health_interval_s`` = 0.5 s)."""

GRID_HOOK = """(() => {
  window.__gridBytes = 0;
  window.__gridCalls = 0;
  const wrap = () => {
    if (!window.StatusGrid) return setTimeout(wrap, 20);
    for (const name of ['reset', 'update', 'selected', 'filter']) {
      const original = window.StatusGrid[name];
      window.StatusGrid[name] = function (...args) {
        window.__gridBytes += JSON.stringify(args).length;
        window.__gridCalls += 1;
        return original.apply(this, args);
      };
    }
  };
  wrap();
})();"""
FULL_GRID = """() => {
  const codes = {normal: 0, warning: 1, critical: 2, stale: 3, nodata: 4};
  const cells = [...document.querySelectorAll('.dash-cell')].map((c) => [c.dataset.stream,
    codes[c.dataset.state], c.querySelector('.dash-cell-value').textContent || null, null]);
  const groups = [...document.querySelectorAll('.dash-grid-group')].map((g) => [g.dataset.group,
    [...g.querySelectorAll('.dash-cell')].map((c) => [c.dataset.stream,
      c.querySelector('.dash-cell-name').textContent])]);
  return JSON.stringify([groups, cells]).length;
}"""
"""The size of a whole grid as ``StatusGrid.reset`` sends it, from what the page shows."""
READY = """() => document.querySelectorAll('.dash-cell').length >= 50 && window.LiveChart &&
  (() => { const h = document.querySelector('[_echarts_instance_]');
    const c = h && getElement(h); const s = c && c.chart && c.chart.getOption().series;
    return !!(s && s[0] && s[0].data.length > 1000); })()"""


def wait_seeded(url: str, timeout: float = 60.0) -> None:
    """Until the history seed of all 50 streams is loaded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        streams = httpx.get(url + "/api/dashboard/status", timeout=10).json()["streams"]
        if len(streams) >= 50 and all(s["history"] == "loaded" for s in streams.values()):
            return
        time.sleep(0.2)
    raise TimeoutError("history seed of 50 streams not over")


def _scenario(url: str, scenario: str | None) -> None:
    """Start ``scenario`` on the embedded simulator; None: reset it to the baseline."""
    if scenario is None:
        httpx.post(url + "/api/simulation/reset", json={}, timeout=10)
        return
    answer = httpx.post(url + "/api/simulation/scenario", json={"scenarioId": scenario}, timeout=10)
    answer.raise_for_status()


def _busy(cdp: Any) -> tuple[float, float]:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["TaskDuration"], metrics["Timestamp"]


def _measure(browser: Any, url: str, pid: int, seconds: float) -> dict[str, float]:
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)  # the no-tab window: nothing to wait on but time
    idle_cpu = 100 * (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.add_init_script(GRID_HOOK)
        page.goto(url + "/")
        page.wait_for_function(READY, timeout=60_000, polling=100)
        page.wait_for_timeout(3000)  # the first full grid and series are not the steady flow
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        bytes0, calls0 = page.evaluate("[window.__gridBytes, window.__gridCalls]")
        busy0, stamp0 = _busy(cdp)
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        page.wait_for_timeout(seconds * 1000)
        elapsed = time.monotonic() - t0
        tab_cpu = 100 * (cpu_seconds(pid) - cpu0) / elapsed
        busy1, stamp1 = _busy(cdp)
        grid, calls = page.evaluate("[window.__gridBytes, window.__gridCalls]")
        full = page.evaluate(FULL_GRID)
    finally:
        context.close()
    return {
        "server_cpu_no_tab": idle_cpu,
        "server_cpu_one_tab": tab_cpu,
        "tab_busy_percent": 100 * (busy1 - busy0) / (stamp1 - stamp0),
        "grid_bytes_per_s": (grid - bytes0) / elapsed,
        "grid_calls": calls - calls0,
        "resend_bytes_per_s": full * TICKS_PER_S,
        "full_grid_bytes": full,
    }


def run(report: Report) -> None:
    seconds = 8.0 if report.quick else 30.0
    port = free_port()
    args = ["app", "--port", str(port), "--no-show", "--sim-rate", RATE]
    with running(args, port, f"dashboard-overview-{port}", "/") as proc, chromium() as browser:
        wait_seeded(proc.url)
        _scenario(proc.url, SCENARIO)
        try:
            r = _measure(browser, proc.url, proc.pid, seconds)
        finally:
            _scenario(proc.url, None)
    report.details["overview"] = r
    share = r["server_cpu_one_tab"] - r["server_cpu_no_tab"]
    report.add(
        Figure(
            "overview",
            "server CPU per open tab (x100, all streams)",
            share,
            "% of a core",
            "no tab open",
            r["server_cpu_no_tab"],
            None,
            "<= 15 % per tab",
            share <= 15.0,
            f"with one tab {r['server_cpu_one_tab']:.1f} %; {seconds:g} s windows",
        )
    )
    report.add(
        Figure(
            "overview",
            "browser main thread busy, grid + 7-day chart",
            r["tab_busy_percent"],
            "%",
            "",
            None,
            None,
            "<= 10 %",
            r["tab_busy_percent"] <= 10.0,
            "CDP TaskDuration over the window",
        )
    )
    ratio = r["resend_bytes_per_s"] / r["grid_bytes_per_s"] if r["grid_bytes_per_s"] else None
    report.add(
        Figure(
            "overview",
            "status grid traffic as deltas",
            r["grid_bytes_per_s"] / 1000,
            "KB/s",
            "re-sending the grid each tick",
            r["resend_bytes_per_s"] / 1000,
            ratio,
            ">= 50x below re-sending",
            ratio is None or ratio >= 50,
            f"whole grid {r['full_grid_bytes']:,} bytes, {TICKS_PER_S:g} ticks/s, "
            + f"{r['grid_calls']:.0f} grid updates in {seconds:g} s of {SCENARIO}"
            + ("; no cell changed in the window" if ratio is None else ""),
        )
    )
