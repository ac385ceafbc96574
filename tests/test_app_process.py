"""``python -m app`` as a user starts it: embedded simulator mounted, link up, clean stop."""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nicegui
import pytest
from websockets.asyncio.client import connect

from app.protocol import BatchMessage, EventMessage, HistoryResult, parse_frame, parse_history
from tests.support.processes import Process, error_lines, start_dashboard, status, wait_until


@pytest.fixture(scope="module")
def dashboard() -> Iterator[Process]:
    """The dashboard with its embedded simulator, as `python -m app` starts it."""
    proc = start_dashboard("--sim-rate", "50")
    yield proc
    proc.stop()


def test_dashboard_connects_to_its_embedded_simulator_and_loads_history(dashboard: Process) -> None:
    """By default every stream is followed: the link is up and all 50 have 7 days of history."""
    body = wait_until(
        lambda: (
            (s := status(dashboard))["connection"]["state"] == "connected"
            and len(s["streams"]) == 50
            and all(v["history"] == "loaded" for v in s["streams"].values())
            and all(v["state"] in ("normal", "warning", "critical") for v in s["streams"].values())
            and s
        ),
        timeout=30,
        what="connected with the history of every stream",
    )
    conn = body["connection"]
    assert conn["url"].endswith("/ws") and conn["confirmedTopics"] == ["*"]
    stream = body["streams"]["customer.tutor.search"]
    assert stream["history"] == "loaded" and stream["historyError"] is None
    frozen = wait_until(
        lambda: status(dashboard)["process"]["gcFrozenObjects"],
        timeout=10,
        what="the start's objects frozen once the seed is in",
    )
    assert frozen > 10_000
    assert status(dashboard)["process"]["gcEnabled"], "off while starting, on once serving"
    first = datetime.fromisoformat(stream["firstTimestamp"])
    last = datetime.fromisoformat(stream["lastTimestamp"])
    assert timedelta(days=6, hours=23) <= last - first <= timedelta(days=7)
    assert set(body["counters"]) >= {
        "messagesReceived",
        "eventsReceived",
        "duplicatesDropped",
        "malformedMessages",
        "serverErrors",
        "reconnects",
        "catchupEvents",
        "backfilledPoints",
        "gaps",
    }


async def test_embedded_mount_serves_the_websocket_contract(dashboard: Process) -> None:
    """A second client on the dashboard's own /ws subscribes and receives contract events."""
    ws_url = dashboard.url.replace("http://", "ws://") + "/ws"
    async with asyncio.timeout(20), connect(ws_url) as ws:
        await ws.send(json.dumps({"type": "subscribe", "topics": ["customer.*"]}))
        reply = json.loads(await ws.recv())
        assert reply == {"type": "subscribed", "topics": ["customer.*"]}
        events = []
        while len(events) < 5:
            msg = parse_frame(await ws.recv(decode=False))
            if isinstance(msg, EventMessage):
                events.append(msg.data)
            elif isinstance(msg, BatchMessage):
                events.extend(msg.events)
        assert all(e["stream"].startswith("customer.") for e in events)
        assert all(e.get("normalizedValue") is not None and e["id"] and e["seq"] for e in events)


async def test_embedded_mount_serves_the_rest_contract(dashboard: Process) -> None:
    """History, scenarios and state answer on the dashboard's own port."""
    end = datetime.now(UTC)
    async with httpx.AsyncClient(base_url=dashboard.url, timeout=20) as client:
        params = {
            "start": (end - timedelta(hours=6)).isoformat(),
            "end": end.isoformat(),
            "streams": "customer.tutor.search,session.booking.requested",
        }
        history = parse_history(
            (await client.get("/api/simulation/history", params=params)).content
        )
        assert isinstance(history, HistoryResult) and history.shape == "contract"
        assert set(history.streams) == {"customer.tutor.search", "session.booking.requested"}
        assert 70 <= len(history.streams["customer.tutor.search"]) <= 73
        scenarios = (await client.get("/api/simulation/scenarios")).json()["scenarios"]
        assert len(scenarios) >= 4
        state = (await client.get("/api/simulation/state")).json()
        assert state["baselineState"] in ("normal", "custom")
        bad = await client.get("/api/simulation/history", params={"start": "x", "end": "y"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_TIME_RANGE"


def test_page_scripts_are_served_compressed(dashboard: Process) -> None:
    """The page's largest script reaches the browser gzip-compressed (at GZIP_LEVEL), whole."""
    page = httpx.get(dashboard.url + "/", timeout=10).text
    path = re.search(r'"(/_nicegui/[^"]+/quasar\.umd\.prod\.js)"', page)
    assert path, "the page loads Quasar"
    answer = httpx.get(dashboard.url + path.group(1), headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    raw = (Path(nicegui.__file__).parent / "static" / "quasar.umd.prod.js").read_bytes()
    assert answer.content == raw  # httpx decompressed it
    assert answer.num_bytes_downloaded < len(raw) / 2, "sent compressed"


def test_old_live_events_are_rolled_up_while_the_dashboard_runs() -> None:
    """With a 6 s raw window and 1 s buckets the pruner rolls busy seconds up: the status
    counts them and the export marks the kept points with their bucket's event count."""
    proc = start_dashboard(
        "--sim-rate", "50", "--raw-window-minutes", "0.1", "--rollup-bucket-seconds", "1"
    )
    try:
        body = wait_until(
            lambda: (s := status(proc))["storage"]["rolledUpEvents"] > 100 and s,
            timeout=60,
            what="events rolled up",
        )
        assert body["connection"]["state"] == "connected"
        assert body["storage"]["rollupBuckets"] > 0
        export = httpx.get(
            proc.url + "/api/dashboard/export", params={"stream": "api.request.log"}, timeout=10
        ).json()
        rolled = [p for p in export["points"] if p["source"] == "rollup"]
        assert rolled and all(p["rollup"]["events"] > 4 for p in rolled)
        assert all(p["rollup"]["bucketSeconds"] == 1 for p in rolled)
        assert export["points"][-1]["source"] in ("live", "catchup")
        assert not error_lines(proc.log)
    finally:
        proc.stop()


def test_sigterm_stops_cleanly() -> None:
    """SIGTERM ends the process with status 0, every task stopped, no error in the log."""
    proc = start_dashboard()
    wait_until(
        lambda: status(proc)["connection"]["state"] == "connected", timeout=30, what="connected"
    )
    proc.signal(signal.SIGTERM)
    assert proc.popen.returncode == 0
    text = proc.log.read_text("utf-8", "replace")
    assert not error_lines(proc.log), text[-3000:]
    assert "Task was destroyed" not in text and "never awaited" not in text
    assert "disconnected on request" in text  # the upstream link was closed, not dropped


def test_history_answers_over_the_configured_size_are_refused() -> None:
    """``--history-max-mb 0.1``: the week of 50 streams (7.5 MB), then each stream's week
    (0.15 MB) is refused; the error is shown per stream and live data still flows."""
    proc = start_dashboard("--sim-rate", "50", "--topics", "*", "--history-max-mb", "0.1")
    try:
        body = wait_until(
            lambda: (
                (s := status(proc))["streams"].get("customer.tutor.search", {}).get("history")
                == "error"
                and s
            ),
            timeout=30,
            what="history refused",
        )
        stream = body["streams"]["customer.tutor.search"]
        assert "too large" in stream["historyError"] and stream["historyPoints"] == 0
        assert body["connection"]["state"] == "connected"
    finally:
        proc.stop()


def test_a_topic_the_server_does_not_know_is_listed_from_the_start() -> None:
    """--topics naming an unknown stream: listed with no data and its history error."""
    proc = start_dashboard("--topics", "customer.tutor.search,lab.unknown.stream")
    try:
        body = wait_until(
            lambda: (
                (s := status(proc))["streams"].get("lab.unknown.stream", {}).get("history")
                == "error"
                and s["streams"]["lab.unknown.stream"]["state"] == "nodata"
                and s
            ),
            timeout=30,
            what="the unknown stream listed with its history error",
        )
        unknown = body["streams"]["lab.unknown.stream"]
        assert "STREAM_NOT_FOUND" in (unknown["historyError"] or "")
        assert body["streams"]["customer.tutor.search"]["history"] == "loaded"
    finally:
        proc.stop()
