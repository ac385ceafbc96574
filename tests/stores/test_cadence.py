"""The learned cadence: rate scale from live events, seasonality, pauses, the stale rule."""

from __future__ import annotations

import pytest

from app.stores.cadence import (
    MIN_EVENTS,
    STALE_CEILING_S,
    STALE_FACTOR,
    STALE_FLOOR_S,
    Cadence,
    stale_after,
)


def feed(cadence: Cadence, every_s: float, count: int, start: float = 0.0) -> float:
    """``count`` single events ``every_s`` apart; returns the time of the last one."""
    t = start
    for _ in range(count):
        cadence.observe(1, t)
        t += every_s
    return t - every_s


def test_unknown_stream_learns_its_interval_and_needs_some_events_first() -> None:
    """A stream the catalog does not know: no verdict before 5 events, then its own pace."""
    cadence = Cadence(model=None)
    last = feed(cadence, 2.0, MIN_EVENTS - 1)
    assert cadence.interval_s(last) is None
    last = feed(cadence, 2.0, 200, start=last + 2.0)
    assert cadence.interval_s(last) == pytest.approx(2.0, rel=0.01)


def test_unknown_stream_starts_from_its_history_spacing_then_learns_live() -> None:
    """History spacing gives a verdict before any live event; live events then take over."""
    cadence = Cadence(model=None)
    cadence.learn_history(300.0)
    assert cadence.interval_s(0.0) == pytest.approx(300.0)
    last = feed(cadence, 2.0, 300)
    assert cadence.interval_s(last) == pytest.approx(2.0, rel=0.05)
    cadence.learn_history(600.0)  # too late: live evidence exists
    assert cadence.interval_s(last) == pytest.approx(2.0, rel=0.05)
    catalog = Cadence(model=lambda _t: 1.0)
    catalog.learn_history(600.0)  # the catalog's own rate stands
    assert catalog.interval_s(0.0) == pytest.approx(1.0)


def test_catalog_stream_starts_from_the_catalog_and_learns_a_faster_rate() -> None:
    """At --sim-rate 100 the learned interval becomes 100x shorter than the catalog's."""
    cadence = Cadence(model=lambda t: 0.1)  # the catalog: one event every 10 s
    assert cadence.interval_s(0.0) == pytest.approx(10.0)
    last = feed(cadence, 0.1, 2_000)  # really one every 0.1 s
    assert cadence.interval_s(last) == pytest.approx(0.1, rel=0.05)


def test_seasonality_is_the_catalogs_and_the_scale_is_learned() -> None:
    """A stream at 3x the catalog by day is expected at 3x the catalog by night too."""

    def model(t: float) -> float:  # 1 event/s by "day" (t < 1000), 0.2/s by "night"
        return 1.0 if t < 1_000 else 0.2

    cadence = Cadence(model=model)
    last = feed(cadence, 1 / 3, 2_400)  # 800 s of day at 3 events/s
    assert cadence.interval_s(last) == pytest.approx(1 / 3, rel=0.05)
    assert cadence.interval_s(5_000.0) == pytest.approx(1 / 0.6, rel=0.05)


def test_a_silence_in_progress_teaches_nothing() -> None:
    """Until the next event arrives the expected interval stays what it was."""
    cadence = Cadence(model=None)
    last = feed(cadence, 1.0, 100)
    before = cadence.interval_s(last)
    assert cadence.interval_s(last + 10_000) == before


def test_time_while_the_link_is_down_does_not_count() -> None:
    """After pause(), the first event starts a new interval instead of ending a long one."""
    cadence = Cadence(model=None)
    last = feed(cadence, 1.0, 100)
    cadence.pause()
    feed(cadence, 1.0, 5, start=last + 3_600)
    assert cadence.interval_s(last + 3_605) == pytest.approx(1.0, rel=0.05)


def test_a_changed_rate_is_learned_within_a_few_hundred_events() -> None:
    """Ten times slower: after 200 events at the new pace the old one is forgotten."""
    cadence = Cadence(model=None)
    last = feed(cadence, 1.0, 3_600)
    last = feed(cadence, 10.0, 200, start=last + 10.0)
    assert cadence.interval_s(last) == pytest.approx(10.0, rel=0.1)


@pytest.mark.parametrize(
    ("interval", "expected"),
    [(0.01, STALE_FLOOR_S), (10.0, 10 * STALE_FACTOR), (1e9, STALE_CEILING_S)],
)
def test_stale_rule_has_a_floor_and_a_ceiling(interval: float, expected: float) -> None:
    """10 intervals of silence, at least 30 s, at most a day."""
    assert stale_after(interval) == expected
