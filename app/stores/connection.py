"""The connection store: what the upstream WebSocket is doing, for the status badge and API.

Written only by the connection manager and the parts it owns (the session of each link, the
subscription set), and only through the named methods below, so every change has one
place and every transition a typed reason. Readers (pages, the status API) see read-only
properties. Times are epoch seconds here and ISO 8601 UTC strings in :meth:`status`.

Counters about points (duplicates dropped, points backfilled, gaps) are the stream store's:
it is the one that decides them (:class:`app.stores.streams.StreamStore`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
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


class ReasonCode(StrEnum):
    """Why the state changed: a short machine code next to the sentence for the user."""

    NOT_STARTED = "not_started"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    USER = "user"
    """``disconnect()`` was asked for."""
    STOPPED = "stopped"
    """The manager was stopped (the process is shutting down)."""
    CONNECT_FAILED = "connect_failed"
    LINK_LOST = "link_lost"
    SILENCE = "silence"
    """No frame and no ping within the silence limit: the link was presumed dead."""
    INTERNAL_ERROR = "internal_error"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    """One transition: the new state, its reason code and a sentence for the user."""

    state: ConnectionState
    code: ReasonCode
    reason: str
    at: float


class ConnectionStore:
    """State and counters of the one upstream connection, shared by every browser tab."""

    def __init__(
        self, url: str = "", topics: Iterable[str] = (), max_reconnect_attempts: int = 0
    ) -> None:
        self._url = url
        self._max_attempts = max_reconnect_attempts
        self._state = ConnectionState.DISCONNECTED
        self._code = ReasonCode.NOT_STARTED
        self._reason = "not started"
        self._detail = ""
        self.transitions: deque[ConnectionChanged] = deque(maxlen=TRANSITIONS_KEPT)
        """The last transitions, oldest first (read-only for everyone but the manager)."""
        self._topics: list[str] = list(topics)
        self._confirmed: list[str] = []
        self._attempts = 0
        self._retry_at: float | None = None
        self._connected_since: float | None = None
        self._last_message_at: float | None = None
        self._last_error: str | None = None
        self._messages = 0
        self._events = 0
        self._catchup_events = 0
        self._malformed: dict[str, int] = {}
        self._server_errors = 0
        self._reconnects = 0
        self._task_restarts = 0

    # --- writes: the manager ----------------------------------------------------------------

    def transition(
        self, state: ConnectionState, code: ReasonCode, reason: str, at: float, detail: str = ""
    ) -> None:
        """Record a transition (the manager's one state setter calls this).

        ``reason`` is written for people; ``detail`` is the technical text behind it.
        """
        self._state, self._code, self._reason = state, code, reason
        self._detail = detail
        self.transitions.append(ConnectionChanged(state, code, reason, at))

    def set_attempts(self, attempts: int) -> None:
        """The reconnect attempt under way (0: none, the link is fresh or stable)."""
        self._attempts = attempts

    def set_retry_at(self, at: float | None) -> None:
        """When the next attempt starts, while waiting out a backoff delay."""
        self._retry_at = at

    def link_opened(self, at: float, reconnect: bool) -> None:
        """A handshake completed; ``reconnect`` when an earlier link existed."""
        self._connected_since = at
        if reconnect:
            self._reconnects += 1

    def link_closed(self) -> None:
        """The link is gone, and with it what the server confirmed."""
        self._connected_since = None
        self._confirmed = []

    def task_restarted(self) -> None:
        """The manager's task hit an unexpected error and was restarted."""
        self._task_restarts += 1

    # --- writes: the session of a link -------------------------------------------------------

    def frame_received(self, at: float) -> None:
        """Any frame, usable or not: the link is alive."""
        self._messages += 1
        self._last_message_at = at

    def count_events(self, count: int, catchup: bool = False) -> None:
        """Events taken from a frame (catch-up replays also count apart)."""
        self._events += count
        if catchup:
            self._catchup_events += count

    def count_malformed(self, kind: str, count: int = 1) -> None:
        """Count skipped input by kind (``invalid_json``, ``bad_event``, ``binary``...)."""
        self._malformed[kind] = self._malformed.get(kind, 0) + count

    def record_server_error(self, text: str) -> None:
        """An ``error`` frame from the server: shown to the user, the link stays up."""
        self._server_errors += 1
        self._last_error = text

    def confirm_topics(self, topics: Iterable[str]) -> None:
        """The server's ``subscribed``: what of the requested set it confirmed.

        A late answer may list topics unsubscribed since (no reply confirms that), so only
        topics still requested count.
        """
        requested = set(self._topics)
        self._confirmed = [t for t in topics if t in requested]

    def unconfirm_topics(self, topics: Iterable[str]) -> None:
        gone = set(topics)
        self._confirmed = [t for t in self._confirmed if t not in gone]

    # --- writes: the subscription set ----------------------------------------------------

    def request_topics(self, topics: Iterable[str]) -> None:
        """The topic set the manager asks the server for."""
        self._topics = list(topics)

    # --- reads -------------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def reason_code(self) -> ReasonCode:
        return self._code

    @property
    def reason(self) -> str:
        return self._reason

    @property
    def reason_detail(self) -> str:
        """The technical detail of the last transition ("" when there is none)."""
        return self._detail

    @property
    def url(self) -> str:
        return self._url

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    @property
    def confirmed_topics(self) -> list[str]:
        return list(self._confirmed)

    @property
    def reconnect_attempts(self) -> int:
        return self._attempts

    @property
    def max_reconnect_attempts(self) -> int:
        return self._max_attempts

    @property
    def next_retry_at(self) -> float | None:
        return self._retry_at

    @property
    def connected_since(self) -> float | None:
        return self._connected_since

    @property
    def last_message_at(self) -> float | None:
        """When the last frame arrived (epoch s): how fresh the data on screen is."""
        return self._last_message_at

    @property
    def last_error(self) -> str | None:
        return self._last_error

    @property
    def messages_received(self) -> int:
        return self._messages

    @property
    def events_received(self) -> int:
        return self._events

    @property
    def catchup_events(self) -> int:
        return self._catchup_events

    @property
    def malformed_by_kind(self) -> dict[str, int]:
        return dict(self._malformed)

    @property
    def malformed_messages(self) -> int:
        """All skipped input, every kind together."""
        return sum(self._malformed.values())

    @property
    def server_errors(self) -> int:
        return self._server_errors

    @property
    def reconnects(self) -> int:
        return self._reconnects

    @property
    def task_restarts(self) -> int:
        return self._task_restarts

    def status(self) -> dict[str, Any]:
        """The connection part of ``GET /api/dashboard/status`` (camelCase keys)."""
        return {
            "connection": {
                "state": self._state.value,
                "reason": self._reason,
                "reasonCode": self._code.value,
                "reasonDetail": self._detail or None,
                "url": self._url,
                "topics": self.topics,
                "confirmedTopics": self.confirmed_topics,
                "reconnectAttempts": self._attempts,
                "maxReconnectAttempts": self._max_attempts,
                "nextRetryAt": _iso(self._retry_at),
                "connectedSince": _iso(self._connected_since),
                "lastMessageAt": _iso(self._last_message_at),
                "lastError": self._last_error,
            },
            "counters": {
                "messagesReceived": self._messages,
                "eventsReceived": self._events,
                "malformedMessages": self.malformed_messages,
                "malformedByKind": self.malformed_by_kind,
                "serverErrors": self._server_errors,
                "reconnects": self._reconnects,
                "catchupEvents": self._catchup_events,
                "taskRestarts": self._task_restarts,
            },
        }


def _iso(at: float | None) -> str | None:
    return None if at is None else iso_utc(at * 1000)
