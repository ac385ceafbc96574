"""Throughput of ``StreamStore.add_events`` for in-order batches (run by hand, not a test).

.venv/bin/python -m tests.stores.bench_add_events [events] [batch]
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from app.protocol import StreamEvent
from app.stores.streams import StreamStore

STREAMS = [f"domain{i % 5}.stream{i}" for i in range(10)]


def make_events(n: int, *, ids: bool, seqs: bool) -> list[StreamEvent]:
    """``n`` in-order events over ten streams, one millisecond apart, with a small payload."""
    t0 = datetime.now(UTC) - timedelta(hours=1)
    return [
        StreamEvent(
            stream=STREAMS[i % len(STREAMS)],
            timestamp=t0 + timedelta(milliseconds=i),
            data={"tutorId": f"t-{i % 97}", "subject": "math", "amount": i % 13 * 1.5},
            normalizedValue=40.0 + i % 20,
            anomalyFlag="normal",
            id=f"ev-{i}" if ids else None,
            seq=i if seqs else None,
        )
        for i in range(n)
    ]


def run(events: list[StreamEvent], batch: int) -> float:
    """Events per second through ``add_events`` in batches of ``batch``."""
    store = StreamStore()
    batches = [events[i : i + batch] for i in range(0, len(events), batch)]
    start = time.perf_counter()
    for b in batches:
        store.add_events(b)
    elapsed = time.perf_counter() - start
    assert sum(len(store.series(s)) for s in STREAMS) == len(events)
    return len(events) / elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    batch = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    for label, ids, seqs in (("id", True, False), ("seq", False, True), ("payload", False, False)):
        events = make_events(n, ids=ids, seqs=seqs)
        best = max(run(events, batch) for _ in range(3))
        print(f"{label:8} key: {best:>10,.0f} events/s ({n:,} events, batches of {batch})")


if __name__ == "__main__":
    main()
