"""The embedded AI Mock Simulator: 50 marketplace streams over PROTOCOL.md's WebSocket and REST.

Modules: ``catalog`` (streams and patterns, from the packaged catalog.json), ``world``
(noise, world events, anomalies), ``scenarios``, ``model`` (lambda(stream, t)),
``generator`` (events of a slot), ``history``; I/O in ``engine`` (the one generator task),
``ws``, ``rest``, ``app`` (standalone app / mount), ``__main__`` (the command).

Model. lambda(stream, t) = eventsPerDay/86400 x time-of-day x day-of-week (UTC hours,
JavaScript weekday numbers, only where the catalog's flags say so) x a world factor (smooth
noise, world events, spontaneous anomalies; constant per 5-minute cell, a pure function of
the seed) x the scenario multiplier. ``rate`` multiplies how many events are emitted, not
the values they carry: it is a load knob.

Normalization. ``value`` (history points, and ``data.value`` of live events) is lambda as
events per 5-minute bucket at rate 1. It is normalized against the SEASONAL expectation:
z = (lambda - expected(t)) / (expected(t) * variance), expected including time-of-day and
day-of-week, then ``normalized = clamp(50 + 15 z, 0, 100)`` and the flag from |z| (1, 2) as
PROTOCOL.md says. So quiet nights are not "critical": the chart hovers around 50 and world
events, anomalies and scenarios stand out. A live event's ``normalizedValue`` is computed
from the same lambda as the 5-minute history bucket it falls in, so both agree (up to a
scenario's ramp inside the bucket). ``baselineStats`` (mean, stdDev, percentiles...) are
statistics of the history values actually returned, daily swings included; a client that
re-normalizes with them gets a different, non-seasonal scale.

Identity. Events are a pure function of (seed, rate, stream, slot, scenario runs): a
restarted simulator with the same seed regenerates the same events with the same
``id`` = ``"<stream>:<epoch ms>:<k>"`` and ``seq`` = ``epoch_ms * 10**6 + stream_index *
10**4 + k``; it also pre-fills its catch-up buffer for the last window at start, so it can
replay the last 5 minutes right after a restart. ``seq`` is strictly increasing on the live
flow of one server and, coming from time, never goes backwards across restarts. It exceeds
2**53: exact in Python, not in a JavaScript Number.

Flow control. Events are flushed every ``flush_interval_s`` (one event: ``event``; more:
``batch`` frames of at most ``max_batch_events``). Each client has its own queue and sender;
a client whose unsent frames exceed ``max_client_queue_bytes`` is closed with 1008. A client
frame over ``max_client_frame_bytes`` (1 MiB) closes the link with 1009 (uvicorn's
``ws_max_size`` does it first when set by ``uvicorn_options``). Other bad input gets an
``error`` frame (INVALID_JSON, INVALID_MESSAGE, UNKNOWN_TYPE, INVALID_TOPICS,
INVALID_TIMESTAMP) and the link stays open.

Heartbeat. Protocol pings come from uvicorn's wsproto keepalive (ASGI cannot send pings):
run with ``ws='wsproto'`` and ``SimulatorConfig.uvicorn_options()`` (which also turns
per-message deflate off: compressing every client's event flow costs more CPU than it saves).
"""

from __future__ import annotations

from app.simulator.app import create_app, mount, serve_options
from app.simulator.config import SimulatorConfig
from app.simulator.service import Simulator

__all__ = ["Simulator", "SimulatorConfig", "create_app", "mount", "serve_options"]
