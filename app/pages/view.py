"""What one tab shows, as it lives in the URL: ``/?streams=a,b&range=24h``. Pure.

A link opens the same view, and Back steps through the views a tab had: every change is
pushed as a new URL and a ``popstate`` brings the older one back. Anything in the URL that
is not a stream name the dashboard knows, or not one of the ranges, is left out; the page
never shows a stream that was not asked for in place of one that was.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlencode

from app.protocol.topics import is_stream_name

MAX_STREAMS: Final = 6
RANGES: Final[dict[str, int]] = {
    "1h": 3_600_000,
    "6h": 6 * 3_600_000,
    "24h": 24 * 3_600_000,
    "7d": 7 * 24 * 3_600_000,
}
DEFAULT_RANGE: Final = "7d"


@dataclass(frozen=True, slots=True)
class View:
    """The streams on the chart (1 to 6, in legend order) and the range preset (None: a free
    zoom)."""

    streams: tuple[str, ...]
    range: str | None = DEFAULT_RANGE

    def query(self) -> str:
        """The URL of this view: ``/?streams=a,b&range=24h``."""
        params = {"streams": ",".join(self.streams)}
        if self.range is not None:
            params["range"] = self.range
        return "/?" + urlencode(params, safe=",")

    def showing(self, stream: str, add: bool) -> View:
        """The view after a click on ``stream``: only it, or (``add``) it added or removed.

        Adding a seventh stream drops the oldest; removing the last one keeps it.
        """
        if not add:
            return View((stream,), self.range)
        if stream in self.streams:
            rest = tuple(s for s in self.streams if s != stream)
            return View(rest or self.streams, self.range)
        return View((*self.streams, stream)[-MAX_STREAMS:], self.range)

    def adding(self, streams: Sequence[str]) -> View:
        """The view with ``streams`` added after the ones shown; past six, the oldest shown
        ones make room (and only the first six of ``streams`` fit)."""
        wanted = tuple(dict.fromkeys(streams))[:MAX_STREAMS]
        kept = [s for s in self.streams if s not in wanted]
        room = MAX_STREAMS - len(wanted)
        return View((*(kept[-room:] if room else ()), *wanted), self.range)


def parse_view(
    query: str | None,
    known: Container[str],
    default_stream: str,
    legacy_stream: str | None = None,
) -> View:
    """The view a URL query asks for; unknown streams and ranges are dropped.

    ``?stream=NAME`` (one stream) is still understood. With no usable stream the view shows
    ``default_stream``.
    """
    params = parse_qs((query or "").lstrip("?"), max_num_fields=16)
    raw: list[str] = []
    for value in params.get("streams", []):
        raw.extend(value.split(","))
    raw.extend(params.get("stream", []))
    if legacy_stream:
        raw.append(legacy_stream)
    streams = _usable(raw, known)
    ranges = [r for r in params.get("range", []) if r in RANGES]
    return View(streams or (default_stream,), ranges[0] if ranges else DEFAULT_RANGE)


def _usable(names: Iterable[str], known: Container[str]) -> tuple[str, ...]:
    wanted = [n.strip() for n in names]
    kept = [n for n in dict.fromkeys(wanted) if is_stream_name(n) and n in known]
    return tuple(kept[:MAX_STREAMS])
