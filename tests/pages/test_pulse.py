"""The pulse wakes every waiting tab when a version moves, and only then (or at the timeout)."""

from __future__ import annotations

import asyncio
import time

from app.pages.pulse import Pulse


async def test_waiters_wake_together_when_a_version_moves_and_not_before() -> None:
    version = [0]
    pulse = Pulse(lambda: version[0], interval=0.005)
    await pulse.start()
    try:
        woke: list[float] = []

        async def tab() -> None:
            await pulse.wait(5.0)
            woke.append(time.monotonic())

        tabs = [asyncio.create_task(tab()) for _ in range(20)]
        await asyncio.sleep(0.05)
        assert not woke, "nothing changed: every tab still waits"
        changed_at = time.monotonic()
        version[0] += 1
        async with asyncio.timeout(2):
            await asyncio.gather(*tabs)
        assert len(woke) == 20 and max(woke) - changed_at < 1.0
    finally:
        await pulse.stop()


async def test_a_wait_ends_at_its_limit_without_a_change() -> None:
    pulse = Pulse(lambda: 0, interval=0.005)
    await pulse.start()
    try:
        started = time.monotonic()
        await pulse.wait(0.05)
        assert 0.04 <= time.monotonic() - started < 1.0
        await pulse.wait(-1.0)  # already due: returns at once
    finally:
        await pulse.stop()
    await pulse.stop()  # twice is fine
