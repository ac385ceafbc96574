"""Thinning: a long series is sent at about two rows a column, fine in the window on screen,
with its extremes, breaks, first and last rows; a short one is sent whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.pages.series import Row
from app.pages.thinning import COLUMNS, SEND_WHOLE, detail, thin

T0 = 1_764_115_200_000


def rows(values: list[float | None], step: int = 1000) -> list[Row]:
    return [Row(T0 + i * step, v, "normal", "live") for i, v in enumerate(values)]


def test_a_short_series_goes_whole() -> None:
    series = rows([50.0] * SEND_WHOLE)
    assert thin(series, None) == series


def test_a_long_series_keeps_extremes_breaks_and_both_ends() -> None:
    values: list[float | None] = [50.0 + (i % 7) for i in range(40_000)]
    values[123] = 1.0
    values[30_001] = 99.0
    values[20_000] = None
    series = rows(values)
    sent = thin(series, None)
    assert len(sent) <= 2 * COLUMNS + 3
    assert sent[0] == series[0] and sent[-1] == series[-1]
    assert series[123] in sent and series[30_001] in sent and series[20_000] in sent
    assert [r.ts_ms for r in sent] == sorted(r.ts_ms for r in sent)


def test_the_window_on_screen_is_fine_and_the_rest_coarse() -> None:
    series = rows([50.0 + (i * 7919 % 13) for i in range(100_000)])
    window = (series[90_000].ts_ms, series[-1].ts_ms)
    sent = thin(series, window, columns=1000)
    inside = [r for r in sent if r.ts_ms >= window[0]]
    outside = [r for r in sent if r.ts_ms < window[0]]
    assert 1500 <= len(inside) <= 2 * 1000 + 1
    assert len(outside) <= 2 * 250 + 1


def test_a_zoomed_window_gets_every_row_or_two_per_column() -> None:
    few = rows([50.0] * 300)
    assert detail(few, 200) == few
    many = rows([float(i % 100) for i in range(10_000)])
    sent = detail(many, 200)
    assert len(sent) <= 2 * 200 + 2
    assert {r.normalized for r in sent} >= {0.0, 99.0}


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=1, max_size=3000),
    gaps=st.lists(st.integers(1, 10_000), min_size=1, max_size=50),
    columns=st.integers(1, 300),
)
def test_every_column_keeps_its_lowest_and_highest_row(
    values: list[float | None], gaps: list[int], columns: int
) -> None:
    ts, series = T0, []
    for i, v in enumerate(values):
        ts += gaps[i % len(gaps)]
        series.append(Row(ts, v, None, "live"))
    sent = detail(series, columns)
    assert len(sent) <= max(len(series), 2 * columns + 2 + values.count(None))
    assert all(r in sent for r in series if r.normalized is None)
    kept = [r.normalized for r in sent if r.normalized is not None]
    present = [v for v in values if v is not None]
    if present:
        assert min(kept) == min(present) and max(kept) == max(present)
    assert [r.ts_ms for r in sent] == sorted(r.ts_ms for r in sent)
