"""10. A week of every stream: RSS and chart coverage with roll-ups against the raw store.

Two child processes (:mod:`benchmarks.week_child`) are fed the same simulated days of all
50 streams at 1x side by side (one per core): one rolls up as the dashboard does, the other
keeps every live point raw as the store did before roll-ups. Full mode runs 9 simulated
days (past the 8-day retention, so the last day shows whether memory is flat); quick mode
runs half a day.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from benchmarks.common import ROOT, Figure, Report

TARGET_MB = 300.0
BUSIEST = "api.request.log"


def _start(days: float, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks.week_child", f"{days:g}", mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _collect(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    out, err = proc.communicate(timeout=timeout)
    if proc.returncode:
        raise RuntimeError(f"week child failed ({proc.returncode}): {err[-2000:]}")
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {
        "seed": lines[0],
        "samples": [x["sample"] for x in lines if "sample" in x],
        "done": lines[-1]["done"],
    }


def run(report: Report) -> None:
    days = 0.5 if report.quick else 9.0
    procs = {mode: _start(days, mode) for mode in ("rollup", "raw")}
    runs = {mode: _collect(p, timeout=1800) for mode, p in procs.items()}
    report.details["week"] = runs
    rolled, raw = runs["rollup"]["samples"], runs["raw"]["samples"]
    end, base = rolled[-1], raw[-1]
    week = [s for s in rolled if s["day"] >= min(7.0, days)]
    peak = max(s["rss_mb"] for s in week)
    last_day = [s for s in rolled if s["day"] >= days - 1]
    growth = (last_day[-1]["rss_mb"] - last_day[0]["rss_mb"]) / last_day[0]["rss_mb"]
    full = days >= 8
    report.add(
        Figure(
            "week",
            f"RSS after {days:g} simulated days of all 50 streams at 1x",
            end["rss_mb"],
            "MB",
            "same feed, every live point raw (cap 100,000/stream)",
            base["rss_mb"],
            end["rss_mb"] / base["rss_mb"],
            f"<= {TARGET_MB:g} MB, flat over the last day",
            (peak <= TARGET_MB and growth < 0.05) if full else None,
            f"{runs['rollup']['done']['events']:,} events; peak from day 7 {peak:.0f} MB; "
            f"last day {growth:+.1%}; {end['points']:,} points kept against "
            f"{base['points']:,}" + ("" if full else "; quick mode: half a day"),
        )
    )
    report.add(
        Figure(
            "week",
            f"days of {BUSIEST} on its chart after {days:g} days",
            end["busiest_days"],
            "days",
            "raw store (its cap drops the oldest points)",
            base["busiest_days"],
            None,
            "the whole retention (8 days, 7 of history at start)",
            end["busiest_days"] >= min(8.0, 7 + days) - 0.05 if full else None,
            f"{end['busiest_points']:,} points against {base['busiest_points']:,} raw",
        )
    )
