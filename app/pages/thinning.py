"""What a tab is sent of a long series: about two points per pixel column of the chart.

A busy stream holds tens of thousands of points for its week (roll-ups, the raw window);
a tab has about a thousand pixel columns to draw them in. A series longer than
:data:`SEND_WHOLE` rows is therefore sent thinned, as Grafana's "max data points = panel
width" does: in the window on screen, the lowest and the highest row of each of
:data:`COLUMNS` time columns (so a spike or a dip always survives); outside it, those of a
quarter as many columns (enough to pan until the browser asks for more). Breaks (rows
without a value) and the first and last rows are always kept, and every row sent is one of
the series' own, so a tooltip never shows a made-up value.

When the operator zooms, the tab asks for the rows of its new window (:func:`detail`) at
its own width, and splices them in: the finest points arrive only for the range looked at.
Live appends are never thinned.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from app.pages.series import Row

SEND_WHOLE = 4000
"""Series up to this many rows are sent whole."""
COLUMNS = 1200
"""Time columns across the window on screen when the tab's width is not known yet."""
MAX_COLUMNS = 4000
"""Most columns a tab may ask for (a 4K screen is 3,840 pixels wide)."""


def thin(rows: Sequence[Row], window: tuple[int, int] | None, columns: int = COLUMNS) -> list[Row]:
    """``rows`` (in time order) as sent on a reset: whole when short, else thinned with
    ``columns`` columns across ``window`` (None: the whole series) and a quarter outside."""
    n = len(rows)
    if n <= SEND_WHOLE:
        return list(rows)
    stamps = [r.ts_ms for r in rows]
    a, b = 1, n - 1
    if window is not None:
        a = min(max(1, bisect_left(stamps, window[0])), n - 1)
        b = min(max(a, bisect_left(stamps, window[1] + 1)), n - 1)
    out = [rows[0]]
    outside = max(1, columns // 4)
    _reduce_into(out, rows, a=1, b=a, columns=outside)
    _reduce_into(out, rows, a=a, b=b, columns=columns)
    _reduce_into(out, rows, a=b, b=n - 1, columns=outside)
    out.append(rows[-1])
    return out


def detail(rows: Sequence[Row], columns: int) -> list[Row]:
    """The rows of a zoomed window (all of them in it), about two per column."""
    columns = max(1, min(columns, MAX_COLUMNS))
    if len(rows) <= 2 * columns + 2:
        return list(rows)
    out = [rows[0]]
    _reduce_into(out, rows, a=1, b=len(rows) - 1, columns=columns)
    out.append(rows[-1])
    return out


def _reduce_into(out: list[Row], rows: Sequence[Row], *, a: int, b: int, columns: int) -> None:
    """Append the lowest and the highest row of each time column of ``rows[a:b]`` (in time
    order) and every break."""
    if b <= a:
        return
    start = rows[a].ts_ms
    width = max(1.0, (rows[b - 1].ts_ms - start) / columns)
    column, last = -1, columns - 1
    lo: Row | None = None
    hi: Row | None = None
    lo_v = hi_v = 0.0
    for i in range(a, b):
        r = rows[i]
        value = r.normalized
        if value is None:
            _flush(out, lo, hi)
            lo = hi = None
            out.append(r)
            continue
        c = min(last, int((r.ts_ms - start) / width))
        if c != column:
            _flush(out, lo, hi)
            lo = hi = None
            column = c
        if lo is None or value < lo_v:
            lo, lo_v = r, value
        if hi is None or value > hi_v:
            hi, hi_v = r, value
    _flush(out, lo, hi)


def _flush(out: list[Row], lo: Row | None, hi: Row | None) -> None:
    if lo is None or hi is None:
        return
    if lo is hi:
        out.append(lo)
    elif lo.ts_ms <= hi.ts_ms:
        out.extend((lo, hi))
    else:
        out.extend((hi, lo))
