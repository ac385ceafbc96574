"""Scenario bodies to typed values: the list, a start and a stop answer, the state's modifiers.

Pure and tolerant: every reader takes a decoded JSON value and never raises. Servers differ
(the embedded simulator sends ``phase``, ``startedAt``, ``endsAt`` and ``settledAt`` on each
modifier; a contract server may send only ``scenarioId``; the original sends ``status`` and
durations as text such as ``"3 hours"``), so a field that is missing or of the wrong type is
read as unknown (None), and an item without an id is skipped. Text from the server is cut
to a bounded length here; the pages show it as text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from app.protocol.timestamps import datetime_ms

Phase = Literal["active", "settling", "over"]
Action = Literal["list", "state", "start", "stop", "reset"]
"""The scenario requests: list, state, start, stop, reset."""

MAX_SCENARIOS: Final = 200
MAX_MODIFIERS: Final = 50
MAX_STREAMS: Final = 60
ID_CHARS: Final = 120
NAME_CHARS: Final = 120
DESCRIPTION_CHARS: Final = 600

_UNITS: Final = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hour": 3600.0,
    "d": 86_400.0,
    "day": 86_400.0,
}
_DURATION: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")
_PHASES: Final[dict[str, Phase]] = {
    "active": "active",
    "running": "active",
    "settling": "settling",
    "settled": "over",
    "completed": "over",
    "ended": "over",
    "stopped": "over",
}


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    """One scenario the simulator offers (``duration_s`` None: the server did not say)."""

    id: str
    name: str
    description: str = ""
    duration_s: float | None = None
    streams: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModifierInfo:
    """One of the state's ``activeModifiers`` as far as the server describes it."""

    scenario_id: str
    name: str | None = None
    phase: Phase | None = None
    started_ms: int | None = None
    ends_ms: int | None = None
    settled_ms: int | None = None
    streams: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Started:
    """A start answer: the scenario, its times when given, and the events it announced."""

    scenario: ScenarioInfo
    started_ms: int | None
    ends_ms: int | None
    estimated_s: float | None
    events: list[Any]


@dataclass(frozen=True, slots=True)
class Stopped:
    """A stop answer: ``success`` (None: not said), until when it settles, which scenario."""

    success: bool | None
    settling_until_ms: int | None
    scenario_id: str | None


def text(value: Any, limit: int) -> str | None:
    """A string, stripped and cut to ``limit`` characters; None for anything else or empty."""
    if not isinstance(value, str):
        return None
    folded = " ".join(value[: limit * 4].split())
    if not folded:
        return None
    return folded if len(folded) <= limit else folded[: limit - 1] + "\u2026"


def time_ms(value: Any) -> int | None:
    """Epoch ms of an ISO 8601 string (naive is UTC, as the contract writes times); else None.

    Numbers are refused like everywhere else: seconds or milliseconds would be a guess.
    """
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None
    try:
        return datetime_ms(datetime.fromisoformat(value))
    except (ValueError, OverflowError):
        return None


def parse_duration(value: Any) -> float | None:
    """Seconds of a duration: a number of seconds, or text like ``"30 minutes"``, ``"3h"``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value.lower()[:40])
        if match is None:
            return None
        unit = match.group(2) or "s"
        factor = _UNITS.get(unit) or _UNITS.get(unit.removesuffix("s"))
        if factor is None:
            return None
        seconds = float(match.group(1)) * factor
    else:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _streams(value: Any) -> tuple[str, ...]:
    """Stream names of a list, or of a mapping's keys (the embedded modifier's factors)."""
    if isinstance(value, Mapping):
        value = list(value)
    if not isinstance(value, Sequence) or isinstance(value, str):
        return ()
    names = (text(v, 200) for v in value[:MAX_STREAMS])
    return tuple(dict.fromkeys(n for n in names if n))


def _info(item: Any, fallback_id: str | None = None) -> ScenarioInfo | None:
    if not isinstance(item, Mapping):
        return None
    scenario_id = text(item.get("id"), ID_CHARS) or fallback_id
    if not scenario_id:
        return None
    return ScenarioInfo(
        id=scenario_id,
        name=text(item.get("name"), NAME_CHARS) or scenario_id,
        description=text(item.get("description"), DESCRIPTION_CHARS) or "",
        duration_s=parse_duration(item.get("duration")),
        streams=_streams(item.get("streams")),
    )


def read_scenarios(body: Any) -> list[ScenarioInfo] | None:
    """``{"scenarios": [...]}`` (or a bare list) as scenarios; None if it is neither."""
    items = body.get("scenarios") if isinstance(body, Mapping) else body
    if not isinstance(items, list):
        return None
    found: dict[str, ScenarioInfo] = {}
    for item in items[:MAX_SCENARIOS]:
        info = _info(item)
        if info is not None and info.id not in found:
            found[info.id] = info
    return list(found.values())


def _modifier(item: Any) -> ModifierInfo | None:
    if not isinstance(item, Mapping):
        return None
    scenario = item.get("scenario")
    nested = scenario if isinstance(scenario, Mapping) else {}
    scenario_id = (
        text(item.get("scenarioId"), ID_CHARS)
        or text(scenario, ID_CHARS)
        or text(nested.get("id"), ID_CHARS)
    )
    if not scenario_id:
        return None
    phase_text = text(item.get("phase") or item.get("status") or item.get("lifecycleState"), 20)
    return ModifierInfo(
        scenario_id=scenario_id,
        name=text(item.get("scenarioName") or nested.get("name"), NAME_CHARS),
        phase=_PHASES.get((phase_text or "").lower()),
        started_ms=time_ms(item.get("startedAt") or item.get("startTime")),
        ends_ms=time_ms(item.get("endsAt") or item.get("endTime")),
        settled_ms=time_ms(item.get("settledAt") or item.get("settlingUntil")),
        streams=_streams(item.get("streams")),
    )


def read_modifiers(body: Mapping[str, Any]) -> list[ModifierInfo] | None:
    """The scenario modifiers of a state body; None when the body does not list modifiers.

    An empty list is an answer (nothing is active); items without a scenario id are
    skipped, so a server whose modifiers name no scenario tells nothing about scenarios
    unless its list is empty.
    """
    items = body.get("activeModifiers")
    if not isinstance(items, list):
        return None
    found = [m for m in (_modifier(i) for i in items[:MAX_MODIFIERS]) if m is not None]
    if items and not found:
        return None
    return found


def read_started(body: Mapping[str, Any], requested_id: str) -> Started:
    """A start answer; the scenario falls back to the id that was asked for."""
    scenario = _info(body.get("scenario"), requested_id) or ScenarioInfo(requested_id, requested_id)
    events = body.get("events")
    return Started(
        scenario=scenario,
        started_ms=time_ms(body.get("startedAt")),
        ends_ms=time_ms(body.get("endsAt")),
        estimated_s=parse_duration(body.get("estimatedDuration")),
        events=list(events) if isinstance(events, list) else [],
    )


def read_stopped(body: Mapping[str, Any]) -> Stopped:
    """A stop answer (``settlingUntil`` may be missing or null)."""
    success = body.get("success")
    return Stopped(
        success=success if isinstance(success, bool) else None,
        settling_until_ms=time_ms(body.get("settlingUntil")),
        scenario_id=text(body.get("scenarioId"), ID_CHARS),
    )
