"""The requested topic set: validation, the frames that express a change, and listeners.

The server REPLACES a connection's subscription on every ``subscribe``, so each change
that adds topics yields one frame with the full set. Listeners (the history loader) hear
about added topics so they can load their history.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from app.protocol import subscribe_frame, unsubscribe_frame
from app.protocol.topics import check_topic
from app.stores.connection import ConnectionStore

log = logging.getLogger(__name__)


class Subscriptions:
    """Requested topics, mirrored into the connection store; see the module docstring."""

    def __init__(self, topics: Iterable[str], store: ConnectionStore) -> None:
        self._store = store
        self._topics = _checked(topics)
        store.request_topics(self._topics)

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    def current_frame(self, last_timestamp: datetime | None = None) -> str:
        """The ``subscribe`` frame for the whole set (sent after every connect)."""
        return subscribe_frame(self._topics, last_timestamp)

    def add(self, topics: Iterable[str], last_timestamp: datetime | None = None) -> str:
        """Add topics; returns the full-set ``subscribe`` frame to send."""
        added = [t for t in _checked(topics) if t not in self._topics]
        self._set(self._topics + added)
        return self.current_frame(last_timestamp)

    def remove(self, topics: Iterable[str]) -> str | None:
        """Remove topics; returns the ``unsubscribe`` frame, or None if none was requested."""
        gone = [t for t in dict.fromkeys(topics) if t in self._topics]
        if not gone:
            return None
        self._set([t for t in self._topics if t not in gone])
        self._store.unconfirm_topics(gone)
        return unsubscribe_frame(gone)

    def replace(self, topics: Sequence[str]) -> str | None:
        """Make ``topics`` the whole set; returns the frame to send (None if nothing to say)."""
        new = _checked(topics)
        if not new:
            return self.remove(self._topics)
        self._set(new)
        return self.current_frame()

    def _set(self, topics: list[str]) -> None:
        self._topics = topics
        self._store.request_topics(topics)


def _checked(topics: Iterable[str]) -> list[str]:
    """Validated and deduplicated, in the given order; raises ValueError on bad syntax."""
    return list(dict.fromkeys(check_topic(t) for t in topics))
