"""The week benchmark's child: a week and more of every stream at 1x, fed in minutes.

``python -m benchmarks.week_child DAYS MODE`` imports what the dashboard imports, seeds a
StreamStore with the 7 days of history of all 50 streams before the run's start (built by
the embedded simulator's own history code), then drives the simulator's clock through DAYS
simulated days: every 10 simulated seconds the engine generates what the 50 streams emit at
1x, the frames go through the real session (parse + store), and the store's upkeep runs as
the dashboard's pruner does (roll-ups, retention). The whole run lies in the past, so no
clock in the process disagrees with the simulated one.

MODE ``rollup`` uses the dashboard's default roll-up policy; ``raw`` never rolls up (the
store before roll-ups: only the per-stream cap bounds it, by dropping the oldest points).
One JSON line per 6 simulated hours (``{"sample": ...}``), then one with the totals.
"""

from __future__ import annotations

import gc
import json
import sys
import time

import app.main  # noqa: F401 - the dashboard's imports are part of its footprint
from app.config import Settings
from app.protocol import parse_history
from app.simulator.config import SimulatorConfig
from app.simulator.history import HistoryQuery, build_history
from app.simulator.service import Simulator
from app.simulator.topics import select
from app.stores.rollup import RollupPolicy
from app.stores.streams import DAY_MS, StreamStore
from benchmarks.common import rss_mb
from benchmarks.ingest import make_session

TICK_S = 10
UPKEEP_S = 60
SAMPLE_S = 6 * 3600
BUSIEST = "api.request.log"


class SimClock:
    def __init__(self, at_s: float) -> None:
        self.at_s = at_s

    def __call__(self) -> float:
        return self.at_s


def make_store(settings: Settings, clock: SimClock) -> StreamStore:
    retention_ms = int(settings.retention_days * DAY_MS)
    return StreamStore(
        retention_ms=retention_ms,
        max_points_per_stream=settings.max_points_per_stream,
        clock=clock,
        rollup=RollupPolicy(
            int(settings.raw_window_minutes * 60_000), settings.rollup_bucket_seconds * 1000
        ),
    )


def seed(sim: Simulator, store: StreamStore, end_s: float) -> int:
    query = HistoryQuery(end_s - 7 * 86_400, end_s, sim.catalog.streams, 300)
    result = parse_history(build_history(sim.model, (), query, end_s))
    if not hasattr(result, "streams"):
        raise RuntimeError(f"history did not parse: {result}")
    for name, samples in result.streams.items():
        store.add_history({name: samples})
    return sum(len(s) for s in result.streams.values())


def sample(store: StreamStore, day: float, events: int, wall: float) -> dict[str, float | None]:
    gc.collect()
    first = store.stats(BUSIEST).first_ts_ms
    now_ms = store.newest_event_ms() or 0
    return {
        "day": round(day, 2),
        "rss_mb": round(rss_mb(), 1),
        "events": events,
        "wall_s": round(wall, 1),
        **store.footprint(),
        "busiest_points": len(store.series(BUSIEST)),
        "busiest_days": None if first is None else round((now_ms - first) / DAY_MS, 2),
    }


def main() -> None:
    days, mode = float(sys.argv[1]), sys.argv[2]
    settings = Settings()
    start_s = time.time() - days * 86_400 - 600
    clock = SimClock(start_s)
    sim = Simulator(SimulatorConfig(clock=clock, prefill=False, seed=settings.sim_seed))
    store = make_store(settings, clock)
    print(json.dumps({"history_points": seed(sim, store, start_s), "rss_mb": rss_mb()}))
    session = make_session(store)
    engine = sim.engine
    engine.horizon_ms = int(start_s * 1000)
    everything = select(["*"], sim.catalog)
    events = 0
    t0 = time.perf_counter()
    steps = int(days * 86_400 / TICK_S)
    for step in range(1, steps + 1):
        clock.at_s = start_s + step * TICK_S
        batch = engine.tick(int(clock.at_s * 1000))
        events += len(batch)
        for frame in engine.frames_for(everything, batch):
            session.handle(frame)
        elapsed = step * TICK_S
        if elapsed % UPKEEP_S == 0:
            while mode == "rollup" and store.roll_up():
                pass
            store.prune()
        if elapsed % SAMPLE_S == 0:
            line = sample(store, elapsed / 86_400, events, time.perf_counter() - t0)
            print(json.dumps({"sample": line}), flush=True)
    print(json.dumps({"done": {"mode": mode, "days": days, "events": events}}), flush=True)


if __name__ == "__main__":
    main()
