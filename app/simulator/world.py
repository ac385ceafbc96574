"""What moves a stream away from its seasonal expectation: smooth noise, world events, anomalies.

Everything here is expressed in z units (multiples of the stream's ``variance``) per
5-minute cell and is a pure function of (seed, stream, day), cached per day:

- noise: two octaves of smoothly interpolated knots (hourly and quarter-hourly);
- world events: a few per day (a campaign, an outage, an exam deadline...), each pushing a
  handful of related streams up or down for 30 minutes to 2 hours; they are the
  ``ExternalEvent``s that history returns;
- spontaneous anomalies: about one every two days per stream, unexplained spikes or dips of
  5 to 30 minutes.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from functools import lru_cache

from app.simulator.catalog import BUCKET_S, SECONDS_PER_DAY, Catalog
from app.simulator.rng import draw, gauss, key, mix, poisson, unit

CELLS_PER_DAY = SECONDS_PER_DAY // BUCKET_S
MIN_FACTOR = 0.02
_NOISE_HOURLY = 0.55
_NOISE_QUARTER = 0.25
_WORLD_EVENTS_PER_DAY = 1.2
_ANOMALIES_PER_DAY = 0.5
_T_HOURLY, _T_QUARTER, _T_WORLD, _T_ANOMALY = 1, 2, 3, 4
_GOLDEN = 0x9E3779B97F4A7C15


def _knot_weights() -> tuple[tuple[int, float, int, float], ...]:
    """Per cell: (hour knot, its weight, quarter knot, its weight) at the cell's midpoint."""
    weights = []
    for cell in range(CELLS_PER_DAY):
        mid = (cell + 0.5) * BUCKET_S
        h, fh = divmod(mid / 3600.0, 1.0)
        q, fq = divmod(mid / 900.0, 1.0)
        weights.append((int(h), fh, int(q), fq))
    return tuple(weights)


_KNOTS = _knot_weights()


@dataclass(frozen=True, slots=True)
class Template:
    """A kind of world event and the streams it pushes (+1 up, -1 down)."""

    kind: str
    title: str
    description: str
    icon: str
    impacts: tuple[tuple[str, int], ...]


TEMPLATES: tuple[Template, ...] = (
    Template(
        "marketing",
        "Email campaign sent",
        "A newsletter with a discount code went out.",
        "campaign",
        (
            ("customer.signup.started", 1),
            ("customer.page.view", 1),
            ("marketing.ad.click", 1),
            ("customer.signup.completed", 1),
        ),
    ),
    Template(
        "product",
        "Instant booking released",
        "A release made booking a tutor faster.",
        "rocket_launch",
        (
            ("session.booking.requested", 1),
            ("customer.tutor.search", 1),
            ("session.booking.confirmed", 1),
        ),
    ),
    Template(
        "infrastructure",
        "API latency incident",
        "Database failover slowed the API.",
        "cloud_off",
        (
            ("system.error.log", 1),
            ("database.query.performance", 1),
            ("customer.login.failure", 1),
            ("api.request.log", -1),
        ),
    ),
    Template(
        "academic",
        "Exam registration deadline",
        "Students rush before a deadline.",
        "school",
        (
            ("customer.tutor.search", 1),
            ("session.booking.requested", 1),
            ("tutor.profile.viewed_by_student", 1),
        ),
    ),
    Template(
        "competitive",
        "Competitor price cut",
        "A competitor halved its prices for a day.",
        "trending_down",
        (
            ("customer.signup.started", -1),
            ("marketing.ad.conversion", -1),
            ("seo.organic.traffic", -1),
        ),
    ),
    Template(
        "operational",
        "Support staffing shortfall",
        "Fewer agents than planned on shift.",
        "support_agent",
        (
            ("support.ticket.created", 1),
            ("support.live_chat.started", 1),
            ("support.ticket.resolved", -1),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class WorldEvent:
    """One occurrence of a template: when, how strong, which streams (index, signed z)."""

    id: str
    template: Template
    start_s: int
    end_s: int
    strength: float
    impacts: tuple[tuple[int, float], ...]

    @property
    def magnitude(self) -> str:
        return "low" if self.strength < 2.8 else "medium" if self.strength < 3.5 else "high"

    @property
    def severity(self) -> str:
        return "info" if self.strength < 2.8 else "warning" if self.strength < 3.5 else "critical"


class World:
    """Per-cell factors of every stream for one seed; days are computed once and cached."""

    def __init__(self, catalog: Catalog, seed: int) -> None:
        self.catalog = catalog
        self.seed = seed
        self.day_events = lru_cache(maxsize=64)(self._day_events)
        self.cell_factors = lru_cache(maxsize=4096)(self._cell_factors)

    def events_between(self, start_s: float, end_s: float) -> list[WorldEvent]:
        """World events overlapping [start_s, end_s), oldest first."""
        first = int(start_s // SECONDS_PER_DAY) - 1
        last = int(end_s // SECONDS_PER_DAY)
        found: list[WorldEvent] = []
        for day in range(first, last + 1):
            found.extend(e for e in self.day_events(day) if e.end_s > start_s and e.start_s < end_s)
        return found

    def factor_at(self, stream_index: int, epoch_s: float) -> float:
        """The stream's multiplier (noise, world events, anomalies) in the cell of ``epoch_s``."""
        day, rest = divmod(int(epoch_s // BUCKET_S), CELLS_PER_DAY)
        return self.cell_factors(stream_index, day)[rest]

    def _day_events(self, day: int) -> tuple[WorldEvent, ...]:
        root = key(self.seed, _T_WORLD, day)
        count = poisson(_WORLD_EVENTS_PER_DAY, unit(mix(root)))
        events: list[WorldEvent] = []
        for i in range(count):
            h = key(self.seed, _T_WORLD, day, i + 1)
            template = TEMPLATES[int(draw(h, 0) * len(TEMPLATES))]
            start = day * SECONDS_PER_DAY + int(draw(h, 1) * CELLS_PER_DAY) * BUCKET_S
            end = start + (6 + int(draw(h, 2) * 19)) * BUCKET_S
            strength = 2.2 + 2.0 * draw(h, 3)
            impacts = []
            for j, (name, sign) in enumerate(template.impacts):
                stream = self.catalog.get(name)
                if stream is not None:
                    impacts.append((stream.index, sign * strength * (0.8 + 0.4 * draw(h, 4 + j))))
            events.append(
                WorldEvent(f"world-{day}-{i}", template, start, end, strength, tuple(impacts))
            )
        events.sort(key=lambda e: e.start_s)
        return tuple(events)

    def _cell_factors(self, stream_index: int, day: int) -> array[float]:
        variance = self.catalog.streams[stream_index].variance
        z = self._noise(stream_index, day)
        day_start = day * SECONDS_PER_DAY
        for other in (day - 1, day):
            for event in self.day_events(other):
                for index, bump in event.impacts:
                    if index == stream_index:
                        _add(z, event.start_s - day_start, event.end_s - day_start, bump)
            for start, end, bump in self._anomalies(stream_index, other):
                _add(z, start - day_start, end - day_start, bump)
        return array("d", (max(MIN_FACTOR, 1.0 + variance * v) for v in z))

    def _noise(self, stream_index: int, day: int) -> list[float]:
        hourly_key = key(self.seed, _T_HOURLY, stream_index)
        quarter_key = key(self.seed, _T_QUARTER, stream_index)
        hourly = [
            _NOISE_HOURLY * gauss(unit(mix(hourly_key + k * _GOLDEN)))
            for k in range(day * 24, day * 24 + 25)
        ]
        quarter = [
            _NOISE_QUARTER * gauss(unit(mix(quarter_key + k * _GOLDEN)))
            for k in range(day * 96, day * 96 + 97)
        ]
        return [
            hourly[h]
            + (hourly[h + 1] - hourly[h]) * fh
            + quarter[q]
            + (quarter[q + 1] - quarter[q]) * fq
            for h, fh, q, fq in _KNOTS
        ]

    def _anomalies(self, stream_index: int, day: int) -> list[tuple[int, int, float]]:
        root = key(self.seed, _T_ANOMALY, stream_index, day)
        found = []
        for i in range(poisson(_ANOMALIES_PER_DAY, unit(mix(root)))):
            h = key(self.seed, _T_ANOMALY, stream_index, day, i + 1)
            start = day * SECONDS_PER_DAY + int(draw(h, 0) * CELLS_PER_DAY) * BUCKET_S
            end = start + (1 + int(draw(h, 1) * 6)) * BUCKET_S
            sign = -1.0 if draw(h, 2) < 0.3 else 1.0
            found.append((start, end, sign * (2.2 + 2.3 * draw(h, 3))))
        return found


def _add(z: list[float], start_s: int, end_s: int, bump: float) -> None:
    first = max(0, start_s // BUCKET_S)
    last = min(CELLS_PER_DAY, -(-end_s // BUCKET_S))
    for cell in range(first, last):
        z[cell] += bump
