"""Context for the chart: what the simulator says is going on besides the streams: the
state poller (one task reading ``GET /api/simulation/state``), scenario control, and the
expected-against-observed impact of external events."""
