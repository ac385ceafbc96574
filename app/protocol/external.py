"""External events (campaigns, outages, exam season), read one item at a time. Pure.

They reach the dashboard in three places: the history answer's ``events``, the state's
``activeEvents`` and a scenario start's ``events``. :func:`read_external` checks one item
of any of them, so a bad item costs only itself, and says what it found:

- refused (the item is skipped and counted): not an object, no ``id`` or one that is not a
  short string, a ``timestamp`` that is not an ISO 8601 string with a date and a time, or
  a text field that is not text;
- kept, with a note (counted too): a ``type`` or ``severity`` the contract does not name
  (kept as given and shown as such, never renamed to a known one), text over its cap (cut,
  with an ellipsis), an ``externalLink`` that is not ``http(s)://host...`` (kept as text
  only, never a link), affected streams that are not stream names (left out), an
  ``expectedImpact`` or ``duration`` of the wrong shape.

A ``duration`` is a number of seconds (the embedded simulator) or a text such as
``"3 hours"``, ``"45 min"`` or ``"2h"`` (the original server writes words), read like a
scenario's; anything else, such as ``"1-6 hours"``, is kept as text and gives no length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, TypeAdapter, ValidationError

from app.protocol.models import ISO_PREFIX
from app.protocol.scenarios import parse_duration
from app.protocol.timestamps import datetime_ms
from app.protocol.topics import is_stream_name

TYPES: Final = ("marketing", "product", "infrastructure", "academic", "competitive", "operational")
SEVERITIES: Final = ("info", "warning", "critical")
DIRECTIONS: Final = ("increase", "decrease", "mixed")
MAGNITUDES: Final = ("low", "medium", "high")

MAX_ID: Final = 200
MAX_TITLE: Final = 200
MAX_DESCRIPTION: Final = 2000
MAX_LINK: Final = 2000
MAX_WORD: Final = 40
"""Cap of the one-word fields: type, severity, direction, magnitude, icon, duration text."""
MAX_STREAMS: Final = 50
MAX_DURATION_S: Final = 366 * 86_400
ELLIPSIS: Final = "\u2026"

RejectKind = Literal["not_an_object", "missing_id", "bad_id", "bad_timestamp", "bad_event"]
NoteKind = Literal[
    "unknown_type",
    "unknown_severity",
    "text_capped",
    "link_refused",
    "bad_stream_name",
    "bad_impact",
    "bad_duration",
]

_ISO = re.compile(ISO_PREFIX)
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)
_UNSAFE_IN_LINK = re.compile(r"[\x00-\x20\x7f\\]")


@dataclass(frozen=True, slots=True)
class Impact:
    """What the event is expected to do: to which streams, which way, how much, how long."""

    streams: tuple[str, ...] = ()
    direction: str | None = None
    """As given (``increase``, ``decrease``, ``mixed``, or whatever the server wrote)."""
    magnitude: str | None = None
    duration_ms: int | None = None
    """The duration when it could be read as a length of time."""
    duration_text: str | None = None
    """The duration as given, when it is text."""


@dataclass(frozen=True, slots=True)
class ExternalItem:
    """One external event, checked; every text as given (capped), never interpreted."""

    id: str
    ts_ms: int
    type: str
    """As given; ``""`` when absent. :attr:`kind` is what the filters and icons use."""
    title: str
    description: str
    severity: str
    impact: Impact | None
    icon: str | None
    link: str | None
    """An ``http(s)://`` link that may be opened; None otherwise."""
    refused_link: str | None
    """The ``externalLink`` that was refused as a link (shown as text only)."""
    injected_by_ai: bool | None

    @property
    def kind(self) -> str:
        """The contract's type, or ``other`` for one it does not name."""
        return self.type if self.type in TYPES else "other"

    @property
    def level(self) -> str:
        """The contract's severity, or ``unknown`` for one it does not name."""
        return self.severity if self.severity in SEVERITIES else "unknown"

    @property
    def streams(self) -> tuple[str, ...]:
        return () if self.impact is None else self.impact.streams

    @property
    def end_ms(self) -> int | None:
        """When the expected effect ends, if the duration says (a band on the chart)."""
        if self.impact is None or not self.impact.duration_ms:
            return None
        return self.ts_ms + self.impact.duration_ms


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of :func:`read_external`: the item or why it was refused, and notes."""

    item: ExternalItem | None
    rejected: RejectKind | None = None
    notes: tuple[NoteKind, ...] = ()


class _Refused(Exception):
    def __init__(self, kind: RejectKind) -> None:
        super().__init__(kind)
        self.kind: RejectKind = kind


def read_external(raw: Any) -> Checked:
    """Check one external event (a JSON object, or a parsed model). Never raises."""
    if isinstance(raw, BaseModel):
        raw = raw.model_dump(by_alias=True)
    if not isinstance(raw, dict):
        return Checked(None, "not_an_object")
    notes: list[NoteKind] = []
    try:
        item = _read(raw, notes)
    except _Refused as refused:
        return Checked(None, refused.kind)
    return Checked(item, None, tuple(dict.fromkeys(notes)))


def _read(raw: dict[str, Any], notes: list[NoteKind]) -> ExternalItem:
    ident = raw.get("id")
    if ident is None or ident == "":
        raise _Refused("missing_id")
    if not isinstance(ident, str) or len(ident) > MAX_ID:
        raise _Refused("bad_id")
    ts_ms = _timestamp(raw.get("timestamp"))
    kind = _text(raw.get("type"), MAX_WORD, notes)
    if kind not in TYPES:
        notes.append("unknown_type")
    severity = _text(raw.get("severity"), MAX_WORD, notes)
    if severity not in SEVERITIES:
        notes.append("unknown_severity")
    link, refused_link = _link(raw.get("externalLink"), notes)
    ai = raw.get("injectedByAI")
    return ExternalItem(
        id=ident,
        ts_ms=ts_ms,
        type=kind,
        title=_text(raw.get("title"), MAX_TITLE, notes),
        description=_text(raw.get("description"), MAX_DESCRIPTION, notes),
        severity=severity,
        impact=_impact(raw.get("expectedImpact"), notes),
        icon=_text(raw.get("icon"), MAX_WORD, notes) or None,
        link=link,
        refused_link=refused_link,
        injected_by_ai=ai if isinstance(ai, bool) else None,
    )


def _timestamp(value: Any) -> int:
    if isinstance(value, datetime):
        return datetime_ms(value)
    if not isinstance(value, str) or not _ISO.match(value):
        raise _Refused("bad_timestamp")
    try:
        return datetime_ms(_DATETIME.validate_python(value))
    except (ValidationError, ValueError, OverflowError):
        raise _Refused("bad_timestamp") from None


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _text(value: Any, limit: int, notes: list[NoteKind]) -> str:
    """A text field as given, capped; absent or null is ``""``; anything else refuses."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _Refused("bad_event")
    if len(value) > limit:
        notes.append("text_capped")
        return clip(value, limit)
    return value


def _word(value: Any, notes: list[NoteKind]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        notes.append("bad_impact")
        return None
    return clip(value, MAX_WORD)


def safe_link(text: str) -> str | None:
    """``text`` if it is an ``http://`` or ``https://`` URL with a host and nothing that
    could end or bend it (spaces, controls, backslashes); else None."""
    text = text.strip()
    if not text or len(text) > MAX_LINK or _UNSAFE_IN_LINK.search(text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return text


def _link(value: Any, notes: list[NoteKind]) -> tuple[str | None, str | None]:
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        notes.append("link_refused")
        return None, clip(repr(value), MAX_WORD)
    link = safe_link(value)
    if link is None:
        notes.append("link_refused")
        return None, clip(value, MAX_TITLE)
    return link, None


def _impact(value: Any, notes: list[NoteKind]) -> Impact | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        notes.append("bad_impact")
        return None
    raw_streams = value.get("streams")
    if raw_streams is None:
        raw_streams = []
    if not isinstance(raw_streams, list):
        notes.append("bad_impact")
        raw_streams = []
    streams = [s for s in raw_streams if isinstance(s, str) and is_stream_name(s)]
    if len(streams) != len(raw_streams):
        notes.append("bad_stream_name")
    duration_ms, duration_text = _duration(value.get("duration"), notes)
    return Impact(
        streams=tuple(dict.fromkeys(streams))[:MAX_STREAMS],
        direction=_word(value.get("direction"), notes),
        magnitude=_word(value.get("magnitude"), notes),
        duration_ms=duration_ms,
        duration_text=duration_text,
    )


def _duration(value: Any, notes: list[NoteKind]) -> tuple[int | None, str | None]:
    """``(ms, text)``: a number is seconds; a text is read if it can be
    (:func:`app.protocol.scenarios.parse_duration`, the one reader of durations), and kept
    either way."""
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        notes.append("bad_duration")
        return None, None
    seconds = parse_duration(value)
    usable = seconds is not None and 0 < seconds <= MAX_DURATION_S
    ms = int(seconds * 1000) if usable and seconds is not None else None
    if isinstance(value, str):
        return ms, clip(value, MAX_WORD)
    if ms is None:
        notes.append("bad_duration")
    return ms, None
