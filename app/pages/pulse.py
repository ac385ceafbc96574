"""One wake-up for every tab when something it shows may have changed.

Each tab's dashboard used to poll the stores 50 times a second to push a change within
20 ms; with a hundred tabs that polling alone was about 40 % of the process's work. Now one
app-level task reads the stores' version counters every 10 ms (a handful of integers) and,
when one moved, wakes every tab at once; a tab with nothing new sleeps until then, or
until its texts are due (once a second).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Hashable

from app.lifecycle import cancel_and_wait
from app.pages.contracts import DashboardServices

INTERVAL_S = 0.01
"""How often the versions are read: the most a change waits before tabs hear of it."""


class Pulse:
    """Wakes waiting tabs when ``versions()`` changes. Start and stop it with the app."""

    def __init__(self, versions: Callable[[], Hashable], interval: float = INTERVAL_S) -> None:
        self._versions = versions
        self._interval = interval
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="tab-pulse")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def wait(self, at_most: float) -> None:
        """Return at the next change, or after ``at_most`` seconds."""
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, at_most)):
                await changed.wait()

    async def _watch(self) -> None:
        last = self._versions()
        while True:
            await asyncio.sleep(self._interval)
            now = self._versions()
            if now != last:
                last = now
                changed, self._changed = self._changed, asyncio.Event()
                changed.set()


def store_versions(services: DashboardServices) -> Callable[[], Hashable]:
    """The version counters of everything a tab shows."""

    def versions() -> Hashable:
        return (
            services.streams.version,
            services.streams.ledger.version,
            services.health.version,
            services.external.version,
            services.scenarios.store.version,
            services.history.version,
        )

    return versions
