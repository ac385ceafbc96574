"""The pure model: catalog, daily volume, determinism, ids and seqs, normalization, scenarios."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest

from app.protocol.models import STREAM_EVENT
from app.simulator import Simulator, SimulatorConfig
from app.simulator.catalog import SECONDS_PER_DAY, js_weekday, load_catalog
from app.simulator.engine import Engine
from app.simulator.generator import Generator
from app.simulator.model import Model, flag_of, normalize
from app.simulator.scenarios import ScenarioBook, multiplier

WEDNESDAY = int(datetime(2026, 11, 25, tzinfo=UTC).timestamp())
SATURDAY = int(datetime(2026, 11, 28, tzinfo=UTC).timestamp())


def _generator(seed: int = 7, rate: float = 1.0) -> Generator:
    catalog = load_catalog()
    return Generator(Model(catalog, seed, ScenarioBook(catalog)), rate)


def _day_counts(gen: Generator, day_start: int) -> dict[str, int]:
    counts = {}
    for stream in gen.streams:
        length = gen.slot_ms[stream.index]
        first, last = day_start * 1000 // length, (day_start + SECONDS_PER_DAY) * 1000 // length
        counts[stream.name] = sum(gen.count(stream, i) for i in range(first, last))
    return counts


def test_catalog_has_the_fifty_streams_at_fifteen_events_per_second() -> None:
    """The packaged catalog holds 50 streams summing to about 15.2 events/s."""
    catalog = load_catalog()
    assert len(catalog.streams) == 50
    assert len(set(catalog.names)) == 50
    assert sum(s.events_per_day for s in catalog.streams) / SECONDS_PER_DAY == pytest.approx(
        15.2, abs=0.05
    )
    assert catalog.hour_multipliers[8] == 1.5 and catalog.hour_multipliers[22] == 1.5
    assert catalog.hour_multipliers[23] == 0.2 and catalog.hour_multipliers[7] == 0.2
    assert js_weekday(WEDNESDAY) == 3 and js_weekday(SATURDAY) == 6
    assert catalog.weekday_multipliers[0] == catalog.weekday_multipliers[6] == 1.35


def test_daily_volume_of_a_weekday_is_within_ten_percent_of_the_catalog() -> None:
    """Over a simulated Wednesday the marketplace emits its eventsPerDay +-10 %.

    Single streams also carry the day's world events (a campaign, an incident), so each
    big stream is held to +-20 % only.
    """
    gen = _generator(seed=7)
    counts = _day_counts(gen, WEDNESDAY)
    total = sum(counts.values())
    expected = sum(s.events_per_day for s in gen.streams)
    assert total == pytest.approx(expected, rel=0.10)
    for stream in gen.streams:
        if stream.events_per_day >= 1000:
            assert counts[stream.name] == pytest.approx(stream.events_per_day, rel=0.20), stream


def test_weekend_lifts_only_streams_with_the_weekly_pattern() -> None:
    """On a Saturday day-of-week streams run about 1.35x, the others do not."""
    gen = _generator(seed=7)
    weekday, saturday = _day_counts(gen, WEDNESDAY), _day_counts(gen, SATURDAY)
    page_view = saturday["customer.page.view"] / weekday["customer.page.view"]
    payments = "customer.subscription.payment_success"
    assert page_view == pytest.approx(1.35, rel=0.12)
    assert saturday[payments] / weekday[payments] == pytest.approx(1.0, rel=0.15)


def test_slots_are_a_pure_function_of_the_seed() -> None:
    """The same seed regenerates identical events; another seed gives different ones."""
    a, b, c = _generator(7, 50), _generator(7, 50), _generator(8, 50)
    stream = a.streams[9]
    index = WEDNESDAY * 1000 // a.slot_ms[9] + 1234
    assert a.slot(stream, index, ()).events == b.slot(stream, index, ()).events
    assert a.slot(stream, index, ()).events != c.slot(stream, index, ()).events


def test_ids_are_unique_and_seqs_strictly_increase_in_emission_order() -> None:
    """An engine ticking through a busy minute emits unique ids and increasing seqs."""
    clock = [WEDNESDAY + 12 * 3600.0]
    sim = Simulator(SimulatorConfig(rate=100, prefill=False, clock=lambda: clock[0]))
    engine = sim.engine
    engine.horizon_ms = int(clock[0] * 1000)
    events = []
    for step in range(1, 601):
        events += engine.tick(int(clock[0] * 1000) + step * 100)
    assert len(events) > 50_000
    seqs = [e.seq for e in events]
    assert all(x < y for x, y in itertools.pairwise(seqs))
    assert len({json.loads(e.json)["id"] for e in events[:5000]}) == 5000
    parsed = STREAM_EVENT.validate_json(events[0].json)
    assert parsed["seq"] == events[0].seq and parsed["id"]
    assert parsed["normalizedValue"] is not None


def test_a_restarted_engine_prefills_the_same_events() -> None:
    """Pre-fill at start regenerates what a previous process emitted, same ids and seqs."""
    t0 = WEDNESDAY + 9 * 3600.0
    config = SimulatorConfig(rate=20, prefill=False, catchup_window_s=60, clock=lambda: t0)
    first = Engine(config, _generator(7, 20), ScenarioBook(load_catalog()))
    first.horizon_ms = int(t0 * 1000)

    for step in range(1, 1201):
        first.tick(int(t0 * 1000) + step * 100)
    end_ms = int(t0 * 1000) + 120_000
    second = Engine(config, _generator(7, 20), ScenarioBook(load_catalog()))
    second.prefill(end_ms)
    assert [list(b) for b in second.buffers] == [list(b) for b in first.buffers]
    assert sum(len(b) for b in second.buffers) > 3000
    capped = first.buffers[45]
    assert len(capped) == 1000 and capped[0].ts_ms > end_ms - 60_000


@pytest.mark.parametrize(
    ("z", "normalized", "flag"),
    [
        (0.0, 50.0, "normal"),
        (0.99, 64.85, "normal"),
        (-1.5, 27.5, "warning"),
        (2.0, 80.0, "critical"),
        (-4.0, 0.0, "critical"),
        (5.0, 100.0, "critical"),
    ],
)
def test_normalization_follows_the_contract(z: float, normalized: float, flag: str) -> None:
    """normalized = clamp(50 + 15 z, 0, 100); flags at |z| 1 and 2."""
    assert normalize(z) == pytest.approx(normalized)
    assert flag_of(z) == flag


def test_normalization_is_seasonal_so_nights_are_not_critical() -> None:
    """A quiet night and a busy noon of the same stream both hover around 50."""
    catalog = load_catalog()
    model = Model(catalog, 7, ScenarioBook(catalog))
    stream = catalog.get("customer.tutor.search")
    assert stream is not None
    night, noon = WEDNESDAY + 3 * 3600, WEDNESDAY + 12 * 3600
    assert model.rate(stream, noon) > 4 * model.rate(stream, night)
    zs = [(model.factor(stream, WEDNESDAY + k * 300) - 1) / stream.variance for k in range(288)]
    assert sum(abs(z) < 1 for z in zs) / len(zs) > 0.8


def test_a_scenario_ramps_in_holds_and_settles_back() -> None:
    """A run multiplies its streams, ramps in, holds, then settles back to the baseline."""
    catalog = load_catalog()
    book = ScenarioBook(catalog, time_scale=0.01)
    run = book.activate("exam-season-surge", 1000.0)
    search = catalog.get("customer.tutor.search")
    other = catalog.get("api.request.log")
    assert search is not None and other is not None
    assert multiplier(book.runs, search.index, 999.0) == 1.0
    assert 1.0 < multiplier(book.runs, search.index, 1000.0 + run.ramp_s / 2) < 2.5
    assert multiplier(book.runs, search.index, run.end_s - 0.001) == pytest.approx(2.5)
    assert multiplier(book.runs, other.index, run.end_s - 0.001) == 1.0
    assert 1.0 < multiplier(book.runs, search.index, run.end_s + run.settle_s / 2) < 2.5
    assert multiplier(book.runs, search.index, run.settled_s + 0.001) == 1.0
