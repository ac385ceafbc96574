"""The pure pieces of the client: silence watch, rate-limited log."""

from __future__ import annotations

import logging

import pytest

from app.ratelog import RateLimitedLog
from app.ws_client import SilenceWatch, Verdict
from tests.support.manager import FakeClock


def test_silence_watch_probes_at_half_then_declares_dead() -> None:
    """Quiet for half the limit: one probe; for the whole limit: dead; activity resets it."""
    watch = SilenceWatch(10.0)
    assert watch.check(100.0, 100.0) == (Verdict.WAIT, 5.0)
    assert watch.check(106.0, 100.0) == (Verdict.PROBE, 4.0)
    assert watch.check(107.0, 100.0) == (Verdict.WAIT, 3.0)  # probed once already
    assert watch.check(110.0, 100.0) == (Verdict.DEAD, 0.0)
    assert watch.check(110.0, 109.0) == (Verdict.WAIT, 4.0)
    assert watch.check(115.0, 109.0)[0] is Verdict.PROBE  # new silence, new probe


def test_silence_watch_without_probe_only_waits_for_the_limit() -> None:
    """With probing off, the only verdicts are wait (until the limit) and dead."""
    watch = SilenceWatch(10.0, probe=False)
    assert watch.check(106.0, 100.0) == (Verdict.WAIT, 4.0)
    assert watch.check(110.5, 100.0)[0] is Verdict.DEAD


def test_rate_limited_log_says_each_kind_once_per_period(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Repeats within a minute are held back and reported with the next message."""
    clock = FakeClock(0.0)
    ratelog = RateLimitedLog(logging.getLogger("test.ratelog"), 60.0, clock)
    with caplog.at_level(logging.WARNING, "test.ratelog"):
        assert ratelog.log("invalid_json", "bad 1")
        assert not ratelog.log("invalid_json", "bad 2")
        assert not ratelog.log("invalid_json", "bad 3")
        assert ratelog.log("binary", "bin 1")
        clock.now = 61.0
        assert ratelog.log("invalid_json", "bad 4")
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "bad 1",
        "bin 1",
        "bad 4 (and 2 more of kind 'invalid_json' not logged)",
    ]
