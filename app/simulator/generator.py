"""Live events: a pure function of (seed, rate, stream, slot, scenario runs).

Each stream's time line is cut into fixed slots (100 ms to 5 minutes, chosen from the
stream's peak rate so that a slot holds about 50 events at most). A slot's event count is
Poisson(lambda * rate * slot length) and its instants are uniform in the slot, all drawn
from hashes of the slot's coordinates, so any slot can be regenerated on its own: after a
restart, with the same seed, the same events come back with the same ``id`` and ``seq``.

``id``  = ``"<stream>:<epoch ms>:<k>"``, k = rank among that stream's events in that ms.
``seq`` = ``epoch_ms * 1_000_000 + stream_index * 10_000 + k``: it orders events by time,
then stream, then k; it never goes backwards across restarts because it comes from time.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from app.simulator.catalog import BUCKET_S, Stream
from app.simulator.model import Model, flag_of, normalize, z_score
from app.simulator.rng import key, mix, poisson, unit
from app.simulator.scenarios import Run

SLOT_LADDER_MS = (100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 300_000)
TARGET_PER_SLOT = 50.0
SEQ_PER_MS = 1_000_000
SEQ_PER_STREAM = 10_000
_T_SLOT = 9
_GOLDEN = 0x9E3779B97F4A7C15
_PEAK = 1.5 * 1.35 * 2.0
"""Peak of time-of-day x day-of-week, with room for noise, used only to size slots."""

_FIELDS = {
    "customer": ("userId", "u"),
    "tutor": ("tutorId", "t"),
    "session": ("sessionId", "s"),
    "support": ("caseId", "c"),
    "marketing": ("campaignId", "m"),
    "seo": ("pageId", "p"),
    "api": ("requestId", "r"),
    "system": ("hostId", "h"),
    "database": ("queryId", "q"),
    "platform": ("nodeId", "n"),
    "payment_gateway": ("transactionId", "x"),
}


@dataclass(frozen=True, slots=True)
class Event:
    """One generated event, serialized once: ``json`` is shared by every connection."""

    ts_ms: int
    seq: int
    stream: int
    flagged: bool
    json: str


@dataclass(frozen=True, slots=True)
class Slot:
    """The events of one stream's slot, with their instants for bisecting."""

    index: int
    runs: tuple[Run, ...]
    events: tuple[Event, ...]
    times: tuple[int, ...]

    def between(self, start_ms: int, end_ms: int) -> tuple[Event, ...]:
        """The events with start_ms <= ts < end_ms."""
        lo = bisect_left(self.times, start_ms)
        hi = bisect_left(self.times, end_ms, lo)
        return self.events[lo:hi]


@lru_cache(maxsize=4096)
def _iso_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def iso_ms(ts_ms: int) -> str:
    """ISO 8601 UTC with milliseconds and ``Z``."""
    second, ms = divmod(ts_ms, 1000)
    return f"{_iso_second(second)}.{ms:03d}Z"


class Generator:
    """Slots of every stream at one simulator rate."""

    def __init__(self, model: Model, rate: float) -> None:
        self.model = model
        self.rate = rate
        self.streams = model.catalog.streams
        self.slot_ms = tuple(self._slot_length(s) for s in self.streams)

    def _slot_length(self, stream: Stream) -> int:
        peak = stream.base_rate * _PEAK * self.rate
        fitting = [ms for ms in SLOT_LADDER_MS if peak * ms / 1000 <= TARGET_PER_SLOT]
        return fitting[-1] if fitting else SLOT_LADDER_MS[0]

    def _plan(self, stream: Stream, index: int, runs: tuple[Run, ...]) -> tuple[int, float, int]:
        """(key, factor, count) of a slot."""
        length = self.slot_ms[stream.index]
        start_s = index * length / 1000
        factor = self.model.factor(stream, start_s + length / 2000, runs)
        mean = self.model.expected(stream, start_s) * factor * self.rate * length / 1000
        h = key(self.model.seed, _T_SLOT, stream.index, length, index)
        return h, factor, poisson(mean, unit(h))

    def count(self, stream: Stream, index: int, runs: tuple[Run, ...] = ()) -> int:
        """How many events slot ``index`` of ``stream`` holds (no events are built)."""
        return self._plan(stream, index, runs)[2]

    def slot(self, stream: Stream, index: int, runs: tuple[Run, ...]) -> Slot:
        """Every event of one slot, oldest first."""
        length = self.slot_ms[stream.index]
        h, factor, n = self._plan(stream, index, runs)
        if n == 0:
            return Slot(index, runs, (), ())
        start_ms = index * length
        draws = sorted(
            (int(unit(d) * length), d) for d in (mix(h + (i + 1) * _GOLDEN) for i in range(n))
        )
        z = z_score(factor, stream.variance)
        flag = flag_of(z)
        value = round(self.model.expected(stream, start_ms / 1000) * factor * BUCKET_S, 3)
        field, prefix = _FIELDS.get(stream.domain, ("ref", "e"))
        head = f'{{"stream":"{stream.name}","timestamp":"'
        mid = f'","data":{{"value":{value},"{field}":"{prefix}'
        tail = (
            f'"}},"normalizedValue":{round(normalize(z), 2)},"anomalyFlag":"{flag}",'
            f'"id":"{stream.name}:'
        )
        base_seq = stream.index * SEQ_PER_STREAM
        flagged = flag != "normal"
        events: list[Event] = []
        last_ts = -1
        k = 0
        for offset, d in draws:
            ts = start_ms + offset
            k = k + 1 if ts == last_ts else 0
            if k >= SEQ_PER_STREAM:
                continue
            last_ts = ts
            seq = ts * SEQ_PER_MS + base_seq + k
            text = f'{head}{iso_ms(ts)}{mid}{(d >> 3) % 1_000_000:06d}{tail}{ts}:{k}","seq":{seq}}}'
            events.append(Event(ts, seq, stream.index, flagged, text))
        return Slot(index, runs, tuple(events), tuple(e.ts_ms for e in events))
