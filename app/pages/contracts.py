"""What the pages need from the rest of the dashboard, as structural types.

The pages only read the stores and call a few commands; they never own state of the
upstream link. ``app.services.Services`` satisfies :class:`DashboardServices`.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Sequence
from typing import Protocol

from app.config import Settings
from app.context.poller import PollerStatus
from app.context.scenario_control import ScenarioControl
from app.facts import StreamFacts
from app.stores.connection import ConnectionStore
from app.stores.external import ExternalEventStore
from app.stores.health import HealthBoard
from app.stores.streams import StreamStore

StreamsView = StreamStore
"""The stream store as the pages read it (series, deltas, stats)."""


class Manager(Protocol):
    """The connection manager's commands the header and the selector use."""

    def reconnect_now(self) -> object: ...
    def set_topics(self, topics: Sequence[str]) -> object: ...


class HistoryState(Protocol):
    """One stream's history load: ``idle``, ``loading``, ``loaded`` or ``error``."""

    @property
    def status(self) -> str: ...
    @property
    def error(self) -> str | None: ...


class Loader(Protocol):
    """The history loader's commands and per-stream state."""

    def load(self, stream: str) -> object: ...
    def retry(self, stream: str) -> object: ...
    def retry_gaps(self) -> int: ...
    def state(self, stream: str) -> HistoryState: ...
    @property
    def version(self) -> int:
        """Grows with every change of any load state (a cheap "anything new?")."""
        ...


class StateReader(Protocol):
    """What the timeline reads of the state poller: how the state endpoint is doing."""

    @property
    def status(self) -> PollerStatus: ...


class DashboardServices(Protocol):
    """Everything :func:`app.pages.register_pages` reads."""

    @property
    def settings(self) -> Settings: ...
    @property
    def streams(self) -> StreamStore: ...
    @property
    def connection(self) -> ConnectionStore: ...
    @property
    def manager(self) -> Manager: ...
    @property
    def history(self) -> Loader: ...
    @property
    def facts(self) -> StreamFacts: ...
    @property
    def health(self) -> HealthBoard: ...
    @property
    def external(self) -> ExternalEventStore: ...
    @property
    def state_poller(self) -> StateReader: ...
    @property
    def scenarios(self) -> ScenarioControl:
        """Scenario commands and, in ``scenarios.store``, what the simulator runs."""
        ...

    @property
    def first_view(self) -> asyncio.Event:
        """Set when the first tab tells it drew its chart's first points."""
        ...


async def run_command(result: object) -> None:
    """Await a command's result when it is awaitable; sync and async commands both work."""
    if inspect.isawaitable(result):
        await result
