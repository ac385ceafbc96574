"""The ground truth of the reliability audits: the model matches what the engine emits,
and the series check catches duplicates, losses and made-up points."""

from __future__ import annotations

import json

from app.simulator import SimulatorConfig
from app.simulator.service import Simulator
from tests.support.expected import Row, check_series, model_events

NOON_MS = 1_795_608_000_000
STREAMS = ["customer.page.view", "customer.tutor.search", "customer.login.success"]


def test_model_events_are_what_the_engine_emits() -> None:
    """Regenerated in-process, the events equal the running engine's output for a window."""
    sim = Simulator(SimulatorConfig(seed=7, rate=10.0, prefill=False))
    emitted = sim.engine.tick(NOON_MS)  # the engine generates the last max_gap_s seconds
    start = NOON_MS - int(sim.config.max_gap_s * 1000)
    for name in STREAMS:
        index = sim.catalog.names.index(name)
        engine = [
            (e.ts_ms, float(json.loads(e.json)["normalizedValue"]))
            for e in emitted
            if e.stream == index
        ]
        assert engine, name
        assert sorted(engine) == sorted(model_events(name, start, NOON_MS, seed=7, rate=10.0))


def _rows(keys: list[tuple[int, float]], source: str = "live") -> list[Row]:
    return [Row(ts, value, source) for ts, value in keys]


def test_check_series_flags_duplicates_losses_and_inventions() -> None:
    """A duplicate, a silent loss and an unknown point are each reported."""
    stream, start, end = STREAMS[0], NOON_MS - 10_000, NOON_MS
    truth = model_events(stream, start, end, seed=7, rate=10.0)
    assert len(truth) > 10
    exact = check_series(stream, _rows(truth), start, end, seed=7, rate=10.0)
    assert exact.exact and exact.honest and exact.present == len(truth)

    lost, doubled = truth[5], truth[8]
    rows = _rows([k for k in truth if k != lost] + [doubled, (start + 1, 123.0)])
    bad = check_series(stream, rows, start, end, seed=7, rate=10.0)
    assert bad.missing == [lost] and bad.uncovered == [lost]
    assert bad.duplicates == [doubled] and bad.unexpected == [(start + 1, 123.0)]


def test_a_loss_inside_a_shown_gap_is_honest() -> None:
    """Events missing between two live points with a gap marker between them are shown."""
    stream, start, end = STREAMS[0], NOON_MS - 10_000, NOON_MS
    truth = model_events(stream, start, end, seed=7, rate=10.0)
    hole = truth[3:7]
    kept = [k for k in truth if k not in hole]
    marker = Row((truth[2][0] + truth[7][0]) // 2, None, "gap")
    check = check_series(stream, [*_rows(kept), marker], start, end, seed=7, rate=10.0)
    assert check.missing == hole and not check.uncovered
    assert check.honest and not check.exact
