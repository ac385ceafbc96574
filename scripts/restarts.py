"""Kill and restart an external simulator under a running dashboard, then audit the series.

    .venv/bin/python -m scripts.restarts --restarts 20 --out test-artifacts/restarts.json

The dashboard runs against ``python -m app.simulator --rate 10`` (production backoff unless
told otherwise). The simulator is killed (SIGKILL and SIGTERM, half each, in random order)
after a random uptime, left down a random while, and started again on the same port. Each
time, the dashboard must reconnect; its time from the kill to ``connected`` is recorded.

At the end every subscribed stream's export is compared with what the simulator generated,
recomputed in-process from its seed (the simulator is deterministic and regenerates the
same events after a restart): every event from the first live one to two seconds before
the export must be there exactly once (outages stay far inside the catch-up window), no
gap may be recorded, and the dashboard's log must hold no error. The figures are printed
and written as JSON; the exit status is 0 only if every property held.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.protocol.topics import expand
from app.simulator.catalog import load_catalog
from tests.support.expected import check_series, export_rows
from tests.support.processes import (
    ARTIFACTS,
    Process,
    error_lines,
    free_port,
    get_json,
    log_size,
    start_dashboard,
    start_simulator,
    status,
    wait_until,
    write_figures,
)

ROOT = Path(__file__).resolve().parents[1]

RECOVERY_TIMEOUT = 90.0
"""A reconnect slower than this counts as a failed recovery (backoff tops out at 30 s)."""
TAIL_MS = 2_000
"""Events younger than this at export time may still be on their way: not audited."""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    first_line = __doc__.split("\n")[0]
    p = argparse.ArgumentParser(prog="python -m scripts.restarts", description=first_line)
    p.add_argument("--restarts", type=int, default=20, help="kill/restart cycles (default 20)")
    p.add_argument("--rate", type=float, default=10.0, help="simulator --rate (default 10)")
    p.add_argument("--sim-seed", type=int, default=7, help="simulator --seed (default 7)")
    p.add_argument("--topics", default="customer.*", help="dashboard topics (default customer.*)")
    p.add_argument("--seed", type=int, default=1, help="seed of the random moments (default 1)")
    p.add_argument("--min-up", type=float, default=2.0, help="shortest uptime before a kill, s")
    p.add_argument("--max-up", type=float, default=10.0, help="longest uptime before a kill, s")
    p.add_argument("--max-down", type=float, default=3.0, help="longest wait before restart, s")
    p.add_argument("--backoff-initial", type=float, default=None, help="dashboard flag")
    p.add_argument("--backoff-max", type=float, default=None, help="dashboard flag")
    p.add_argument(
        "--out", type=Path, default=ARTIFACTS / "restarts.json", help="JSON figures file"
    )
    return p.parse_args(argv)


def _connected_after(dashboard: Process, reconnects: int) -> dict[str, Any] | None:
    body = status(dashboard)
    conn, counters = body["connection"], body["counters"]
    if conn["state"] == "connected" and counters["reconnects"] >= reconnects:
        return body
    return None


def _hold(dashboard: Process, seconds: float) -> list[str]:
    """Let the link run ``seconds`` (the random uptime), noting any unexpected state."""
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = status(dashboard)["connection"]["state"]
        if state != "connected":
            seen.append(state)
        time.sleep(0.1)  # the uptime is the scenario's stimulus, polled, not a synchronisation
    return seen


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the cycles and the audit; returns the figures (``ok`` says if all held)."""
    rng = random.Random(args.seed)
    streams = expand(args.topics.split(","), load_catalog().names)
    sim_flags = ["--seed", str(args.sim_seed)]
    dash_flags = ["--topics", args.topics]
    if args.backoff_initial is not None:
        dash_flags += ["--backoff-initial", str(args.backoff_initial)]
    if args.backoff_max is not None:
        dash_flags += ["--backoff-max", str(args.backoff_max)]
    signals = [signal.SIGKILL, signal.SIGTERM] * (args.restarts // 2 + 1)
    signals = signals[: args.restarts]
    rng.shuffle(signals)

    port = free_port()
    sim = start_simulator(port, *sim_flags, rate=args.rate)
    dash: Process | None = None
    cycles: list[dict[str, Any]] = []
    problems: list[str] = []
    try:
        dash = start_dashboard("--simulator-url", sim.url, *dash_flags)
        log_from = log_size(dash.log)
        d = dash
        wait_until(
            lambda: (b := _connected_after(d, 0)) and b["counters"]["eventsReceived"] > 0,
            30.0,
            "first live events",
        )
        for n, sig in enumerate(signals, 1):
            uptime = rng.uniform(args.min_up, args.max_up)
            odd = _hold(d, uptime)
            if odd:
                problems.append(f"cycle {n}: state left 'connected' before the kill: {odd}")
            before = status(d)["counters"]
            killed = time.monotonic()
            sim.signal(sig)
            down = rng.uniform(0.0, args.max_down)
            time.sleep(down)  # the random outage itself, not a synchronisation
            sim = start_simulator(port, *sim_flags, rate=args.rate)
            ready = time.monotonic()
            cycle: dict[str, Any] = {
                "cycle": n,
                "signal": signal.Signals(sig).name,
                "uptimeSeconds": round(uptime, 3),
                "simulatorDownSeconds": round(ready - killed, 3),
            }
            try:
                wait_until(
                    lambda b=before: _connected_after(d, b["reconnects"] + 1),
                    RECOVERY_TIMEOUT,
                    f"reconnect after restart {n}",
                )
            except TimeoutError as exc:
                cycle["recovered"] = False
                problems.append(str(exc))
                cycles.append(cycle)
                break
            connected = time.monotonic()
            wait_until(
                lambda b=before: status(d)["counters"]["eventsReceived"] > b["eventsReceived"],
                30.0,
                f"events after restart {n}",
            )
            cycle |= {
                "recovered": True,
                "reconnectSeconds": round(connected - killed, 3),
                "afterReadySeconds": round(connected - ready, 3),
            }
            cycles.append(cycle)
            print(json.dumps(cycle), flush=True)
        audit = _audit(d, streams, args)
        problems += audit.pop("problems")
        errors = error_lines(d.log, log_from)
        if errors:
            problems.append(f"{len(errors)} error line(s) in {d.log}: {errors[:3]}")
    finally:
        if dash is not None:
            dash.stop()
        sim.stop()

    recovered = [c for c in cycles if c.get("recovered")]
    reconnects = [c["reconnectSeconds"] for c in recovered]
    return {
        "restarts": args.restarts,
        "recoveries": len(recovered),
        "signals": {s: sum(c["signal"] == s for c in cycles) for s in ("SIGKILL", "SIGTERM")},
        "longestReconnectSeconds": max(reconnects, default=None),
        "meanReconnectSeconds": round(sum(reconnects) / len(reconnects), 3) if reconnects else None,
        "longestAfterReadySeconds": max((c["afterReadySeconds"] for c in recovered), default=None),
        "cycles": cycles,
        **audit,
        "settings": {
            "rate": args.rate,
            "simSeed": args.sim_seed,
            "topics": args.topics,
            "seed": args.seed,
            "uptime": [args.min_up, args.max_up],
            "maxDown": args.max_down,
            "backoffInitial": args.backoff_initial,
            "backoffMax": args.backoff_max,
        },
        "problems": problems,
        "ok": not problems and len(recovered) == args.restarts,
    }


def _audit(dashboard: Process, streams: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Compare every stream's export with the model from the first live event on."""
    body = status(dashboard)
    exported_at = int(time.time() * 1000)
    rows = {}
    for stream in streams:
        url = f"{dashboard.url}/api/dashboard/export?stream={stream}&format=json"
        rows[stream] = export_rows(get_json(url, timeout=30.0)["points"])
    live = [r.ts_ms for rs in rows.values() for r in rs if r.source == "live"]
    problems: list[str] = []
    if not live:
        return {"series": [], "problems": ["no live point in any export"]}
    start, end = min(live), exported_at - TAIL_MS
    checks = [
        check_series(s, rows[s], start, end, seed=args.sim_seed, rate=args.rate) for s in streams
    ]
    for check in checks:
        if not check.exact or check.gap_markers:
            problems.append(f"{check.stream}: {json.dumps(check.summary())}")
    counters = body["counters"]
    for name in ("gaps", "malformedMessages", "taskRestarts", "serverErrors"):
        if counters[name]:
            problems.append(f"counter {name} = {counters[name]}")
    return {
        "auditedSeconds": round((end - start) / 1000, 1),
        "eventsExpected": sum(c.expected for c in checks),
        "eventsPresent": sum(c.present for c in checks),
        "duplicatePoints": sum(len(c.duplicates) for c in checks),
        "missingEvents": sum(len(c.missing) for c in checks),
        "unexpectedPoints": sum(len(c.unexpected) for c in checks),
        "gapMarkers": sum(c.gap_markers for c in checks),
        "counters": counters,
        "series": [c.summary() for c in checks],
        "problems": problems,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return write_figures(args.out, run(args), hide=("cycles", "series", "counters"))


if __name__ == "__main__":
    raise SystemExit(main())
