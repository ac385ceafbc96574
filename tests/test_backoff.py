"""The one retry policy: schedule, jitter, cap, attempt limit."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.backoff import BackoffPolicy, should_retry
from app.config import Settings


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


@given(
    initial=st.floats(0.01, 50),
    maximum=st.floats(0.01, 100),
    jitter=st.floats(0, 1),
    r=st.floats(0, 0.999999),
)
def test_the_cap_is_never_exceeded(initial: float, maximum: float, jitter: float, r: float) -> None:
    """Whatever the settings and the random draw, no delay is above the maximum."""
    policy = BackoffPolicy(initial=initial, maximum=maximum, jitter=jitter, rng=lambda: r)
    assert all(0 <= d <= maximum for d in itertools.islice(policy.delays(), 40))


def test_delays_follow_the_schedule() -> None:
    """``delays()`` yields the delays before attempts 2, 3, ... (1, 2, 4, ... capped)."""
    policy = BackoffPolicy(jitter=0.0)
    assert list(itertools.islice(policy.delays(), 7)) == [1, 2, 4, 8, 16, 30, 30]
