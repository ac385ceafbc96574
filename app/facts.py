"""What the dashboard knows about the marketplace's streams besides the wire.

The names, domains and expected cadence of the 50 streams come from the project's own
catalog (package data shared with the embedded simulator). Pages and the status API read
them through :class:`StreamFacts` on the services object, never from the simulator
package, so an external simulator and the embedded one look the same to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.simulator.catalog import Catalog, load_catalog


@dataclass(frozen=True, slots=True)
class StreamFacts:
    """The catalog as the dashboard reads it: names, domains, expected cadence."""

    catalog: Catalog

    @classmethod
    def packaged(cls) -> StreamFacts:
        """The facts of the packaged catalog."""
        return cls(load_catalog())

    @property
    def names(self) -> list[str]:
        """Every catalog stream, in catalog order."""
        return self.catalog.names

    def expected_interval_s(self, stream: str, now: float) -> float | None:
        """Mean seconds between events of ``stream`` at ``now`` per the catalog (None: unknown)."""
        entry = self.catalog.get(stream)
        if entry is None:
            return None
        rate = entry.base_rate * self.catalog.seasonal(entry, now)
        return 1.0 / rate if rate > 0 else None
