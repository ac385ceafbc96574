"""The interruption ledger on the chart: one shaded band per interruption of a shown stream.

Entries come from the stream store's ledger (:mod:`app.stores.gaps`), labelled there
(:func:`app.stores.gaps.outcome`), so the chart, the status API and the export say the
same. Streams interrupted by one outage share a band: one label line per stream.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.facts import short_name
from app.pages.annotations import Annotation, Tone
from app.stores.gaps import Outcome, outcome
from app.stores.types import Gap

LAYER = "ledger"
TONES: dict[Outcome, Tone] = {
    "recovered": "ok",
    "backfilled": "info",
    "backfilling": "warning",
    "missing": "critical",
}
"""Missing is red; what was recovered or backfilled is quiet."""
MAX_BANDS = 300
"""The newest bands kept on a chart: older interruptions stay in the status API and export."""


def ledger_annotations(entries: Iterable[Gap], shown: Sequence[str]) -> list[Annotation]:
    """Bands for the entries of the ``shown`` streams, one per (window, outcome)."""
    wanted = set(shown)
    groups: dict[tuple[int, int, Outcome], list[tuple[str, str]]] = {}
    for entry in entries:
        if entry.stream not in wanted:
            continue
        kind, label = outcome(entry)
        groups.setdefault((entry.start_ms, entry.end_ms, kind), []).append((entry.stream, label))
    bands: list[Annotation] = []
    for (start, end, kind), items in sorted(groups.items())[-MAX_BANDS:]:
        if len(shown) == 1:
            text = items[0][1]
        else:
            text = "\n".join(f"{short_name(stream)}: {label}" for stream, label in items)
        streams = tuple(stream for stream, _ in items)
        key = f"{LAYER}:{start}:{end}:{kind}"
        bands.append(Annotation(key, start, end, text, TONES[kind], streams))
    return bands
