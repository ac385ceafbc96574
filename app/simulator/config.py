"""The simulator's settings in one frozen dataclass, with the uvicorn options they imply."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.config import Settings

Clock = Callable[[], float]
"""Returns the current time as epoch seconds."""


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """Every knob of the simulator; ``clock`` is injectable so tests can choose the time."""

    seed: int = 7
    rate: float = 1.0
    """Multiplies how many events are emitted (a load knob); event values stay at rate 1."""
    ping_interval: float = 30.0
    ping_timeout: float = 60.0
    """A link that has not answered a ping for this long is closed (1011)."""
    catchup_window_s: float = 300.0
    catchup_max_per_stream: int = 1000
    flush_interval_s: float = 0.1
    max_client_frame_bytes: int = 1024 * 1024
    max_client_queue_bytes: int = 16 * 1024 * 1024
    """A client whose unsent frames exceed this is closed with 1008 (it is too slow)."""
    max_batch_events: int = 2000
    max_gap_s: float = 10.0
    """After a stall longer than this, the generator skips ahead instead of catching up."""
    history_max_days: float = 31.0
    history_max_points: int = 200_000
    """Points (buckets x streams) of one answer: 7 days of all 50 streams is 100,800 (~7 MB
    of JSON); 200,000 is ~14 MB and ~45 MB while it is built. Larger asks get 400."""
    history_max_concurrent: int = 2
    """History answers built or being sent at once; more get 429 with Retry-After."""
    scenario_time_scale: float = 1.0
    """Multiplies scenario durations, ramps and settling (tests use small values)."""
    prefill: bool = True
    clock: Clock = field(default=time.time, compare=False)

    def __post_init__(self) -> None:
        checks = {
            "rate": 0 < self.rate <= 100_000,
            "ping_interval": self.ping_interval > 0,
            "ping_timeout": self.ping_timeout > 0,
            "catchup_window_s": self.catchup_window_s > 0,
            "catchup_max_per_stream": self.catchup_max_per_stream >= 1,
            "flush_interval_s": 0.005 <= self.flush_interval_s <= 10,
            "max_client_frame_bytes": self.max_client_frame_bytes >= 1024,
            "max_client_queue_bytes": self.max_client_queue_bytes >= 1024,
            "max_batch_events": self.max_batch_events >= 1,
            "max_gap_s": self.max_gap_s > 0,
            "history_max_days": self.history_max_days > 0,
            "history_max_points": self.history_max_points >= 1,
            "history_max_concurrent": self.history_max_concurrent >= 1,
            "scenario_time_scale": self.scenario_time_scale > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid simulator setting {bad[0]}={getattr(self, bad[0])!r}")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> SimulatorConfig:
        """The embedded simulator's config from the dashboard's settings."""
        values: dict[str, Any] = {
            "seed": settings.sim_seed,
            "rate": settings.sim_rate,
            "ping_interval": settings.sim_ping_interval,
            "ping_timeout": settings.sim_ping_timeout,
            "catchup_window_s": settings.sim_catchup_window,
        }
        values.update(overrides)
        return cls(**values)

    @property
    def uvicorn_ping_timeout(self) -> float:
        """uvicorn waits this long for a pong after each ping.

        uvicorn pings ``ping_interval`` after the last pong, so waiting
        ``ping_timeout - ping_interval`` closes a link ``ping_timeout`` after its last pong
        (PROTOCOL.md: 30 s pings, closed after 60 s without a pong). When ``ping_timeout``
        is not longer than ``ping_interval``, each ping simply gets ``ping_timeout``.
        """
        if self.ping_timeout > self.ping_interval:
            return self.ping_timeout - self.ping_interval
        return self.ping_timeout

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments for ``uvicorn.Config`` or NiceGUI's ``ui.run``.

        They set the protocol-level keepalive, the inbound frame limit and compression of
        EVERY WebSocket on that server. Per-message deflate is off: compressing a few MB/s of
        small JSON events per client costs more CPU than a local link saves. ``ws='wsproto'``
        is not included: NiceGUI already passes it; ``serve_options`` adds it standalone.
        """
        return {
            "ws_ping_interval": self.ping_interval,
            "ws_ping_timeout": self.uvicorn_ping_timeout,
            "ws_max_size": self.max_client_frame_bytes,
            "ws_per_message_deflate": False,
        }
