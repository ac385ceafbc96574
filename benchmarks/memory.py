"""5. Memory: RSS with 7 days x 50 streams of history plus an hour of live data, and the
RSS of the real dashboard over a soak at 1,000 events/s (it must flatten: retention works).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import httpx

from benchmarks.common import (
    ROOT,
    Figure,
    Report,
    free_port,
    rss_mb,
    running,
    sim_rate_for,
    simulator,
)

TARGET_MB = 250.0


def footprint(report: Report) -> None:
    """History of every stream plus live data, in a fresh child process."""
    live = 5 * 60 if report.quick else 3600
    port = free_port()
    with simulator(port, 1.0, "sim-memory") as sim:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory_child", sim.url, str(live)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )
    r: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    report.details["memory_footprint"] = r
    report.add(
        Figure(
            "memory",
            "RSS, 50 streams x 7 days of history",
            r["rss_history_mb"],
            "MB",
            "RSS after the imports alone",
            r["rss_imports_mb"],
            None,
            note=f"{r['history_points']:,} points",
        )
    )
    hour = live >= 3600
    report.add(
        Figure(
            "memory",
            f"RSS, history + {live // 60} min live at 1,000/s",
            r["rss_history_and_live_mb"],
            "MB",
            "RSS with history only",
            r["rss_history_mb"],
            None,
            f"<= {TARGET_MB:g} MB (with 1 h live)",
            r["rss_history_and_live_mb"] <= TARGET_MB if hour else None,
            f"{r['points_stored']:,} points stored; peak {r['rss_peak_mb']:.0f} MB"
            + ("" if hour else f"; quick mode: {live // 60} min of live data, not the hour"),
        )
    )


def soak(report: Report) -> None:
    """The real dashboard at 1,000 events/s on every stream, short retention, RSS sampled."""
    duration = 24.0 if report.quick else 600.0
    retention = 6.0 if report.quick else 180.0
    days = f"{retention / 86_400:.8f}"
    port = free_port()
    rate = sim_rate_for(1000.0)
    args = [
        "app",
        "--port",
        str(port),
        "--no-show",
        "--topics",
        "*",
        "--sim-rate",
        f"{rate:.1f}",
        "--retention-days",
        days,
        "--history-days",
        days,
    ]
    samples: list[tuple[float, float, int]] = []
    with running(args, port, f"dashboard-soak-{port}", "/api/dashboard/status") as proc:
        t0 = time.monotonic()
        for _ in range(int(duration / 2) + 1):
            if time.monotonic() - t0 > duration:
                break
            status = httpx.get(proc.url + "/api/dashboard/status", timeout=5.0).json()
            points = sum(s["historyPoints"] + s["livePoints"] for s in status["streams"].values())
            samples.append((time.monotonic() - t0, rss_mb(proc.pid), points))
            time.sleep(2.0)
        received = status.get("counters", {}).get("eventsReceived")
    half = [s for s in samples if s[0] >= duration / 2]
    settled = [s for s in samples if s[0] >= retention * 1.5]
    rss_mid, rss_end = half[0][1], samples[-1][1]
    growth = (rss_end - rss_mid) / rss_mid
    report.details["memory_soak"] = {
        "duration_s": duration,
        "retention_s": retention,
        "sim_rate": rate,
        "events_received": received,
        "samples": [{"t": round(t, 1), "rss_mb": round(m, 1), "points": p} for t, m, p in samples],
    }
    settled_points = f"{settled[-1][2]:,}" if settled else "-"
    spread = (max(p for _, _, p in settled) - min(p for _, _, p in settled)) if settled else None
    report.add(
        Figure(
            "memory",
            f"dashboard RSS after {duration:g} s at 1,000 events/s",
            rss_end,
            "MB",
            "RSS at half time",
            rss_mid,
            rss_end / rss_mid,
            "flat (< 5% growth over 2nd half)",
            growth < 0.05,
            f"retention {retention:g} s; points stored after it: {settled_points}"
            f" (spread {spread}); peak {max(m for _, m, _ in samples):.0f} MB"
            + ("; quick mode: a short soak" if report.quick else ""),
        )
    )


def run(report: Report) -> None:
    footprint(report)
    soak(report)
