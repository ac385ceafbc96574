"""The connection store's status body: camelCase keys, ISO times, counters."""

from __future__ import annotations

import json

from app.stores.connection import ConnectionState, ConnectionStore, ReasonCode

T = 1_795_000_000.25  # 2026-11-18T11:06:40.250Z


def test_status_has_the_contracted_shape() -> None:
    """Every key the status endpoint promises, JSON-serialisable, times in ISO 8601 UTC."""
    store = ConnectionStore("ws://h/ws", ["customer.*"])
    store.transition(ConnectionState.RECONNECTING, ReasonCode.LINK_LOST, "dropped", T)
    store.set_retry_at(T + 2)
    store.frame_received(T)
    store.count_malformed("invalid_json")
    store.count_malformed("bad_event", 3)
    store.record_server_error("BAD: no")
    status = json.loads(json.dumps(store.status()))
    conn, counters = status["connection"], status["counters"]
    assert set(conn) >= {
        "state", "reason", "url", "topics", "confirmedTopics", "reconnectAttempts",
        "maxReconnectAttempts", "nextRetryAt", "connectedSince", "lastMessageAt", "lastError",
    }  # fmt: skip
    assert conn["state"] == "reconnecting"
    assert conn["reason"] == "dropped"
    assert conn["topics"] == ["customer.*"]
    assert conn["nextRetryAt"] == "2026-11-18T11:06:42.250Z"
    assert conn["lastMessageAt"] == "2026-11-18T11:06:40.250Z"
    assert conn["connectedSince"] is None
    assert conn["lastError"] == "BAD: no"
    assert counters["malformedMessages"] == 4
    assert counters["malformedByKind"] == {"invalid_json": 1, "bad_event": 3}
    assert counters["serverErrors"] == 1
    assert counters["messagesReceived"] == 1
    assert conn["reasonCode"] == "link_lost"
    for key in ("eventsReceived", "reconnects", "catchupEvents", "taskRestarts"):
        assert counters[key] == 0


def test_transitions_are_kept_with_their_reasons() -> None:
    """Each transition appends a ConnectionChanged the UI can list; the history is bounded."""
    store = ConnectionStore()
    for i in range(60):
        store.transition(ConnectionState.CONNECTING, ReasonCode.CONNECTING, f"try {i}", T + i)
    assert len(store.transitions) == 50
    assert store.transitions[-1].reason == "try 59"
    assert store.reason_code == "connecting"


def test_topics_confirmed_are_only_those_still_requested() -> None:
    """A late ``subscribed`` cannot confirm a topic dropped since; a link loss clears them."""
    store = ConnectionStore(topics=["a.b", "c.*"])
    store.request_topics(["c.*"])
    store.confirm_topics(["a.b", "c.*"])
    assert store.confirmed_topics == ["c.*"]
    store.link_opened(T, reconnect=True)
    store.link_closed()
    assert store.confirmed_topics == [] and store.reconnects == 1
