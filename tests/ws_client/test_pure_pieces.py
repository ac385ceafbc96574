"""The pure pieces: backoff schedule, retry policy, silence watch, rate-limited log."""

from __future__ import annotations

import logging

import pytest

from app.config import Settings
from app.ws_client import BackoffPolicy, SilenceWatch, Verdict, should_retry
from app.ws_client.ratelog import RateLimitedLog

from .helpers import FakeClock


def test_base_schedule_doubles_and_caps() -> None:
    """The base delays are 1, 2, 4, 8, 16, then 30 forever."""
    policy = BackoffPolicy()
    assert [policy.base(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert policy.base(10_000) == 30


@pytest.mark.parametrize(("r", "factor"), [(0.0, 0.8), (0.5, 1.0), (0.999999, 1.2)])
def test_jitter_spreads_proportionally(r: float, factor: float) -> None:
    """Jitter multiplies the base by a factor in [0.8, 1.2], capped at the maximum."""
    policy = BackoffPolicy(rng=lambda: r)
    assert policy.delay(3) == pytest.approx(4 * factor, rel=1e-5)
    assert policy.delay(9) == pytest.approx(min(30 * factor, 30), rel=1e-5)


def test_no_jitter_and_settings() -> None:
    """jitter=0 gives the exact schedule; from_settings reads the configured knobs."""
    assert BackoffPolicy(jitter=0.0, rng=lambda: 0.0).delay(2) == 2
    settings = Settings(backoff_initial=0.5, backoff_max=4, backoff_jitter=0.1)
    policy = BackoffPolicy.from_settings(settings, rng=lambda: 0.5)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 4, 4]
    with pytest.raises(ValueError, match="from 1"):
        policy.base(0)


def test_should_retry_counts_attempts() -> None:
    """0 means forever; otherwise attempts 1..max are allowed."""
    assert all(should_retry(n, 0) for n in (1, 10, 10**9))
    assert [should_retry(n, 3) for n in (1, 2, 3, 4)] == [True, True, True, False]


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
