"""The scenario commands the pages call: start, stop, reset, and keeping the store current.

``ScenarioControl`` is the one writer of :class:`app.stores.scenario.ScenarioStore`. Each
command checks :class:`app.security.actions.ActionPolicy` first (``--read-only``, a live
session), runs one request at a time, records a failure in words in the store, and then
reads the simulation's state once, so every tab sees what the simulator really did.

Wiring (``app/services.py``):

* ``on_events``: called with a start answer's ``events[]``; the services hand them to the
  external events store (``source="scenario"``).
* Between actions the state poller (:class:`app.context.poller.StatePoller`) keeps the
  store current: every state it reads goes to ``store.apply_state``.
  :meth:`ScenarioControl.refresh_state` still reads ``GET /state`` once after each action
  and at start, so a tab sees what its action did without waiting for the next poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers

from app.context.scenario_client import ScenarioClient, ScenarioError
from app.lifecycle import cancel_and_wait
from app.protocol.scenarios import Action
from app.security.actions import ActionPolicy
from app.stores.scenario import ScenarioStore

log = logging.getLogger(__name__)

EventsSink = Callable[[list[Any]], None]
"""Takes the external events a scenario start announced."""


def ignore_events(events: list[Any]) -> None:
    """The default :data:`EventsSink`: nobody takes them yet."""
    del events


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one command did, in words for the operator who asked (``ok``: it worked)."""

    ok: bool
    text: str


class ScenarioControl:
    """Scenario commands over a :class:`ScenarioClient`, written into a :class:`ScenarioStore`."""

    def __init__(
        self,
        client: ScenarioClient,
        store: ScenarioStore,
        policy: ActionPolicy | None = None,
        on_events: EventsSink = ignore_events,
    ) -> None:
        self.client = client
        self.store = store
        self.policy = policy if policy is not None else ActionPolicy()
        self.on_events = on_events
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None

    @property
    def read_only(self) -> bool:
        return self.policy.read_only

    # --- commands -------------------------------------------------------------------------

    async def start(self, scenario_id: str, credentials: Headers | None = None) -> Outcome:
        """Start ``scenario_id``; its announced events go to ``on_events``."""
        name = self.store.name_of(scenario_id)

        async def call() -> str:
            body = await self.client.start(scenario_id)
            events = self.store.apply_started(body, scenario_id)
            self._hand_over(events)
            run = self.store.active
            return f"{run.name if run else name} started"

        return await self._command("start", f"starting {name}", call, credentials)

    async def stop(self, credentials: Headers | None = None) -> Outcome:
        """Stop the active scenario; it settles back to its baseline."""

        async def call() -> str:
            body = await self.client.stop()
            if not self.store.apply_stopped(body):
                return "No scenario was running"
            return "Scenario stopped: settling back to baseline"

        return await self._command("stop", "stopping the scenario", call, credentials)

    async def reset(self, credentials: Headers | None = None) -> Outcome:
        """Reset the simulation to its baseline (every scenario forgotten)."""

        async def call() -> str:
            await self.client.reset()
            self.store.apply_reset()
            return "Simulation reset to baseline"

        return await self._command("reset", "resetting the simulation", call, credentials)

    async def _command(
        self,
        action: Action,
        what: str,
        call: Callable[[], Coroutine[Any, Any, str]],
        credentials: Headers | None,
    ) -> Outcome:
        refusal = self.policy.refusal(credentials)
        if refusal is not None:
            return Outcome(False, refusal.message)
        if self._lock.locked():
            return Outcome(False, f"Please wait: {self.store.pending or 'another action'}")
        async with self._lock:
            self.store.begin(what)
            try:
                text = await call()
            except ScenarioError as exc:
                self.store.fail(action, exc.text, exc.detail)
                log.info("scenario control: %s (%s)", exc.text, exc.detail)
                return Outcome(False, exc.text)
            finally:
                self.store.finish()
            await self.refresh_state()
            return Outcome(True, text)

    def _hand_over(self, events: list[Any]) -> None:
        try:
            self.on_events(events)
        except Exception:  # the start worked; a broken consumer must not undo that
            log.exception("on_events failed for %d scenario events", len(events))

    def clear_error(self) -> None:
        """Dismiss the last failed action's message (for every tab)."""
        self.store.clear_error()

    # --- keeping the store current ----------------------------------------------------------

    async def load_scenarios(self) -> None:
        """Fetch the list of scenarios into the store (a failure is kept in words)."""
        try:
            body = await self.client.scenarios()
        except ScenarioError as exc:
            self.store.fail("list", exc.text, exc.detail)
            return
        if not self.store.apply_list(body):
            self.store.fail("list", "The simulator's list of scenarios is not usable", "")

    async def refresh_state(self) -> None:
        """Read ``GET /state`` once and apply it (to be replaced by the poller's callback)."""
        try:
            body = await self.client.state()
        except ScenarioError as exc:
            self.store.fail("state", exc.text, exc.detail)
            return
        self.store.apply_state(body)

    def request_refresh(self, with_list: bool = False) -> None:
        """Refresh in the background (the list too when asked, or while it is missing);
        at most one refresh runs at a time and a request meanwhile is covered by it."""
        if self._refresh is not None and not self._refresh.done():
            return
        need_list = with_list or not self.store.scenarios_loaded
        self._refresh = asyncio.create_task(self._refresh_now(need_list), name="scenario-refresh")

    async def _refresh_now(self, with_list: bool) -> None:
        if with_list:
            await self.load_scenarios()
        await self.refresh_state()

    async def close(self) -> None:
        """Cancel and await the background refresh (called by ``Services.stop``)."""
        task, self._refresh = self._refresh, None
        await cancel_and_wait(task)
