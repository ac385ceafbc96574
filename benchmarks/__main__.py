"""``python -m benchmarks [--quick] [--only AREA,...]``: measure, print a table, write JSON.

Areas run in this order (non-browser first): ingest, sustained, history, memory, week,
latency, traffic, overview, viewers, busychart, coldstart. ``--quick`` shortens every run (about 3
minutes in all on 2 idle cores); the full run takes about 25 (10 of them a memory soak,
5 a simulated 9 days of every stream). ``--readme`` then
puts the table in README.md. A failing area is reported and the others still run; the exit
status is always 0: benchmarks inform, they never fail a build.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    busychart,
    coldstart,
    history,
    ingest,
    latency,
    memory,
    overview,
    sustained,
    traffic,
    viewers,
    week,
)
from benchmarks.common import Report, cpu_share, cpu_times, machine
from benchmarks.readme import RESULTS, table, update

AREAS: dict[str, Callable[[Report], None]] = {
    "ingest": ingest.run,
    "sustained": sustained.run,
    "history": history.run,
    "memory": memory.run,
    "week": week.run,
    "latency": latency.run,
    "traffic": traffic.run,
    "overview": overview.run,
    "viewers": viewers.run,
    "busychart": busychart.run,
    "coldstart": coldstart.run,
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (about 3 minutes)")
    parser.add_argument(
        "--compete",
        action="store_true",
        help="latency runs while another process keeps one core busy",
    )
    parser.add_argument(
        "--only", default="", help=f"comma-separated areas among {', '.join(AREAS)}"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument(
        "--readme", action="store_true", help="then rewrite the README's table from --out"
    )
    args = parser.parse_args()
    chosen = [a.strip() for a in args.only.split(",") if a.strip()] or list(AREAS)
    unknown = [a for a in chosen if a not in AREAS]
    if unknown:
        parser.error(f"unknown area(s): {', '.join(unknown)}")
    report = Report(quick=args.quick, compete=args.compete)
    info = machine()  # the load average before the run
    started = time.monotonic()
    timings: dict[str, float] = {}
    cpu: dict[str, dict[str, float]] = {}
    first = cpu_times()
    for area in chosen:
        print(f"== {area}", flush=True)
        t0, ticks = time.monotonic(), cpu_times()
        try:
            AREAS[area](report)
        except Exception as exc:  # one broken area must not hide the others' figures
            report.errors[area] = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
        timings[area] = round(time.monotonic() - t0, 1)
        cpu[area] = cpu_share(ticks, cpu_times())
        print(
            f"   {timings[area]:.0f} s; cores busy {cpu[area]['busy_percent']:.0f} %, "
            f"stolen by the hypervisor {cpu[area]['steal_percent']:.1f} %",
            flush=True,
        )
    cpu["total"] = cpu_share(first, cpu_times())
    print()
    print(table(report.figures))
    for area, error in report.errors.items():
        print(f"\n{area} FAILED: {error}")
    body = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "competing_process": args.compete,
        "machine": info,
        "seconds": {"total": round(time.monotonic() - started, 1), **timings},
        "cpu": cpu,
        "figures": [dataclasses.asdict(f) for f in report.figures],
        "details": report.details,
        "errors": report.errors,
    }
    args.out.write_text(json.dumps(body, indent=2, default=str) + "\n")
    print(f"\n{len(report.figures)} figures in {body['seconds']['total']:.0f} s -> {args.out}")
    if args.readme:
        update(args.out)
        print("README.md: benchmark table rewritten")


if __name__ == "__main__":
    main()
