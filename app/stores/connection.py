"""The connection store: what the upstream WebSocket is doing, for the status badge and API.

Plain attributes (NiceGUI binds by polling them); only the connection manager writes
them, through the few methods below, so every state change carries a reason. Times are
epoch seconds here and ISO 8601 UTC strings in :meth:`ConnectionStore.status`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.protocol import iso_utc

TRANSITIONS_KEPT = 50


class ConnectionState(StrEnum):
    """The manager's states; ``error`` means reconnect attempts ran out."""

    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """One transition: the new state, a short machine code and a sentence for the user."""

    state: ConnectionState
    code: str
    reason: str
    at: float


class ConnectionStore:
    """State and counters of the one upstream connection, shared by every browser tab."""

    def __init__(self, url: str = "", topics: list[str] | None = None) -> None:
        self.state: ConnectionState = ConnectionState.DISCONNECTED
        self.reason_code: str = "not_started"
        self.reason: str = "not started"
        self.changed_at: float | None = None
        self.transitions: deque[ConnectionChanged] = deque(maxlen=TRANSITIONS_KEPT)

        self.url: str = url
        self.topics: list[str] = list(topics or [])
        self.confirmed_topics: list[str] = []
        self.reconnect_attempts: int = 0
        self.max_reconnect_attempts: int = 0
        self.next_retry_at: float | None = None
        self.connected_since: float | None = None
        self.last_message_at: float | None = None
        self.last_error: str | None = None
        self.last_error_at: float | None = None

        self.messages_received: int = 0
        self.events_received: int = 0
        self.duplicates_dropped: int = 0
        self.malformed_by_kind: dict[str, int] = {}
        self.server_errors: int = 0
        self.reconnects: int = 0
        self.catchup_events: int = 0
        self.backfilled_points: int = 0
        self.gaps: int = 0
        self.task_restarts: int = 0

    # --- writes (connection manager, history loader) ---------------------------------------

    def set_state(self, state: ConnectionState, code: str, reason: str, at: float) -> None:
        """Record a transition; called only by the manager's one state setter."""
        self.state = state
        self.reason_code = code
        self.reason = reason
        self.changed_at = at
        self.transitions.append(ConnectionChanged(state, code, reason, at))

    def count_malformed(self, kind: str, count: int = 1) -> None:
        """Count skipped input by kind (``invalid_json``, ``bad_event``, ``binary``...)."""
        self.malformed_by_kind[kind] = self.malformed_by_kind.get(kind, 0) + count

    def record_server_error(self, text: str, at: float) -> None:
        """An ``error`` frame from the server: shown to the user, the link stays up."""
        self.server_errors += 1
        self.last_error = text
        self.last_error_at = at

    def count_backfilled(self, points: int) -> None:
        """Points the history loader wrote into gaps."""
        self.backfilled_points += points

    # --- reads ---------------------------------------------------------------------------

    @property
    def malformed_messages(self) -> int:
        """All skipped input, every kind together."""
        return sum(self.malformed_by_kind.values())

    def status(self) -> dict[str, Any]:
        """The JSON-able body of ``GET /api/dashboard/status`` (camelCase keys)."""
        return {
            "connection": {
                "state": self.state.value,
                "reason": self.reason,
                "reasonCode": self.reason_code,
                "url": self.url,
                "topics": list(self.topics),
                "confirmedTopics": list(self.confirmed_topics),
                "reconnectAttempts": self.reconnect_attempts,
                "maxReconnectAttempts": self.max_reconnect_attempts,
                "nextRetryAt": _iso(self.next_retry_at),
                "connectedSince": _iso(self.connected_since),
                "lastMessageAt": _iso(self.last_message_at),
                "lastError": self.last_error,
            },
            "counters": {
                "messagesReceived": self.messages_received,
                "eventsReceived": self.events_received,
                "duplicatesDropped": self.duplicates_dropped,
                "malformedMessages": self.malformed_messages,
                "malformedByKind": dict(self.malformed_by_kind),
                "serverErrors": self.server_errors,
                "reconnects": self.reconnects,
                "catchupEvents": self.catchup_events,
                "backfilledPoints": self.backfilled_points,
                "gaps": self.gaps,
                "taskRestarts": self.task_restarts,
            },
        }


def _iso(at: float | None) -> str | None:
    return None if at is None else iso_utc(at * 1000)
