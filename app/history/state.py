"""The history loader's observable state: plain objects a page binds to or polls.

``StreamLoad`` objects are created once per stream and then mutated in place, so a
binding made to one stays valid. ``LoaderState.version`` grows with every change, and
:meth:`LoaderState.on_change` listeners hear of each one (no UI import here).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from app.protocol import StreamBaseline

log = logging.getLogger(__name__)

LoadStatus = Literal["idle", "loading", "loaded", "error"]


@dataclass(slots=True)
class StreamLoad:
    """One stream's history load as the page shows it.

    ``error`` is the last failure's reason; it stays set while a retry is ``loading`` (so
    the page can say what it is retrying) and is cleared by a success.
    """

    stream: str
    status: LoadStatus = "idle"
    error: str | None = None
    loaded_at: datetime | None = None
    points: int = 0
    """Samples the last successful load returned for this stream."""
    attempts: int = 0
    """Attempts made by the current or last load."""
    next_retry_at: datetime | None = None
    """When the next attempt starts, while waiting between attempts."""
    error_detail: str = ""
    """The technical text behind ``error`` (shown one click away)."""


@dataclass(slots=True)
class LoaderState:
    """Everything the loader tells the page: per stream loads, gap counts, baselines.

    The external events of the history answers go to the external events store
    (:class:`app.stores.external.ExternalEventStore`), their one owner."""

    streams: dict[str, StreamLoad] = field(default_factory=dict)
    version: int = 0
    gaps_filled: int = 0
    gaps_unfillable: int = 0
    baselines: dict[str, StreamBaseline] = field(default_factory=dict)
    rejected_by_kind: dict[str, int] = field(default_factory=dict)
    """History points refused, by kind (``bad_timestamp``, ``bad_stream_name``,
    ``unrequested_stream``...): counted, never stored."""
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def stream(self, name: str) -> StreamLoad:
        """The state of ``name``, created ``idle`` on first use."""
        load = self.streams.get(name)
        if load is None:
            load = self.streams[name] = StreamLoad(name)
        return load

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after every change; returns the unsubscribe function."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def changed(self) -> None:
        """Bump the version and tell the listeners (the loader calls this)."""
        self.version += 1
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("history state listener %r failed", listener)
