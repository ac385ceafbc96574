"""The status API body: each figure read from its one home."""

from __future__ import annotations

import json
import time

from app.config import Settings
from app.protocol import StreamEvent, iso_utc, ms_datetime
from app.services import Services
from app.status import status_body


async def test_counters_come_from_the_store_that_decides_them() -> None:
    """Duplicates, gaps and backfilled points are the stream store's; events the link's."""
    services = Services.create(Settings(show=False))
    try:
        now = int(time.time() * 1000)
        event = StreamEvent(
            stream="customer.tutor.search",
            timestamp=ms_datetime(now - 5_000),
            normalizedValue=50.0,
            id="e1",
        )
        services.streams.add_events([event, event])
        services.streams.record_gap("customer.tutor.search", now - 60_000, now - 30_000)
        services.streams.record_recovered("customer.tutor.search", now - 20_000, now - 18_000, 3)
        services.connection.count_events(2)
        body = json.loads(json.dumps(status_body(services)))
        counters = body["counters"]
        assert counters["duplicatesDropped"] == 1
        assert counters["gaps"] == 1  # a recovered outage is in the ledger, not a gap
        ledger = body["interruptions"]
        assert ledger["count"] == 2
        assert ledger["byOutcome"] == {"backfilling": 1, "recovered": 1}
        newest = ledger["entries"][0]
        assert newest["label"] == "recovered by catch-up (3 events)" and newest["seconds"] == 2.0
        assert newest["start"].endswith("Z")
        assert counters["backfilledPoints"] == 0
        assert counters["eventsReceived"] == 2
        assert body["connection"]["state"] == "disconnected"
        assert body["streams"]["customer.tutor.search"]["livePoints"] == 1
        assert body["process"]["rssBytes"] > 0
        storage = body["storage"]
        assert storage["points"] == sum(
            len(services.streams.series(n)) for n in services.streams.stream_names()
        )
        assert storage["rolledUpEvents"] == storage["rollupBuckets"] == 0
        assert storage["rawWindowSeconds"] == 3600 and storage["rollupBucketSeconds"] == 60
    finally:
        await services.http.aclose()


async def test_external_section_reads_the_store_and_the_poller() -> None:
    """Count, per-source figures, the state endpoint's availability, refusals by kind."""
    services = Services.create(Settings(show=False, state_interval=2.5))
    try:
        now = int(time.time() * 1000)
        good = {
            "id": "e1",
            "timestamp": iso_utc(now - 60_000),
            "type": "marketing",
            "severity": "info",
        }
        services.external.add([good, {"title": "no id"}], "history")
        services.external.add([good], "scenario")
        services.state_poller.status.availability = "absent"
        services.state_poller.status.last_error = "no state endpoint"
        external = json.loads(json.dumps(status_body(services)))["external"]
        assert external["count"] == 1
        assert external["sources"]["history"] == {"events": 1, "received": 2, "loaded": False}
        assert external["sources"]["scenario"] == {"events": 1, "received": 1}
        state = external["sources"]["state"]
        assert (state["availability"], state["lastError"], state["intervalSeconds"]) == (
            "absent",
            "no state endpoint",
            2.5,
        )
        assert external["rejectedByKind"] == {"missing_id": 1}
        assert external["notedByKind"] == {}
    finally:
        await services.http.aclose()


async def test_scenario_section_reads_the_scenario_store() -> None:
    """Active scenario with its times, settling until, read-only, the last error."""
    services = Services.create(Settings(show=False, read_only=True))
    try:
        store = services.scenarios.store
        assert status_body(services)["scenario"] == {
            "active": None,
            "settling": None,
            "settlingUntil": None,
            "readOnly": True,
            "scenarios": 0,
            "lastError": None,
        }
        store.apply_started({"scenario": {"id": "x", "name": "X", "duration": 60}}, "x")
        store.apply_stopped({"success": True, "settlingUntil": "2030-01-01T00:00:00Z"})
        store.apply_started({"scenario": {"id": "y", "name": "Y"}}, "y")
        store.fail("stop", "Could not stop the scenario: no")
        section = json.loads(json.dumps(status_body(services)))["scenario"]
        assert section["active"]["id"] == "y" and section["active"]["endsAt"] is None
        assert section["settling"] == {"id": "x", "name": "X"}
        assert section["settlingUntil"] == "2030-01-01T00:00:00.000Z"
        assert section["lastError"] == {
            "action": "stop",
            "message": "Could not stop the scenario: no",
        }
    finally:
        await services.http.aclose()
