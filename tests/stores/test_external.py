"""ExternalEventStore: merged by id, never twice, in time order, bounded, bad items counted."""

from __future__ import annotations

from typing import Any

import pytest

from app.protocol import ExternalEvent, iso_utc
from app.stores.external import ExternalEventStore

from .factory import NOW_MS, clock_at

MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR


def ev(ident: str, ts_ms: int, **extra: Any) -> dict[str, Any]:
    """A contract ExternalEvent at ``ts_ms``."""
    return {
        "id": ident,
        "timestamp": iso_utc(ts_ms),
        "type": "product",
        "title": f"event {ident}",
        "severity": "info",
        **extra,
    }


def make_store(**kwargs: int) -> ExternalEventStore:
    """A store whose clock stands still at NOW_MS."""
    return ExternalEventStore(clock=lambda: clock_at(NOW_MS), **kwargs)


def ids(store: ExternalEventStore) -> list[str]:
    return [e.id for e in store.events()]


def test_merged_by_id_never_twice_and_in_time_order() -> None:
    """Three sources naming overlapping events store each once, oldest first."""
    store = make_store()
    assert store.add([ev("b", NOW_MS - 2 * HOUR), ev("a", NOW_MS - 5 * HOUR)], "history") == 2
    assert store.add([ev("b", NOW_MS - 2 * HOUR), ev("c", NOW_MS - MIN)], "state") == 1
    assert store.add([ExternalEvent.model_validate(ev("c", NOW_MS - MIN))], "scenario") == 0
    assert ids(store) == ["a", "b", "c"]
    by_id = {e.id: e.sources for e in store.events()}
    assert by_id == {"a": ("history",), "b": ("history", "state"), "c": ("state", "scenario")}
    assert store.count_by_source() == {"history": 2, "state": 2, "scenario": 1}
    assert store.received == {"history": 2, "state": 2, "scenario": 1}


def test_an_id_seen_again_takes_the_newest_word() -> None:
    """A changed event replaces the stored one (moved in time if its time moved)."""
    store = make_store()
    store.add([ev("a", NOW_MS - 3 * HOUR), ev("b", NOW_MS - 2 * HOUR)], "history")
    version = store.version
    store.add([ev("a", NOW_MS - HOUR, title="renamed")], "state")
    assert ids(store) == ["b", "a"]
    stored = store.get("a")
    assert stored is not None and stored.item.title == "renamed"
    delta = store.changes_since(version)
    assert not delta.reset and [e.id for e in delta.events] == ["a"]
    again = store.version
    store.add([ev("a", NOW_MS - HOUR, title="renamed")], "state")
    assert store.version == again, "the same word twice changes nothing"
    assert store.changes_since(again).events == []


def test_bad_items_are_counted_by_kind_and_skipped() -> None:
    """Bad items cost only themselves; notes count what was kept with something set aside."""
    store = make_store()
    items = [
        ev("ok-1", NOW_MS - HOUR),
        {"timestamp": iso_utc(NOW_MS), "title": "no id"},
        ev("bad-time", 0) | {"timestamp": "last tuesday"},
        ev("epoch", 0) | {"timestamp": NOW_MS},
        "<b>not an object</b>",
        ev("too-old", NOW_MS - 30 * DAY),
        ev("far-future", NOW_MS + 400 * DAY),
        ev("odd", NOW_MS - MIN, type="weather", externalLink="javascript:alert(1)"),
        ev("ok-2", NOW_MS - 2 * MIN, title="x" * 10_000),
    ]
    assert store.add(items, "history") == 3
    assert ids(store) == ["ok-1", "ok-2", "odd"]
    assert store.rejected_by_kind == {
        "missing_id": 1,
        "bad_timestamp": 2,
        "not_an_object": 1,
        "too_old": 1,
        "future_timestamp": 1,
    }
    assert store.notes_by_kind == {"unknown_type": 1, "link_refused": 1, "text_capped": 1}
    odd = store.get("odd")
    assert odd is not None and odd.item.kind == "other" and odd.item.type == "weather"
    store.count_rejected("bad_active_events")
    assert store.rejected_by_kind["bad_active_events"] == 1


def test_retention_and_cap_drop_the_oldest_and_reset_readers() -> None:
    """Past the cap the oldest go; a reader from before a drop gets everything again."""
    now = [NOW_MS]
    store = ExternalEventStore(clock=lambda: clock_at(now[0]), max_events=3, retention_ms=DAY)
    store.add([ev(str(i), NOW_MS - (10 - i) * HOUR) for i in range(5)], "history")
    assert ids(store) == ["2", "3", "4"]
    delta = store.changes_since(0)
    assert delta.reset and [e.id for e in delta.events] == ["2", "3", "4"]
    seen = store.version
    now[0] = NOW_MS + 18 * HOUR  # "2" (at -8 h) and "3" (at -7 h) are now over a day old
    assert store.prune() == 2
    assert ids(store) == ["4"]
    assert store.changes_since(seen).reset
    assert not store.changes_since(store.version).reset


def test_unknown_source_is_a_caller_bug() -> None:
    """Sources are history, state and scenario; anything else fails at once."""
    with pytest.raises(ValueError, match="unknown external event source"):
        make_store().add([], "websocket")
