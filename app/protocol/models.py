"""Pydantic models of the AI Mock Simulator contract (see README, "Contract").

Server messages form one union discriminated on ``type``; anything whose ``type`` is not
in the contract parses as :class:`UnknownMessage` instead of failing, so a newer server
never breaks an older dashboard. Every model ignores extra fields. Stream events are
validated ``TypedDict``s rather than models (see :class:`StreamEvent`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    Tag,
    TypeAdapter,
    with_config,
)
from pydantic.types import AllowInfNan
from pydantic_core import core_schema
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from app.protocol.topics import STREAM_NAME_PATTERN

ISO_PREFIX = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}"
"""What an ISO 8601 date-time starts with; the rest is checked by the datetime parser."""

AnomalyFlag = Literal["normal", "warning", "critical"]


# Validators are built at their first use, not at import: the port opens sooner, and the
# first frame or history answer pays it while a first tab is still loading its scripts.
# (A first use may be in a worker thread, the history parse; the Pydantic tested, 2.14,
# builds under a lock.)
DEFERRED = ConfigDict(defer_build=True)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=False, **DEFERRED)


@with_config(DEFERRED)
class StreamEvent(TypedDict):
    """One observation of one stream, validated as a plain dict with the wire's key names.

    ``id`` and ``seq`` are optional server additions; optional keys may be absent, so read
    them with ``.get``. A dict, not a model: live events are the hot path, and the
    pipeline (parse and store) runs faster on dicts than on models, which cost
    more to build and to read (measured: +25-30 % on 100-event frames, +50 % on 1,000-event
    frames, through the whole session into the store). Extra keys are dropped.

    The stream must be a dotted name and the timestamp an ISO 8601 string: a number, or a
    string of digits (which pydantic would read as epoch time), is refused, since guessing
    its unit can misplace a point by years.
    """

    stream: Annotated[str, Field(pattern=STREAM_NAME_PATTERN)]
    timestamp: Annotated[datetime, IsoTimestamp]
    data: NotRequired[dict[str, Any] | None]
    normalizedValue: NotRequired[Annotated[float | None, AllowInfNan(False)]]
    anomalyFlag: NotRequired[AnomalyFlag | None]
    id: NotRequired[str | None]
    seq: NotRequired[int | None]


class IsoTimestamp:
    """Marks a ``datetime`` that must arrive as an ISO 8601 string (checked in Rust, cheap).

    From Python (events built in code, not parsed), a ``datetime`` itself is accepted too.
    """

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        text = core_schema.chain_schema(
            [core_schema.str_schema(pattern=ISO_PREFIX), core_schema.datetime_schema()]
        )
        given = core_schema.is_instance_schema(datetime)
        return core_schema.json_or_python_schema(
            json_schema=text, python_schema=core_schema.union_schema([given, text])
        )


class ExpectedImpact(_Model):
    streams: list[str] = Field(default_factory=list)
    direction: str = "mixed"
    magnitude: str = "medium"
    duration: str | float | None = None


class ExternalEvent(_Model):
    """Something that happened in the world (a campaign, an outage, exam season)."""

    id: str
    timestamp: datetime
    type: str = "operational"
    title: str = ""
    description: str = ""
    severity: str = "info"
    expected_impact: ExpectedImpact | None = Field(default=None, alias="expectedImpact")
    icon: str | None = None
    external_link: str | None = Field(default=None, alias="externalLink")
    injected_by_ai: bool | None = Field(default=None, alias="injectedByAI")


class Percentiles(_Model):
    p25: float | None = None
    p50: float | None = None
    p75: float | None = None
    p90: float | None = None
    p95: float | None = None


class BaselinePatterns(_Model):
    weekday_avg: float | None = Field(default=None, alias="weekdayAvg")
    weekend_avg: float | None = Field(default=None, alias="weekendAvg")
    trend: Any = None
    seasonality: Any = None


class StreamBaseline(_Model):
    name: str | None = None
    mean: float | None = None
    median: float | None = None
    std_dev: float | None = Field(default=None, alias="stdDev")
    min: float | None = None
    max: float | None = None
    percentiles: Percentiles | None = None
    patterns: BaselinePatterns | None = None


# --- client -> server -------------------------------------------------------------------


class SubscribeMessage(_Model):
    type: Literal["subscribe"] = "subscribe"
    topics: list[str]
    last_timestamp: datetime | None = Field(default=None, alias="lastTimestamp")


class UnsubscribeMessage(_Model):
    type: Literal["unsubscribe"] = "unsubscribe"
    topics: list[str]


# --- server -> client -------------------------------------------------------------------


class SubscribedMessage(_Model):
    type: Literal["subscribed"] = "subscribed"
    topics: list[str] = Field(default_factory=list)


class UnsubscribedMessage(_Model):
    type: Literal["unsubscribed"] = "unsubscribed"
    topics: list[str] = Field(default_factory=list)


class EventMessage(_Model):
    type: Literal["event"] = "event"
    data: StreamEvent


class BatchMessage(_Model):
    type: Literal["batch"] = "batch"
    events: list[StreamEvent]
    rejected: dict[str, int] = Field(default_factory=dict, exclude=True)
    """Events of the frame that failed validation and were skipped, by kind (the parser's)."""


class CatchupMessage(_Model):
    type: Literal["catchup"] = "catchup"
    events: list[StreamEvent] = Field(default_factory=list)
    catch_up_end_time: datetime | None = Field(default=None, alias="catchUpEndTime")
    rejected: dict[str, int] = Field(default_factory=dict, exclude=True)


class ErrorMessage(_Model):
    """A server error frame; the original server sends no ``code``."""

    type: Literal["error"] = "error"
    code: str | None = None
    message: str = ""


class UnknownMessage(_Model):
    """A message whose ``type`` the contract does not define; kept, counted, ignored."""

    model_config = ConfigDict(extra="allow")
    type: str


KNOWN_TYPES = frozenset({"subscribed", "unsubscribed", "event", "batch", "catchup", "error"})


def _message_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in KNOWN_TYPES else "unknown"


ServerMessage = Annotated[
    Annotated[SubscribedMessage, Tag("subscribed")]
    | Annotated[UnsubscribedMessage, Tag("unsubscribed")]
    | Annotated[EventMessage, Tag("event")]
    | Annotated[BatchMessage, Tag("batch")]
    | Annotated[CatchupMessage, Tag("catchup")]
    | Annotated[ErrorMessage, Tag("error")]
    | Annotated[UnknownMessage, Tag("unknown")],
    Discriminator(_message_tag),
]

SERVER_MESSAGE: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage, config=DEFERRED)
STREAM_EVENT: TypeAdapter[StreamEvent] = TypeAdapter(StreamEvent)


# --- history ----------------------------------------------------------------------------


class HistoryPoint(_Model):
    """One bucket of the contract's history answer, as a model (see :class:`ContractPoint`)."""

    timestamp: datetime
    value: float | None = Field(default=None, allow_inf_nan=False)
    normalized: float | None = Field(default=None, allow_inf_nan=False)


FiniteFloat = Annotated[float, AllowInfNan(False)]


class ContractPoint(TypedDict):
    """One bucket of the contract's history answer, validated as a plain dict.

    What :class:`ContractHistory` holds: a week of 50 streams is 100,000 points, and a dict
    costs a third of a model to build. ``timestamp`` is left as it came: the parser checks
    and converts each distinct value once (buckets repeat across streams), accepting ISO
    8601 strings only and refusing the point otherwise, so one bad point costs only itself.
    Extra keys are dropped.
    """

    timestamp: NotRequired[Any]
    value: NotRequired[FiniteFloat | None]
    normalized: NotRequired[FiniteFloat | None]


class TimeRange(_Model):
    start: datetime
    end: datetime


class ContractHistory(_Model):
    """``{"timeRange", "streams": {NAME: [point]}, "events", "baselineStats"?}``."""

    time_range: TimeRange | None = Field(default=None, alias="timeRange")
    streams: dict[str, list[ContractPoint]]
    events: list[Any] = Field(default_factory=list)
    """External events, checked one by one by the external events store (a bad one costs
    only itself, never the history answer)."""
    baseline_stats: dict[str, StreamBaseline] | None = Field(default=None, alias="baselineStats")


class OriginalStreamHistory(_Model):
    events: list[Any] = Field(default_factory=list)
    """Validated one by one by the parser (a bad event costs only itself)."""
    baseline: StreamBaseline | None = None


class OriginalHistory(_Model):
    """The original Node server's shape: ``{"start", "end", "streams": [..], "data": {..}}``."""

    start: datetime | None = None
    end: datetime | None = None
    streams: list[str] = Field(default_factory=list)
    data: dict[str, OriginalStreamHistory]


class ErrorDetail(_Model):
    code: str | None = None
    message: str = ""
    details: Any = None


class ErrorBody(_Model):
    """A REST error in either shape: ``{"error": {code, message}}`` or ``{"error": "text"}``."""

    error: ErrorDetail | str
