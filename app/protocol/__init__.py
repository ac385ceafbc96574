"""The simulator contract: models, and pure parsing and building of frames and bodies."""

from app.protocol.history import (
    HistoryResult,
    HistorySample,
    flag_for,
    parse_error_body,
    parse_history,
)
from app.protocol.models import (
    BatchMessage,
    CatchupMessage,
    ErrorMessage,
    EventMessage,
    ExternalEvent,
    ServerMessage,
    StreamBaseline,
    StreamEvent,
    SubscribedMessage,
    UnknownMessage,
    UnsubscribedMessage,
)
from app.protocol.parse import (
    DEFAULT_MAX_FRAME_BYTES,
    ProtocolError,
    parse_frame,
    subscribe_frame,
    unsubscribe_frame,
    validate_events,
)
from app.protocol.timestamps import datetime_ms, event_time_ms, iso_utc, ms_datetime

__all__ = [
    "DEFAULT_MAX_FRAME_BYTES",
    "BatchMessage",
    "CatchupMessage",
    "ErrorMessage",
    "EventMessage",
    "ExternalEvent",
    "HistoryResult",
    "HistorySample",
    "ProtocolError",
    "ServerMessage",
    "StreamBaseline",
    "StreamEvent",
    "SubscribedMessage",
    "UnknownMessage",
    "UnsubscribedMessage",
    "datetime_ms",
    "event_time_ms",
    "flag_for",
    "iso_utc",
    "ms_datetime",
    "parse_error_body",
    "parse_frame",
    "parse_history",
    "subscribe_frame",
    "unsubscribe_frame",
    "validate_events",
]
