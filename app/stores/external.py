"""The external events store: the one owner of campaigns, outages and scenario events.

Writers are the history loader (``source="history"``), the state poller (``"state"``) and
scenario control (``"scenario"``); each hands over raw items of the contract's
``ExternalEvent`` (or parsed models), checked one by one by
:func:`app.protocol.external.read_external`. Events are merged by ``id``: an id seen
again replaces what is stored (the newest word wins) and adds its source; nothing is
ever stored twice. They are kept in time order and bounded like the stream store: by a
retention window and a cap (the oldest go first). Refused items and notes are counted by
kind and logged once a minute per kind.

Readers (pages, the status API) ask what changed since the version they hold
(:meth:`ExternalEventStore.changes_since`). Not thread-safe: call it from the event loop.
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal

from app.protocol.external import ExternalItem, read_external
from app.ratelog import RateLimitedLog
from app.stores.points import DAY_MS

log = logging.getLogger(__name__)

EventSource = Literal["history", "state", "scenario"]
SOURCES: Final[tuple[EventSource, ...]] = ("history", "state", "scenario")
FUTURE_TOLERANCE_MS: Final = DAY_MS
"""Events dated further ahead than this are refused (``future_timestamp``): one such event
would head a newest-first list for ever."""


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One event as stored: the checked item, every source that named it, and the store
    version of its last change."""

    item: ExternalItem
    sources: tuple[EventSource, ...]
    version: int

    @property
    def id(self) -> str:
        return self.item.id


@dataclass(frozen=True, slots=True)
class EventsDelta:
    """What changed since a version: ``reset`` means "drop what you hold, here is all"."""

    version: int
    reset: bool
    events: list[StoredEvent]


class ExternalEventStore:
    """External events by id, in time order, bounded, versioned."""

    def __init__(
        self,
        *,
        retention_ms: int = 8 * DAY_MS,
        max_events: int = 2000,
        future_tolerance_ms: int = FUTURE_TOLERANCE_MS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if retention_ms <= 0 or max_events <= 0 or future_tolerance_ms < 0:
            raise ValueError("retention, cap and future tolerance must be positive")
        self._retention_ms = retention_ms
        self._cap = max_events
        self._future_ms = future_tolerance_ms
        self._clock = clock
        self._by_id: dict[str, StoredEvent] = {}
        self._order: list[tuple[int, str]] = []
        """``(ts_ms, id)`` of every stored event, ascending."""
        self._version = 0
        self._dropped_at = 0
        """The version of the last drop (retention, cap): older readers start over."""
        self.rejected_by_kind: dict[str, int] = {}
        """Items refused and skipped, by kind (``missing_id``, ``bad_timestamp``...)."""
        self.notes_by_kind: dict[str, int] = {}
        """Items kept with something set aside, by kind (``unknown_type``, ``link_refused``...)."""
        self.received: dict[EventSource, int] = dict.fromkeys(SOURCES, 0)
        """Items handed over per source, good or bad."""
        self._say = RateLimitedLog(log)

    # --- writes ----------------------------------------------------------------------------

    def add(self, items: Iterable[Any], source: str) -> int:
        """Merge ``items`` (raw JSON objects or parsed ``ExternalEvent``s) from ``source``
        (``history``, ``state`` or ``scenario``); returns how many were new."""
        origin = _source(source)
        now_ms = int(self._clock() * 1000)
        oldest, newest = now_ms - self._retention_ms, now_ms + self._future_ms
        added = changed = 0
        for raw in items:
            self.received[origin] += 1
            checked = read_external(raw)
            for note in checked.notes:
                self._count(self.notes_by_kind, note, origin, logging.INFO)
            item = checked.item
            if item is None:
                self._count(self.rejected_by_kind, checked.rejected or "bad_event", origin)
            elif item.ts_ms < oldest:
                self._count(self.rejected_by_kind, "too_old", origin)
            elif item.ts_ms > newest:
                self._count(self.rejected_by_kind, "future_timestamp", origin)
            else:
                outcome = self._merge(item, origin)
                added += outcome == "new"
                changed += outcome != "same"
        if changed:
            self._enforce_cap()
        return added

    def count_rejected(self, kind: str, count: int = 1, source: str = "state") -> None:
        """Count ``count`` items refused before they reached :meth:`add` (a list that is
        not a list, say)."""
        self.rejected_by_kind[kind] = self.rejected_by_kind.get(kind, 0) + count
        self._say.log(kind, f"external events from {_source(source)}: refused ({kind})")

    def prune(self) -> int:
        """Drop events past the retention window; returns how many."""
        cutoff = int(self._clock() * 1000) - self._retention_ms
        cut = bisect_left(self._order, (cutoff, ""))
        if cut:
            self._drop(cut)
        return cut

    def _merge(self, item: ExternalItem, origin: EventSource) -> Literal["new", "changed", "same"]:
        old = self._by_id.get(item.id)
        if old is None:
            self._version += 1
            self._by_id[item.id] = StoredEvent(item, (origin,), self._version)
            insort(self._order, (item.ts_ms, item.id))
            return "new"
        sources = old.sources if origin in old.sources else (*old.sources, origin)
        if old.item == item and sources == old.sources:
            return "same"
        self._version += 1
        self._by_id[item.id] = StoredEvent(item, sources, self._version)
        if old.item.ts_ms != item.ts_ms:
            self._order.remove((old.item.ts_ms, item.id))
            insort(self._order, (item.ts_ms, item.id))
        return "changed"

    def _enforce_cap(self) -> None:
        over = len(self._order) - self._cap
        if over > 0:
            self._drop(over)

    def _drop(self, count: int) -> None:
        for _, ident in self._order[:count]:
            del self._by_id[ident]
        del self._order[:count]
        self._version += 1
        self._dropped_at = self._version

    def _count(
        self, counts: dict[str, int], kind: str, origin: EventSource, level: int = logging.WARNING
    ) -> None:
        counts[kind] = counts.get(kind, 0) + 1
        self._say.log(kind, f"external event from {origin}: {kind.replace('_', ' ')}", level)

    # --- reads -----------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Grows with every change (an event new, changed or dropped)."""
        return self._version

    def __len__(self) -> int:
        return len(self._order)

    def get(self, ident: str) -> StoredEvent | None:
        return self._by_id.get(ident)

    def events(self) -> list[StoredEvent]:
        """Every stored event, oldest first."""
        return [self._by_id[ident] for _, ident in self._order]

    def changes_since(self, version: int) -> EventsDelta:
        """Events new or changed after ``version`` (all of them, ``reset``, if any were
        dropped since: a reader cannot tell which it holds)."""
        if version >= self._version:
            return EventsDelta(self._version, False, [])
        if version < self._dropped_at:
            return EventsDelta(self._version, True, self.events())
        fresh = [e for e in self.events() if e.version > version]
        return EventsDelta(self._version, False, fresh)

    def count_by_source(self) -> dict[EventSource, int]:
        """Stored events each source named (an event named by two counts for both)."""
        counts: dict[EventSource, int] = dict.fromkeys(SOURCES, 0)
        for stored in self._by_id.values():
            for origin in stored.sources:
                counts[origin] += 1
        return counts


def _source(source: str) -> EventSource:
    for known in SOURCES:
        if source == known:
            return known
    raise ValueError(f"unknown external event source {source!r}; one of {', '.join(SOURCES)}")
