"""Fixtures for the connection manager tests: a scripted server and a recording sink."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.manager import RecordingSink
from tests.support.scripted_server import ScriptedServer


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    """A started scripted server on an ephemeral port, stopped after the test."""
    srv = ScriptedServer()
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
def sink() -> RecordingSink:
    """The real stream store, wrapped to record writes and signal changes."""
    return RecordingSink()
