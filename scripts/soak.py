"""Soak: the dashboard at ``--sim-rate 100`` with browser tabs open, sampled for leaks.

    .venv/bin/python -m scripts.soak --minutes 30 --out test-artifacts/soak.json

Starts ``python -m app --sim-rate 100`` (embedded simulator), opens ``--tabs`` Playwright
pages in Debian's Chromium, and samples every ``--sample-seconds``: the process's resident
memory and asyncio task count (``process`` in ``GET /api/dashboard/status``), the event
counters, the connection state, and per tab the chart's length and JavaScript heap.

Verdict, after the warm-up (``--warmup-minutes``, default a fifth of the run, at most 5):
RSS growth under 10 % (median of the last three samples against the first three), the
task count flat (the last third's peak no higher than the first third's plus
``--task-slack``), the link connected at every sample, live events flowing into every
tab, and no error in the dashboard's log or the browser consoles. The figures are printed
and written as JSON; the exit status is 0 only if every check held.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from tests.support.browser import LINE, chart_ready
from tests.support.processes import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    error_lines,
    log_size,
    start_dashboard,
    status,
    write_figures,
)

ROOT = Path(__file__).resolve().parents[1]

READY = chart_ready(1)
TAB_FIGURES = (
    f"() => {{ const d = {LINE}; return {{ points: d.length, newest: d.at(-1)[0],"
    " heap: performance.memory ? performance.memory.usedJSHeapSize : null }; }"
)
MAX_RSS_GROWTH = 0.10


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scripts.soak", description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=30.0, help="duration (default 30)")
    p.add_argument("--rate", type=float, default=100.0, help="--sim-rate (default 100)")
    p.add_argument("--tabs", type=int, default=2, help="browser tabs (default 2)")
    p.add_argument("--topics", default=None, help="dashboard --topics (default: its own)")
    p.add_argument("--sample-seconds", type=float, default=10.0, help="sampling period")
    p.add_argument("--warmup-minutes", type=float, default=None, help="default: run/5, max 5")
    p.add_argument("--task-slack", type=int, default=3, help="allowed rise of the task peak")
    p.add_argument("--out", type=Path, default=ARTIFACTS / "soak.json", help="JSON figures")
    return p.parse_args(argv)


def _tab(page: Page) -> dict[str, Any]:
    try:
        figures: dict[str, Any] = page.evaluate(TAB_FIGURES)
    except Exception as exc:  # a tab that cannot answer is a finding, not a crash
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}
    return figures


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the soak; returns the samples and the verdict (``ok``)."""
    warmup_s = 60 * (
        args.warmup_minutes if args.warmup_minutes is not None else min(5.0, args.minutes / 5)
    )
    flags = ["--sim-rate", str(args.rate)]
    if args.topics:
        flags += ["--topics", args.topics]
    dash = start_dashboard(*flags)
    log_from = log_size(dash.log)
    console: list[str] = []
    samples: list[dict[str, Any]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                pages = []
                for n in range(args.tabs):
                    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                    page.on("console", lambda m, n=n: _console(console, n, m.type, m.text))
                    page.on("pageerror", lambda e, n=n: console.append(f"tab {n}: {e}"))
                    page.goto(dash.url)
                    page.wait_for_function(READY, timeout=60_000, polling=200)
                    pages.append(page)
                started = time.monotonic()
                end = started + args.minutes * 60
                while True:
                    body = status(dash)
                    samples.append(
                        {
                            "t": round(time.monotonic() - started, 1),
                            "rssBytes": body["process"]["rssBytes"],
                            "tasks": body["process"]["tasks"],
                            "state": body["connection"]["state"],
                            "eventsReceived": body["counters"]["eventsReceived"],
                            "malformed": body["counters"]["malformedMessages"],
                            "reconnects": body["counters"]["reconnects"],
                            "tabs": [_tab(p) for p in pages],
                        }
                    )
                    left = end - time.monotonic()
                    if left <= 0:
                        break
                    # Pacing of the sampler; it also lets Playwright deliver console events.
                    pages[0].wait_for_timeout(1000 * min(args.sample_seconds, left))
            finally:
                browser.close()
    finally:
        dash.stop()
    errors = error_lines(dash.log, log_from)
    return _verdict(args, warmup_s, samples, errors, console)


def _console(sink: list[str], tab: int, kind: str, text: str) -> None:
    if kind == "error":
        sink.append(f"tab {tab}: {text[:300]}")


def _verdict(
    args: argparse.Namespace,
    warmup_s: float,
    samples: list[dict[str, Any]],
    errors: list[str],
    console: list[str],
) -> dict[str, Any]:
    warm = [s for s in samples if s["t"] >= warmup_s] or samples[-3:]
    problems: list[str] = []
    rss_start = statistics.median(s["rssBytes"] for s in warm[:3])
    rss_end = statistics.median(s["rssBytes"] for s in warm[-3:])
    growth = (rss_end - rss_start) / rss_start
    if growth >= MAX_RSS_GROWTH:
        problems.append(f"RSS grew {growth:.1%} after the warm-up")
    third = max(1, len(warm) // 3)
    first_peak = max(s["tasks"] for s in warm[:third])
    last_peak = max(s["tasks"] for s in warm[-third:])
    if last_peak > first_peak + args.task_slack:
        problems.append(f"asyncio tasks rose from a peak of {first_peak} to {last_peak}")
    if any(s["state"] != "connected" for s in samples):
        problems.append("the upstream link was not connected at every sample")
    for n in range(args.tabs):
        tab = [s["tabs"][n] for s in warm]
        if any("error" in t for t in tab):
            problems.append(f"tab {n} stopped answering: {[t for t in tab if 'error' in t][:1]}")
        elif tab[-1]["newest"] <= tab[0]["newest"]:
            problems.append(f"tab {n} received no live point after the warm-up")
    if errors:
        problems.append(f"{len(errors)} error line(s) in the dashboard log: {errors[:3]}")
    if console:
        problems.append(f"{len(console)} browser console error(s): {console[:3]}")
    duration = warm[-1]["t"] - warm[0]["t"]
    events = warm[-1]["eventsReceived"] - warm[0]["eventsReceived"]
    return {
        "minutes": args.minutes,
        "rate": args.rate,
        "tabs": args.tabs,
        "warmupSeconds": warmup_s,
        "samples": len(samples),
        "rssStartBytes": rss_start,
        "rssEndBytes": rss_end,
        "rssGrowth": round(growth, 4),
        "rssMaxBytes": max(s["rssBytes"] for s in warm),
        "tasksAfterWarmup": [min(s["tasks"] for s in warm), max(s["tasks"] for s in warm)],
        "tasksFirstThirdPeak": first_peak,
        "tasksLastThirdPeak": last_peak,
        "eventsPerSecond": round(events / duration, 1) if duration else None,
        "tabsAtEnd": samples[-1]["tabs"],
        "errorLogLines": len(errors),
        "consoleErrors": len(console),
        "problems": problems,
        "ok": not problems,
        "series": samples,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return write_figures(args.out, run(args))


if __name__ == "__main__":
    raise SystemExit(main())
