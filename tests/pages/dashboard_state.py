"""Test-controlled services for the dashboard's User tests.

The User fixture re-runs the main file for every test, so what a test changes lives here:
real stores (plain objects), a recording manager, a scripted history loader, and the real
scenario control talking to a scripted simulator in-process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from app.config import Settings
from app.context.poller import PollerStatus
from app.context.scenario_client import ScenarioClient
from app.context.scenario_control import ScenarioControl
from app.facts import StreamFacts
from app.protocol import HistorySample, StreamEvent, flag_for, iso_utc
from app.protocol.models import STREAM_EVENT
from app.security.actions import ActionPolicy
from app.stores.connection import ConnectionState, ConnectionStore, ReasonCode
from app.stores.external import ExternalEventStore
from app.stores.health import HealthBoard
from app.stores.scenario import ScenarioStore
from app.stores.streams import StreamStore
from tests.support import scripted_scenarios

STREAM = "customer.tutor.search"
OTHER = "tutor.payout.initiated"


@dataclass
class RecordingManager:
    """Records the commands the page sends; ``set_topics`` updates the store like the real one."""

    connection: ConnectionStore
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def reconnect_now(self) -> None:
        self.calls.append(("reconnect_now", ()))

    async def set_topics(self, topics: Sequence[str]) -> None:
        self.calls.append(("set_topics", tuple(topics)))
        self.connection.request_topics(topics)


@dataclass
class LoadState:
    """One stream's scripted history state."""

    status: str = "idle"
    error: str | None = None
    error_detail: str = ""


@dataclass
class ScriptedLoader:
    """A history loader whose states the test sets; records ``load`` and ``retry``."""

    states: dict[str, LoadState] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    on_load: str = "loading"
    store: StreamStore | None = None
    """The stream store whose gaps ``retry_gaps`` reopens."""
    version: int = 0
    """Never moves: the page's once-a-second refresh shows what tests set directly."""
    """The status a ``load`` or ``retry`` call moves the stream to."""

    def state(self, stream: str) -> LoadState:
        return self.states.setdefault(stream, LoadState())

    def load(self, stream: str) -> None:
        self.calls.append(("load", stream))
        self.states[stream] = LoadState(self.on_load)

    def retry(self, stream: str) -> None:
        self.calls.append(("retry", stream))
        self.states[stream] = LoadState(self.on_load)

    def retry_gaps(self) -> int:
        """What ``HistoryLoader.retry_gaps`` does: unfillable gaps go back to open."""
        self.calls.append(("retry_gaps", ""))
        assert self.store is not None
        again = [g for g in self.store.gaps() if g.state == "unfillable"]
        for gap in again:
            self.store.set_gap_state(gap.id, "open")
        return len(again)


@dataclass
class FakePoller:
    """The state poller as the timeline reads it: a status the test sets."""

    status: PollerStatus = field(default_factory=PollerStatus)


@dataclass
class FakeServices:
    """The shape of ``app.services.Services`` that the pages read."""

    settings: Settings
    streams: StreamStore
    connection: ConnectionStore
    manager: RecordingManager
    history: ScriptedLoader
    facts: StreamFacts
    health: HealthBoard
    scenarios: ScenarioControl
    script: scripted_scenarios.Script
    """What the scripted simulator behind ``scenarios`` answers."""
    external: ExternalEventStore = field(default_factory=ExternalEventStore)
    state_poller: FakePoller = field(default_factory=FakePoller)
    first_view: asyncio.Event = field(default_factory=asyncio.Event)


current: FakeServices | None = None
"""The services the next page build uses (set by the ``services`` fixture)."""


def make_services(topics: Sequence[str] = ("*",), read_only: bool = False) -> FakeServices:
    """Fresh stores and fakes following ``topics``: disconnected, nothing loaded."""
    settings = Settings(show=False, push_interval=0.05, topics=list(topics), read_only=read_only)
    connection = ConnectionStore("ws://test/ws", settings.topics)
    streams = StreamStore()
    facts = StreamFacts.packaged()
    script = scripted_scenarios.Script()
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=scripted_scenarios.create_app(script))
    )
    scenarios = ScenarioControl(
        ScenarioClient(http, "http://scripted"), ScenarioStore(), ActionPolicy(read_only)
    )
    return FakeServices(
        settings=settings,
        streams=streams,
        connection=connection,
        manager=RecordingManager(connection),
        history=ScriptedLoader(store=streams),
        facts=facts,
        health=HealthBoard(streams, connection, facts, lambda: settings.topics),
        scenarios=scenarios,
        script=script,
    )


def seed_history(store: StreamStore, stream: str, hours: int = 24, step_s: int = 300) -> int:
    """Add ``hours`` of 5-minute history ending now; returns the newest timestamp (ms)."""
    end = int(time.time()) // step_s * step_s
    samples = []
    for i in range(hours * 3600 // step_s):
        ts = end - i * step_s
        value = 50.0 + 30.0 * ((i % 24) - 12) / 12
        samples.append(HistorySample(ts * 1000, value, value * 10, flag_for(value)))
    samples.reverse()
    store.add_history({stream: samples})
    return end * 1000


def live_event(stream: str, ts_ms: int, value: float) -> StreamEvent:
    """One live event as the connection manager would hand it to the store."""
    return STREAM_EVENT.validate_python(
        {
            "stream": stream,
            "timestamp": iso_utc(ts_ms),
            "normalizedValue": value,
            "anomalyFlag": flag_for(value),
            "data": {"n": ts_ms},
        }
    )


def set_state(conn: ConnectionStore, state: ConnectionState, reason: str) -> None:
    """Move the connection store as the manager's one setter would."""
    conn.transition(state, ReasonCode.CONNECTING, reason, time.time())


async def wait_for(condition: Callable[[], bool], what: str, limit: float = 5.0) -> None:
    """Poll ``condition()`` 0.05 s apart; fail after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
