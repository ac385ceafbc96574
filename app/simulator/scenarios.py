"""Scenarios: named rate multipliers on named streams for a duration, then a settle back.

A run ramps its multipliers in over ``ramp_s``, holds them until it ends (its duration, or
an early ``stop``), then settles linearly back to 1 over ``settle_s``. The book keeps past
runs too, so history computed later shows what live clients saw. The run log is an
immutable tuple replaced on each change: readers (the history thread) take a snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.simulator.catalog import Catalog
from app.simulator.text import excerpt


class ScenarioError(Exception):
    """A scenario request the book refuses; ``code`` and ``status`` go into the REST error."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Scenario:
    """A scenario definition; ``multipliers`` maps stream names to rate factors."""

    id: str
    name: str
    description: str
    kind: str
    icon: str
    duration_s: float
    multipliers: tuple[tuple[str, float], ...]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "normal-operations",
        "Normal operations",
        "Baseline traffic, no modifiers.",
        "operational",
        "check_circle",
        600.0,
        (),
    ),
    Scenario(
        "exam-season-surge",
        "Exam season surge",
        "Students search and book far more than usual before exams.",
        "academic",
        "school",
        1800.0,
        (
            ("customer.tutor.search", 2.5),
            ("session.booking.requested", 2.0),
            ("session.booking.confirmed", 1.8),
            ("customer.page.view", 1.6),
            ("tutor.profile.viewed_by_student", 2.0),
            ("support.live_chat.started", 1.5),
        ),
    ),
    Scenario(
        "payment-outage",
        "Payment outage",
        "The payment gateway fails most transactions; support and errors climb.",
        "infrastructure",
        "credit_card_off",
        900.0,
        (
            ("customer.subscription.payment_failure", 8.0),
            ("customer.subscription.payment_success", 0.3),
            ("payment_gateway.transaction.status", 0.4),
            ("system.error.log", 5.0),
            ("support.ticket.created", 2.0),
        ),
    ),
    Scenario(
        "supply-crisis",
        "Tutor supply crisis",
        "Too few tutors: bookings are declined or expire, searches repeat.",
        "operational",
        "person_off",
        1800.0,
        (
            ("tutor.availability.set", 0.4),
            ("session.booking.declined_by_tutor", 3.0),
            ("session.booking.expired", 3.0),
            ("session.cancellation.by_tutor", 4.0),
            ("customer.tutor.search", 1.4),
        ),
    ),
    Scenario(
        "quality-crisis",
        "Session quality crisis",
        "No-shows and refunds rise, ratings fall.",
        "operational",
        "sentiment_dissatisfied",
        1800.0,
        (
            ("session.no_show.tutor", 4.0),
            ("session.rating.submitted_by_student", 0.6),
            ("support.refund.requested", 5.0),
            ("support.ticket.created", 2.0),
        ),
    ),
    Scenario(
        "support-overload",
        "Support overload",
        "Calls, chats and tickets triple.",
        "operational",
        "support_agent",
        1200.0,
        (
            ("support.call.inbound", 3.0),
            ("support.ticket.created", 3.0),
            ("support.live_chat.started", 3.0),
            ("support.live_chat.message", 2.5),
            ("support.ticket.resolved", 0.6),
        ),
    ),
    Scenario(
        "churn-pattern",
        "Churn pattern",
        "Engagement drops and plans change.",
        "competitive",
        "trending_down",
        3600.0,
        (
            ("customer.subscription.plan_changed", 3.0),
            ("customer.login.success", 0.7),
            ("session.booking.requested", 0.7),
            ("customer.subscription.payment_failure", 2.0),
        ),
    ),
    Scenario(
        "competitor-disruption",
        "Competitor disruption",
        "A competitor's launch pulls new customers away.",
        "competitive",
        "storefront",
        3600.0,
        (
            ("customer.signup.started", 0.5),
            ("customer.signup.completed", 0.5),
            ("marketing.ad.conversion", 0.6),
            ("seo.organic.traffic", 0.6),
            ("customer.tutor.search", 0.8),
        ),
    ),
    Scenario(
        "recruiting-crisis",
        "Recruiting crisis",
        "Tutor applications dry up.",
        "operational",
        "group_remove",
        3600.0,
        (
            ("tutor.application.received", 0.3),
            ("tutor.onboarding.approved", 0.4),
            ("tutor.onboarding.rejected", 2.0),
            ("tutor.onboarding.step_completed", 0.5),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Run:
    """One activation: stream index -> multiplier, and its start, end and settle times."""

    scenario: Scenario
    number: int
    start_s: float
    end_s: float
    ramp_s: float
    settle_s: float
    factors: tuple[tuple[int, float], ...]

    @property
    def settled_s(self) -> float:
        return self.end_s + self.settle_s

    def level(self, t: float) -> float:
        """0 before the run, ramping to 1, held, then settling back to 0."""
        if t <= self.start_s or t >= self.settled_s:
            return 0.0
        ramp = min(1.0, (t - self.start_s) / self.ramp_s) if self.ramp_s > 0 else 1.0
        if t < self.end_s:
            return ramp
        at_end = min(1.0, (self.end_s - self.start_s) / self.ramp_s) if self.ramp_s > 0 else 1.0
        return at_end * (1.0 - (t - self.end_s) / self.settle_s) if self.settle_s > 0 else 0.0


class ScenarioBook:
    """Active and past scenario runs; the one owner of scenario state."""

    def __init__(self, catalog: Catalog, time_scale: float = 1.0) -> None:
        self.catalog = catalog
        self.time_scale = time_scale
        self.by_id = {s.id: s for s in SCENARIOS}
        self.runs: tuple[Run, ...] = ()
        self.last_modified: float | None = None
        self._count = 0

    def active(self, now: float) -> Run | None:
        """The run that has not reached its end yet (settling runs do not count)."""
        return next((r for r in self.runs if r.start_s <= now < r.end_s), None)

    def activate(self, scenario_id: str, now: float) -> Run:
        """Start a scenario now; raises ScenarioError (404 unknown, 409 one already active)."""
        scenario = self.by_id.get(scenario_id)
        if scenario is None:
            raise ScenarioError("SCENARIO_NOT_FOUND", 404, f"no scenario {excerpt(scenario_id)}")
        current = self.active(now)
        if current is not None:
            raise ScenarioError(
                "SCENARIO_ALREADY_ACTIVE",
                409,
                f"scenario {current.scenario.id!r} is active; stop it first",
            )
        scale = self.time_scale
        factors = tuple(
            (stream.index, m)
            for name, m in scenario.multipliers
            if (stream := self.catalog.get(name)) is not None
        )
        self._count += 1
        run = Run(
            scenario,
            self._count,
            now,
            now + scenario.duration_s * scale,
            min(60.0, scenario.duration_s / 10) * scale,
            300.0 * scale,
            factors,
        )
        self.runs = (*self._recent(now), run)
        self.last_modified = now
        return run

    def stop(self, now: float) -> Run | None:
        """End the active run now; it then settles back. None when nothing is active."""
        current = self.active(now)
        if current is None:
            return None
        stopped = replace(current, end_s=now)
        self.runs = tuple(stopped if r is current else r for r in self.runs)
        self.last_modified = now
        return stopped

    def reset(self, now: float) -> None:
        """Forget every run: live and history return to the baseline model."""
        self.runs = ()
        self.last_modified = now

    def _recent(self, now: float) -> tuple[Run, ...]:
        horizon = now - 32 * 86_400
        return tuple(r for r in self.runs if r.settled_s > horizon)


def multiplier(runs: tuple[Run, ...], stream_index: int, t: float) -> float:
    """The product of every run's factor on one stream at ``t`` (1.0 when none applies)."""
    factor = 1.0
    for run in runs:
        for index, m in run.factors:
            if index == stream_index:
                level = run.level(t)
                if level:
                    factor *= 1.0 + (m - 1.0) * level
    return factor
