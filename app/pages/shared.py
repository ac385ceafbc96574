"""What every tab at the same point is sent, computed once per store version.

Tabs showing the same stream are mostly at the same store version when they push: each
would read the same new points from the store, build the same rows and encode the same
JSON. The first tab to ask does it; the others of that version reuse the text. Entries live
for one store version only (the cache empties when the version moves), so it holds at most
one entry per (stream, version the tab was at) and never serves stale rows. Whole series
(a new tab, or a stream reset by a roll-up for every tab at once) are shared the same way,
as the task encoding them, so concurrent tabs wait for one encoding.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from app.pages.contracts import StreamsView


@dataclass(frozen=True, slots=True)
class Append:
    """One append as sent: the store version it brings a tab to and the call's arguments
    after the chart id (``None``: nothing to send)."""

    version: int
    args: str | None
    last_ms: int | None
    rows: int
    trimmed: int


class SharedEncodings:
    """Per store (by identity) and store version: appends and whole-series encodings."""

    def __init__(self) -> None:
        self._owner: StreamsView | None = None
        self._version = -1
        self._items: dict[Hashable, Any] = {}

    def get(self, store: StreamsView, key: Hashable) -> Any:
        if store is not self._owner or store.version != self._version:
            return None
        return self._items.get(key)

    def put(self, store: StreamsView, key: Hashable, value: Any) -> None:
        if store is not self._owner or store.version != self._version:
            self._owner, self._version, self._items = store, store.version, {}
        self._items[key] = value

    async def series(self, store: StreamsView, key: Hashable, make: Any) -> Any:
        """The encoding of a whole series: the one under way for ``key`` at this store
        version, else ``make()`` started now. Shielded: a tab closed while it waits must
        not cancel the encoding other tabs wait for."""
        task: asyncio.Future[Any] | None = self.get(store, key)
        if task is None:
            task = asyncio.ensure_future(make())
            self.put(store, key, task)
        return await asyncio.shield(task)


SHARED = SharedEncodings()
"""One per process: the stores are the process's."""
