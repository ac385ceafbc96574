"""The event counts of a stream's rolled-up buckets (see :mod:`app.stores.rollup`)."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right


class Buckets:
    """Start and event count of each rolled bucket of one stream, in time order."""

    __slots__ = ("counts", "starts")

    def __init__(self) -> None:
        self.starts = array("q")
        self.counts = array("q")

    def __len__(self) -> int:
        return len(self.starts)

    def get(self, start: int) -> int:
        """Events bucket ``start`` stands for (0: not rolled)."""
        i = bisect_left(self.starts, start)
        return self.counts[i] if i < len(self.starts) and self.starts[i] == start else 0

    def put(self, start: int, count: int) -> None:
        i = bisect_left(self.starts, start)
        if i < len(self.starts) and self.starts[i] == start:
            self.counts[i] = count
        else:
            self.starts.insert(i, start)
            self.counts.insert(i, count)

    def forget_before(self, ms: int) -> None:
        """Drop the buckets wholly before ``ms`` (the oldest point kept): all that start
        before it but the last, which may still hold points."""
        i = bisect_right(self.starts, ms) - 1
        if i > 0:
            del self.starts[:i], self.counts[:i]

    def items(self) -> dict[int, int]:
        """``{bucket start ms: events}`` (a copy)."""
        return dict(zip(self.starts, self.counts, strict=True))
