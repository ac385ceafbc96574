"""An outage longer than the catch-up window: what the dashboard missed is either
backfilled from history or shown as a gap, never silently absent.

Both the external simulator and the dashboard run with a 2 s catch-up window; the
simulator is killed, kept down for twice the window, and started again. The dashboard's
export of every subscribed stream is then compared with what the simulator generated.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from app.protocol.topics import expand
from app.simulator.catalog import load_catalog
from tests.support.expected import check_series, export_rows
from tests.support.processes import (
    Process,
    error_lines,
    free_port,
    get_json,
    log_size,
    start_dashboard,
    start_simulator,
    status,
    wait_until,
)

pytestmark = pytest.mark.timeout(90)

WINDOW = "2"
OUTAGE_S = 4.0
"""Down for well over the 2 s window (counted from the kill, restart time not included)."""
RATE = 20.0
SEED = 7
TOPICS = "customer.*"
TAIL_MS = 2_000


@pytest.fixture
def stack() -> Iterator[tuple[Process, Process, int]]:
    """An external simulator and a dashboard, both with a 2 s catch-up window."""
    port = free_port()
    flags = ["--catchup-window", WINDOW, "--seed", str(SEED)]
    sim = start_simulator(port, *flags, rate=RATE)
    try:
        dash = start_dashboard(
            "--simulator-url",
            sim.url,
            "--catchup-window",
            WINDOW,
            "--topics",
            TOPICS,
            "--backoff-initial",
            "0.2",
            "--backoff-max",
            "0.5",
        )
    except BaseException:
        sim.stop()
        raise
    yield dash, sim, port
    dash.stop()
    sim.stop()  # the first simulator; the test stops the one it restarts


def test_long_outage_is_backfilled_or_shown_as_a_gap(
    stack: tuple[Process, Process, int],
) -> None:
    """Every event missed in an outage past the window is backfilled or inside a gap."""
    dash, sim, port = stack
    log_from = log_size(dash.log)
    wait_until(
        lambda: status(dash)["counters"]["eventsReceived"] >= 10, 30.0, "live events flowing"
    )
    sim.signal(signal.SIGKILL)
    killed = time.monotonic()
    wait_until(
        lambda: (
            time.monotonic() - killed >= OUTAGE_S
            and status(dash)["connection"]["state"] != "connected"
        ),
        OUTAGE_S + 10.0,
        "an outage of twice the window",
    )
    sim = start_simulator(port, "--catchup-window", WINDOW, "--seed", str(SEED), rate=RATE)
    try:
        restarted = time.time()
        wait_until(
            lambda: (
                (b := status(dash))["connection"]["state"] == "connected"
                and b["counters"]["reconnects"] >= 1
            ),
            30.0,
            "reconnected",
        )
        # Live data well past the restart, so the audit covers both sides of the hole.
        wait_until(
            lambda: any(
                s["lastTimestamp"] is not None
                and _ms(s["lastTimestamp"]) > (restarted + 2.0) * 1000
                for s in status(dash)["streams"].values()
            ),
            30.0,
            "live events 2 s after the restart",
        )
        body = status(dash)
        exported_at = int(time.time() * 1000)
        streams = expand([TOPICS], load_catalog().names)
        rows = {
            s: export_rows(
                get_json(f"{dash.url}/api/dashboard/export?stream={s}&format=json")["points"]
            )
            for s in streams
        }
    finally:
        sim.stop()
    first_live = min(r.ts_ms for rs in rows.values() for r in rs if r.source == "live")
    checks = [
        check_series(s, rows[s], first_live, exported_at - TAIL_MS, seed=SEED, rate=RATE)
        for s in streams
    ]
    failed = [c.summary() for c in checks if not c.honest]
    assert not failed, json.dumps(failed, indent=1)
    assert sum(len(c.missing) for c in checks) > 0, "the outage should have lost events"
    assert body["counters"]["gaps"] >= 1
    assert sum(c.gap_markers + c.backfill_points for c in checks) >= 1
    assert not error_lines(dash.log, log_from)


def _ms(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp() * 1000
