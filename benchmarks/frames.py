"""Real upstream frames for the offline benchmarks, made by the embedded simulator's generator.

The events are the simulator's own JSON (same streams, mix, ids and seqs as on the wire),
ending a minute before now so that they are inside the store's retention window.
"""

from __future__ import annotations

import time

from app.simulator import Simulator, SimulatorConfig

EVENTS_PER_SECOND = 10_000.0
"""Generation rate of the event set: the mix of a busy upstream."""


def event_texts(count: int, *, per_second: float = EVENTS_PER_SECOND) -> list[str]:
    """``count`` event objects as JSON text, oldest first, from all 50 streams."""
    from benchmarks.common import sim_rate_for

    now_ms = int(time.time() * 1000) - 60_000
    rate = min(100_000.0, sim_rate_for(per_second))
    sim = Simulator(SimulatorConfig(rate=rate, prefill=False))
    engine = sim.engine
    span_ms = int(count / per_second * 1000 * 1.3) + 10_000
    engine.horizon_ms = now_ms - span_ms
    texts: list[str] = []
    for step in range(engine.horizon_ms + 10_000, now_ms + 10_000, 10_000):
        texts.extend(e.json for e in engine.tick(min(step, now_ms)))
        if len(texts) >= count:
            break
    if len(texts) < count:
        raise RuntimeError(f"generated {len(texts)} events, wanted {count}")
    return texts[:count]


def frames(texts: list[str], per_frame: int) -> list[str]:
    """Frames as the simulator sends them: ``event`` for one event, else ``batch``."""
    if per_frame == 1:
        return ['{"type":"event","data":' + t + "}" for t in texts]
    return [
        '{"type":"batch","events":[' + ",".join(texts[i : i + per_frame]) + "]}"
        for i in range(0, len(texts), per_frame)
    ]
