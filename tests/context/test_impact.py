"""Observed change around an external event against what it was expected to do."""

from __future__ import annotations

import pytest

from app.context.impact import Observed, expected_words, observe, observed_words
from app.protocol import HistorySample
from app.protocol.external import Impact
from app.stores.streams import StreamStore

NOW_MS = 1_795_000_000_000 // 300_000 * 300_000
MIN = 60_000
STREAM = "customer.tutor.search"


def store_with(levels: dict[int, float]) -> StreamStore:
    """A store holding one history point per ``{ts_ms: normalized}``."""
    store = StreamStore(clock=lambda: NOW_MS / 1000)
    samples = [HistorySample(ts, v, None, None) for ts, v in sorted(levels.items())]
    store.add_history({STREAM: samples})
    return store


def test_levels_before_and_during_an_event() -> None:
    """The hour before against the event's duration; points outside both are ignored."""
    start = NOW_MS - 120 * MIN
    levels = {start - 90 * MIN: 10.0, start - 50 * MIN: 48.0, start - 10 * MIN: 52.0}
    levels |= {start + 5 * MIN: 60.0, start + 25 * MIN: 70.0, start + 45 * MIN: 99.0}
    observed = observe(store_with(levels), STREAM, start, start + 30 * MIN, NOW_MS)
    assert observed == Observed(STREAM, 50.0, 65.0)
    assert observed.change == 15.0
    words = observed_words(observed, "increase")
    assert words == "+15.0 (50.0 \u2192 65.0, 1.0 \u03c3): as expected"


def test_an_event_without_duration_is_read_for_the_hour_after_never_past_now() -> None:
    """No duration: the hour after (cut at now); a future event has nothing yet."""
    start = NOW_MS - 30 * MIN
    levels = {start - 30 * MIN: 50.0, start + 10 * MIN: 40.0, start + 29 * MIN: 44.0}
    observed = observe(store_with(levels), STREAM, start, None, NOW_MS)
    assert observed == Observed(STREAM, 50.0, 42.0)
    assert observed_words(observed, "increase") == (
        "-8.0 (50.0 \u2192 42.0, 0.5 \u03c3): down, although an increase was expected"
    )
    future = observe(store_with(levels), STREAM, NOW_MS + MIN, None, NOW_MS)
    assert observed_words(future, "increase") == "no data during the event yet"


@pytest.mark.parametrize(
    ("before", "during", "direction", "verdict"),
    [
        (50.0, 51.0, "increase", "no clear change, although an increase was expected"),
        (50.0, 40.0, "decrease", "as expected"),
        (50.0, 60.0, "mixed", "up"),
        (50.0, 60.0, "<i>up</i>", "up"),
    ],
)
def test_verdicts(before: float, during: float, direction: str, verdict: str) -> None:
    """Within 2 points is no clear change; a verdict only for increase and decrease."""
    assert observed_words(Observed(STREAM, before, during), direction).endswith(": " + verdict)


def test_words_for_missing_data_and_expected_impact() -> None:
    """No data before says so; the expected impact reads as given, with an arrow."""
    assert observed_words(Observed(STREAM, None, 55.0), "increase") == (
        "during 55.0; no data in the hour before to compare"
    )
    assert expected_words(Impact(direction="increase", magnitude="high")) == "\u2191 increase, high"
    assert expected_words(Impact(direction="<i>up</i>")) == "<i>up</i>, magnitude not given"
    assert expected_words(None) == "no expected impact given"
