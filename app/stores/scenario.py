"""The scenario store: which scenarios the simulator offers, which one runs or settles, and
how the dashboard's last scenario action went.

Plain Python, no UI and no I/O. One owner: :class:`app.context.scenario_control.ScenarioControl`
writes it through these methods, and the simulator's state reaches it through
:meth:`ScenarioStore.apply_state` (a pure read of a decoded ``GET /api/simulation/state``).
The header, the scenario panel, the chart's bands and the status API read it; ``version``
grows with every change, so a tab redraws only when something changed.

A run's phase follows its times: ``active`` until ``ends_ms``, then ``settling`` until
``settled_ms``, then gone. :meth:`advance` applies that between two state answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from app.protocol.scenarios import (
    Action,
    ModifierInfo,
    Phase,
    ScenarioInfo,
    read_modifiers,
    read_scenarios,
    read_started,
    read_stopped,
)

Clock = Callable[[], float]
"""Epoch seconds."""


@dataclass(frozen=True, slots=True)
class ScenarioRun:
    """A scenario running or settling on the simulator (times in epoch ms, None: unknown)."""

    id: str
    name: str
    phase: Literal["active", "settling"]
    started_ms: int | None = None
    ends_ms: int | None = None
    settled_ms: int | None = None
    """When the settling ends (the stop answer's ``settlingUntil``)."""
    streams: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    """A failed request, for people (``text``) and for whoever debugs it (``detail``)."""

    action: Action
    text: str
    detail: str = ""
    at_ms: int = 0


def phase_at(
    now_ms: int, ends_ms: int | None, settled_ms: int | None, said: Phase | None = None
) -> Phase:
    """The phase the server said, else the one the times imply at ``now_ms``."""
    if said is not None:
        return said
    if ends_ms is None or now_ms < ends_ms:
        return "active"
    return "settling" if settled_ms is None or now_ms < settled_ms else "over"


class ScenarioStore:
    """See the module docstring."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self.scenarios: tuple[ScenarioInfo, ...] = ()
        self.scenarios_loaded = False
        self.runs: tuple[ScenarioRun, ...] = ()
        self.pending: str | None = None
        """The action under way, in words ("starting Exam season surge"), or None."""
        self.last_error: Problem | None = None
        """The last failed action (start, stop, reset); cleared by the next success."""
        self.list_error: Problem | None = None
        self.state_error: Problem | None = None
        self.state_at_ms: int | None = None
        """When a state answer was last applied."""
        self.version = 0

    # --- what the readers ask ------------------------------------------------------------

    @property
    def active(self) -> ScenarioRun | None:
        """The scenario running now (the newest, if a server reports several)."""
        return next((r for r in reversed(self.runs) if r.phase == "active"), None)

    @property
    def settling(self) -> ScenarioRun | None:
        """The scenario settling back to baseline (the last to settle, if several)."""
        runs = [r for r in self.runs if r.phase == "settling"]
        return max(runs, key=lambda r: r.settled_ms or 0) if runs else None

    @property
    def settling_until_ms(self) -> int | None:
        run = self.settling
        return None if run is None else run.settled_ms

    def info(self, scenario_id: str) -> ScenarioInfo | None:
        return next((s for s in self.scenarios if s.id == scenario_id), None)

    def name_of(self, scenario_id: str) -> str:
        info = self.info(scenario_id)
        return scenario_id if info is None else info.name

    # --- what the simulator says -----------------------------------------------------------

    def apply_state(self, body: Mapping[str, Any]) -> bool:
        """Learn the running and settling scenarios from a decoded state body.

        Tolerant of servers that send less: a body without a list of modifiers, or whose
        modifiers name no scenario, leaves the runs as they are; missing times keep what
        was known of the same scenario; a missing phase follows from the times. True when
        anything changed.
        """
        before = self._snapshot()
        now = self._now_ms()
        self.state_at_ms = now
        self.state_error = None
        modifiers = read_modifiers(body) if isinstance(body, Mapping) else None
        if modifiers is not None:
            known = {r.id: r for r in self.runs}
            runs = (self._run(m, known.get(m.scenario_id), now) for m in modifiers)
            self.runs = tuple(r for r in runs if r is not None)
        return self._changed(before)

    def _run(self, m: ModifierInfo, old: ScenarioRun | None, now: int) -> ScenarioRun | None:
        if old is None:
            old = ScenarioRun(m.scenario_id, m.scenario_id, "active")
        started = m.started_ms if m.started_ms is not None else old.started_ms
        ends = m.ends_ms if m.ends_ms is not None else old.ends_ms
        settled = m.settled_ms if m.settled_ms is not None else old.settled_ms
        phase = phase_at(now, ends, settled, m.phase)
        if phase == "over":
            return None
        info = self.info(m.scenario_id)
        return ScenarioRun(
            id=m.scenario_id,
            name=m.name or (info.name if info else old.name),
            phase=phase,
            started_ms=started,
            ends_ms=ends,
            settled_ms=settled,
            streams=m.streams or (info.streams if info else ()) or old.streams,
        )

    def apply_list(self, body: Any) -> bool:
        """Take a decoded ``GET /api/simulation/scenarios`` answer; False if it is not one."""
        before = self._snapshot()
        scenarios = read_scenarios(body)
        if scenarios is None:
            self.list_error = Problem(
                "list", "the simulator's list of scenarios is not usable", "", self._now_ms()
            )
        else:
            self.scenarios = tuple(scenarios)
            self.scenarios_loaded = True
            self.list_error = None
        self._changed(before)
        return scenarios is not None

    def apply_started(self, body: Mapping[str, Any], scenario_id: str) -> list[Any]:
        """A successful start: the scenario becomes the active one; returns its events."""
        before = self._snapshot()
        now = self._now_ms()
        answer = read_started(body, scenario_id)
        info = self.info(answer.scenario.id)
        started = answer.started_ms if answer.started_ms is not None else now
        duration = answer.scenario.duration_s
        if duration is None and info is not None:
            duration = info.duration_s
        ends = answer.ends_ms
        if ends is None and duration is not None:
            ends = started + int(duration * 1000)
        settled = None
        if answer.estimated_s is not None and ends is not None:
            estimated_end = started + int(answer.estimated_s * 1000)
            settled = estimated_end if estimated_end > ends else None
        named = answer.scenario.name != answer.scenario.id or info is None
        run = ScenarioRun(
            id=answer.scenario.id,
            name=answer.scenario.name if named or info is None else info.name,
            phase="active",
            started_ms=started,
            ends_ms=ends,
            settled_ms=settled,
            streams=answer.scenario.streams or (info.streams if info else ()),
        )
        self.runs = (*(r for r in self.runs if r.phase != "active" and r.id != run.id), run)
        self.last_error = None
        self._changed(before)
        return answer.events

    def apply_stopped(self, body: Mapping[str, Any]) -> bool:
        """A stop answer: the active scenario settles until ``settlingUntil``.

        False when the server says nothing was running (``success: false``).
        """
        before = self._snapshot()
        answer = read_stopped(body)
        self.last_error = None
        if answer.success is False:
            self.runs = tuple(r for r in self.runs if r.phase != "active")
            self._changed(before)
            return False
        now = self._now_ms()
        until = answer.settling_until_ms
        runs = list(self.runs)
        if not any(r.phase == "active" for r in runs) and answer.scenario_id:
            name = self.name_of(answer.scenario_id)
            runs.append(ScenarioRun(answer.scenario_id, name, "active"))
        self.runs = tuple(
            replace(r, phase="settling", ends_ms=now, settled_ms=until)
            if r.phase == "active"
            else r
            for r in runs
        )
        self._changed(before)
        return True

    def apply_reset(self) -> None:
        """The simulation is back at its baseline: nothing runs or settles."""
        before = self._snapshot()
        self.runs = ()
        self.last_error = None
        self._changed(before)

    # --- what the controller records ---------------------------------------------------------

    def begin(self, what: str) -> None:
        """An action is under way (every tab shows it and waits)."""
        before = self._snapshot()
        self.pending = what
        self._changed(before)

    def finish(self) -> None:
        before = self._snapshot()
        self.pending = None
        self._changed(before)

    def fail(self, action: Action, text: str, detail: str = "") -> None:
        """Record a failed request: a scenario action, the list, or the state."""
        before = self._snapshot()
        problem = Problem(action, text, detail, self._now_ms())
        if action == "list":
            self.list_error = problem
        elif action == "state":
            self.state_error = problem
        else:
            self.last_error = problem
        self._changed(before)

    def clear_error(self) -> None:
        before = self._snapshot()
        self.last_error = None
        self._changed(before)

    def advance(self, now_ms: int | None = None) -> bool:
        """Move runs along their times: active -> settling at ``ends_ms``, gone once settled."""
        now = self._now_ms() if now_ms is None else now_ms
        moved: list[ScenarioRun] = []
        for run in self.runs:
            phase = phase_at(now, run.ends_ms, run.settled_ms)
            if run.phase == "settling" and phase == "active":
                phase = "settling"  # stopped before its planned end
            if phase != "over":
                moved.append(run if phase == run.phase else replace(run, phase=phase))
        if tuple(moved) == self.runs:
            return False
        self.runs = tuple(moved)
        self.version += 1
        return True

    # --- internals ---------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _snapshot(self) -> tuple[Any, ...]:
        return (
            self.scenarios,
            self.scenarios_loaded,
            self.runs,
            self.pending,
            self.last_error,
            self.list_error,
            self.state_error,
        )

    def _changed(self, before: tuple[Any, ...]) -> bool:
        """Count a change (``state_at_ms`` alone is bookkeeping, not worth a redraw)."""
        if self._snapshot() == before:
            return False
        self.version += 1
        return True
