"""What the dashboard knows about the marketplace's streams besides the wire.

The names, domains and expected cadence of the 50 streams come from the project's own
catalog (package data shared with the embedded simulator). Pages and the status API read
them through :class:`StreamFacts` on the services object, never from the simulator
package, so an external simulator and the embedded one look the same to them.

Groups (the status grid's sections): the six of the original server, in this order:
customer, tutor, session, support, marketing (``marketing.*`` and ``seo.*``) and system
(``system.*``, ``api.*``, ``database.*``, ``platform.*``, ``payment_gateway.*``). A stream
the catalog does not know goes into a group named by its first segment, after the six.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.protocol.topics import DEFAULT_TOPIC, is_stream_name
from app.simulator.catalog import Catalog, load_catalog
from app.stores.cadence import RateModel

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("customer", ("customer",)),
    ("tutor", ("tutor",)),
    ("session", ("session",)),
    ("support", ("support",)),
    ("marketing", ("marketing", "seo")),
    ("system", ("system", "api", "database", "platform", "payment_gateway")),
)
"""Group name and the first name segments it holds, in display order."""
_GROUP_OF = {segment: name for name, segments in GROUPS for segment in segments}
_GROUP_RANK = {name: i for i, (name, _) in enumerate(GROUPS)}


def group_of(stream: str) -> str:
    """The status-grid group of ``stream`` (its first segment's group, else that segment)."""
    first = stream.split(".", 1)[0]
    return _GROUP_OF.get(first, first)


def short_name(stream: str) -> str:
    """The name inside its group: without the first segment when that is the group's name."""
    first, _, rest = stream.partition(".")
    return rest if rest and first == group_of(stream) else stream


@dataclass(frozen=True, slots=True)
class StreamFacts:
    """The catalog as the dashboard reads it: names, groups, expected cadence."""

    catalog: Catalog
    _order: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_order", {n: i for i, n in enumerate(self.catalog.names)})

    @classmethod
    def packaged(cls) -> StreamFacts:
        """The facts of the packaged catalog."""
        return cls(load_catalog())

    @property
    def names(self) -> list[str]:
        """Every catalog stream, in catalog order."""
        return self.catalog.names

    def default_stream(self, topics: Iterable[str]) -> str:
        """The stream the page opens on: the first topic that names a stream, else the
        marketplace's busiest search stream (``customer.tutor.search``)."""
        return next((t for t in topics if is_stream_name(t)), DEFAULT_TOPIC)

    def rate_model(self, stream: str) -> RateModel | None:
        """Events per second of ``stream`` over time at rate 1 (None: not in the catalog)."""
        entry = self.catalog.get(stream)
        if entry is None:
            return None
        catalog = self.catalog
        return lambda t: entry.base_rate * catalog.seasonal(entry, t)

    def grouped(self, streams: Iterable[str]) -> list[tuple[str, list[str]]]:
        """``streams`` in their groups, in a stable order: the six groups first, catalog
        order within a group, streams the catalog does not know after, by name."""
        groups: dict[str, list[str]] = {}
        for name in dict.fromkeys(streams):
            groups.setdefault(group_of(name), []).append(name)
        last = len(self._order)
        for members in groups.values():
            members.sort(key=lambda n: (self._order.get(n, last), n))
        rank = len(_GROUP_RANK)
        return sorted(groups.items(), key=lambda g: (_GROUP_RANK.get(g[0], rank), g[0]))
