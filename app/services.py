"""The process's long-lived objects, created once and shared by every browser tab.

``Services`` owns the stores, the ONE upstream connection manager, the history loader, the
state poller, scenario control and, in embedded mode, the simulator. ``start()`` and
``stop()`` are the only lifecycle calls: every task they start is cancelled and awaited by
``stop()``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from app import upstream
from app.backoff import BackoffPolicy
from app.collector import settle_after_seed
from app.config import Settings
from app.context.poller import StatePoller
from app.context.scenario_client import ScenarioClient
from app.context.scenario_control import ScenarioControl
from app.facts import StreamFacts
from app.history import HistoryClient, HistoryLoader
from app.lifecycle import cancel_and_wait
from app.protocol import topics
from app.security.actions import ActionPolicy
from app.simulator import Simulator, SimulatorConfig
from app.stores.connection import ConnectionStore
from app.stores.external import ExternalEventStore
from app.stores.health import HealthBoard
from app.stores.rollup import RollupPolicy
from app.stores.scenario import ScenarioStore
from app.stores.streams import StreamStore
from app.ws_client import ConnectionManager

log = logging.getLogger(__name__)

DAY_MS = 86_400_000


@dataclass
class Services:
    """Everything the pages and the API read, and the one lifecycle of the process."""

    settings: Settings
    streams: StreamStore
    connection: ConnectionStore
    manager: ConnectionManager
    history: HistoryLoader
    health: HealthBoard
    http: httpx.AsyncClient
    external: ExternalEventStore
    state_poller: StatePoller
    scenarios: ScenarioControl
    simulator: Simulator | None = None
    facts: StreamFacts = field(default_factory=StreamFacts.packaged)
    wait_until_serving: Callable[[], Awaitable[None]] | None = None
    before_rest_of_seed: Callable[[], Awaitable[None]] | None = None
    """What the seed's last step (every other stream's whole window) waits for; the app
    makes it :attr:`first_view`, for at most a few seconds."""
    first_view: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once a tab has drawn its chart's first points (the tab tells; see the pages)."""
    prune_interval_s: float = 60.0
    rollup_interval_s: float = 5.0
    health_interval_s: float = 0.5
    scenario_clock_s: float = 1.0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _started: bool = False

    @classmethod
    def create(cls, settings: Settings, http: httpx.AsyncClient | None = None) -> Services:
        """Build the object graph from the settings; nothing runs until :meth:`start`.

        ``http`` replaces the REST client built from the settings (tests hand one a
        ``MockTransport``); the services own it either way and close it on stop."""
        facts = StreamFacts.packaged()
        retention_ms = int(settings.retention_days * DAY_MS)
        streams = StreamStore(
            retention_ms=retention_ms,
            max_points_per_stream=settings.max_points_per_stream,
            rollup=RollupPolicy(
                int(settings.raw_window_minutes * 60_000), settings.rollup_bucket_seconds * 1000
            ),
        )
        external = ExternalEventStore(retention_ms=retention_ms)
        connection = ConnectionStore(
            settings.ws_url, settings.topics, settings.max_reconnect_attempts
        )
        health = HealthBoard(streams, connection, facts, lambda: settings.topics)
        tls = upstream.tls_context(settings)
        retry = BackoffPolicy.from_settings(settings)
        manager = ConnectionManager(
            settings,
            streams,
            connection,
            backoff=retry,
            known_streams=lambda: [*health.followed(), *streams.stream_names()],
            connector=upstream.ws_connector(settings, tls),
        )
        http = http or upstream.http_client(settings, tls)
        client = HistoryClient(
            http,
            settings.http_base,
            timeout=settings.history_timeout,
            max_bytes=int(settings.history_max_mb * 1024 * 1024),
        )
        seeded = topics.expand(settings.topics, facts.names)
        history = HistoryLoader(
            client,
            streams,
            seeded,
            history_days=settings.history_days,
            backoff=retry,
            preview=True,
            external=external,
        )
        state_poller, scenarios = _context(settings, http, external, retry)
        simulator = (
            Simulator(SimulatorConfig.from_settings(settings)) if settings.embedded else None
        )
        return cls(
            settings=settings,
            streams=streams,
            connection=connection,
            manager=manager,
            history=history,
            health=health,
            http=http,
            external=external,
            state_poller=state_poller,
            scenarios=scenarios,
            simulator=simulator,
            facts=facts,
        )

    async def start(self) -> None:
        """Start the simulator (embedded), then the connection and history in the background.

        The connection and the first history load wait until the server accepts requests,
        because in embedded mode they talk to this very process.
        """
        if self._started:
            raise RuntimeError("Services.start() called twice")
        self._started = True
        if self.simulator is not None:
            await self.simulator.start()
        self._tasks = [
            asyncio.create_task(self._start_clients(), name="services-start"),
            asyncio.create_task(self._prune_forever(), name="store-pruner"),
            asyncio.create_task(self._tick_health(), name="health-board"),
            asyncio.create_task(self._scenario_clock(), name="scenario-clock"),
        ]

    async def _start_clients(self) -> None:
        if self.wait_until_serving is not None:
            await self.wait_until_serving()
        self.history.start(
            first=[self.facts.default_stream(self.settings.topics)],
            before_rest=self.before_rest_of_seed,
        )
        await self.state_poller.start()
        self.scenarios.request_refresh(with_list=True)
        await self.manager.start()
        if self.history.streams:
            await self.history.wait_seeded()  # True or False: either way the seed is over
        settle_after_seed()

    async def _prune_forever(self) -> None:
        """Rolls up what aged past the raw window, a step at a time so the loop stays free;
        and trims past retention (writes trim only the streams they touch: this trims the
        ones that went quiet)."""
        loop = asyncio.get_running_loop()
        next_prune = loop.time() + self.prune_interval_s
        while True:
            await asyncio.sleep(self.rollup_interval_s)
            await self._roll_up()
            if loop.time() < next_prune:
                continue
            next_prune = loop.time() + self.prune_interval_s
            dropped = self.streams.prune()
            if dropped:
                log.debug("retention dropped %d points", dropped)
            if self.external.prune():
                log.debug("retention dropped external events")

    async def _roll_up(self) -> None:
        """Every roll-up step due, yielding to the loop between steps. A failing step is
        logged and the pruner goes on (retention must not stop with it)."""
        for _ in range(10_000):  # bounded: a step always makes progress
            try:
                if not self.streams.roll_up():
                    return
            except Exception:
                log.exception("roll-up failed; trying again at the next round")
                return
            await asyncio.sleep(0)

    async def _tick_health(self) -> None:
        """One computation of every stream's health for all tabs and the status API."""
        while True:
            try:
                self.health.tick()
            except Exception:  # a bug must not stop the grid for good; it is logged
                log.exception("health board tick failed")
            await asyncio.sleep(self.health_interval_s)

    async def _scenario_clock(self) -> None:
        """Scenarios end and settle on time between two answers of the simulator."""
        while True:
            await asyncio.sleep(self.scenario_clock_s)
            self.scenarios.store.advance()

    async def stop(self) -> None:
        """Stop everything :meth:`start` started, newest first, awaiting each task."""
        for task in reversed(self._tasks):
            await cancel_and_wait(task)
        self._tasks = []
        await self.history.stop()
        await self.state_poller.stop()
        await self.scenarios.close()
        await self.manager.stop()
        await self.http.aclose()
        if self.simulator is not None:
            await self.simulator.stop()
        self._started = False


def _context(
    settings: Settings,
    http: httpx.AsyncClient,
    external: ExternalEventStore,
    retry: BackoffPolicy,
) -> tuple[StatePoller, ScenarioControl]:
    """The state poller and scenario control, wired: a start's announced events go to the
    external events store, and every state the poller reads to the scenario store too."""
    poller = StatePoller(
        http, settings.http_base, external, interval=settings.state_interval, backoff=retry
    )

    def add_scenario_events(events: list[Any]) -> None:
        external.add(events, "scenario")

    scenarios = ScenarioControl(
        ScenarioClient(http, settings.http_base),
        ScenarioStore(),
        ActionPolicy(read_only=settings.read_only),
        on_events=add_scenario_events,
    )

    def apply_state(state: Mapping[str, Any]) -> None:
        scenarios.store.apply_state(state)

    poller.on_state(apply_state)
    return poller, scenarios
