"""Two small task helpers: race an awaitable against a wake-up, and reap tasks cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


async def until_set(event: asyncio.Event, awaitable: Awaitable[T]) -> T | None:
    """Await ``awaitable`` unless ``event`` gets set first; then cancel it and return None.

    Exceptions of ``awaitable`` propagate. Both helper tasks are awaited before returning.
    """
    main: asyncio.Future[T] = asyncio.ensure_future(awaitable)
    if event.is_set():
        await reap(main)
        return None
    waker = asyncio.create_task(event.wait())
    try:
        racers: list[asyncio.Future[Any]] = [main, waker]
        await asyncio.wait(racers, return_when=asyncio.FIRST_COMPLETED)
        if main.done():
            return main.result()
        return None
    finally:
        await reap(main, waker)


async def reap(*tasks: asyncio.Future[Any]) -> None:
    """Cancel ``tasks`` and wait until they are done, without raising their outcome."""
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # mark retrieved: the caller already handled the outcome
