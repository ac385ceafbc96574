"""Encodings shared by the tabs at one store version: reused, dropped when the version
moves, and never cancelled by one tab leaving."""

from __future__ import annotations

import asyncio

from app.pages.shared import SharedEncodings
from app.stores.streams import StreamStore

from ..stores.factory import NOW_MS, clock_at, event


def store_with_a_point() -> StreamStore:
    store = StreamStore(clock=lambda: clock_at(NOW_MS))
    store.add_events([event(NOW_MS - 1000, id="a")])
    return store


def test_an_entry_lives_for_one_store_version_and_one_store() -> None:
    shared, store, other = SharedEncodings(), store_with_a_point(), store_with_a_point()
    shared.put(store, "k", 1)
    assert shared.get(store, "k") == 1
    assert shared.get(other, "k") is None, "another store never sees it"
    store.add_events([event(NOW_MS - 500, id="b")])
    assert shared.get(store, "k") is None, "the version moved"


async def test_tabs_wait_for_one_encoding_and_one_leaving_does_not_cancel_it() -> None:
    shared, store = SharedEncodings(), store_with_a_point()
    started = 0
    release = asyncio.Event()

    async def encode() -> str:
        nonlocal started
        started += 1
        await release.wait()
        return "rows"

    tabs = [asyncio.create_task(shared.series(store, "k", encode)) for _ in range(3)]
    await asyncio.sleep(0.01)
    tabs[0].cancel()  # the first tab closes while the encoding runs
    await asyncio.sleep(0.01)
    release.set()
    async with asyncio.timeout(2):
        assert await tabs[1] == await tabs[2] == "rows"
    assert started == 1 and tabs[0].cancelled()
