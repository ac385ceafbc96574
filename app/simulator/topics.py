"""A subscription as the simulator's fan-out sees it: a mask over the catalog. Pure.

The topic rules themselves (grammar, matching, what ``anomalies`` means) live in
:mod:`app.protocol.topics`; this module only precomputes them per catalog stream.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.protocol.topics import ANOMALIES, matches
from app.simulator.catalog import Catalog


@dataclass(frozen=True, slots=True)
class Selection:
    """Which streams a subscription receives; hashable so fan-out can share frames."""

    mask: tuple[bool, ...]
    anomalies: bool

    @property
    def empty(self) -> bool:
        return not self.anomalies and not any(self.mask)

    def wants(self, stream_index: int, flagged: bool) -> bool:
        """True if an event of that stream (flagged or not) goes to this subscription.

        The precomputed form of :func:`app.protocol.topics.delivers`.
        """
        return self.mask[stream_index] or (self.anomalies and flagged)


def select(topics: list[str], catalog: Catalog) -> Selection:
    """The selection of a list of topics over the catalog's streams."""
    names = [t for t in topics if t != ANOMALIES]
    mask = tuple(any(matches(t, s.name) for t in names) for s in catalog.streams)
    return Selection(mask, ANOMALIES in topics)
