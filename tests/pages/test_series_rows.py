"""The one translation from store points to chart rows, wire rows and the export."""

from __future__ import annotations

import csv
import io

from app.pages.series import (
    Rollups,
    Row,
    chart_rows,
    export_csv,
    export_points,
    wire_rows,
    zone,
)
from app.stores.streams import Point
from app.stores.types import Source

T0 = 1_764_115_200_000  # 2025-11-26T00:00:00Z


def _points() -> list[Point]:
    return [
        Point(T0, 50.0, "normal", Source.HISTORY),
        Point(T0 + 1000, 72.5, "warning", Source.LIVE, 12.5),
        Point(T0 + 2000, None, None, Source.GAP),
        Point(T0 + 3000, 95.0, "critical", Source.BACKFILL),
        Point(T0 + 3000, 40.0, "normal", Source.CATCHUP),
    ]


def test_rows_keep_order_sources_and_breaks() -> None:
    """Every point becomes a row; a gap is a row without value or flag."""
    rows = chart_rows(_points())
    assert rows == [
        Row(T0, 50.0, "normal", "history"),
        Row(T0 + 1000, 72.5, "warning", "live", 12.5),
        Row(T0 + 2000, None, None, "gap"),
        Row(T0 + 3000, 95.0, "critical", "backfill"),
        Row(T0 + 3000, 40.0, "normal", "catchup"),
    ]


def test_rows_never_go_back_in_time() -> None:
    """Rows older than the newest shown (or than the row before) are dropped."""
    points = _points()
    assert chart_rows(points, after_ms=T0 + 1500) == chart_rows(points)[2:]
    shuffled = [points[1], points[0], points[3]]
    assert [r.ts_ms for r in chart_rows(shuffled)] == [T0 + 1000, T0 + 3000]


def test_wire_rows_are_compact_codes() -> None:
    """Rows go to the browser as [ts, value, source code, flag code, raw]."""
    rows = chart_rows(_points())
    assert wire_rows(rows) == [
        (T0, 50.0, 0, 0, None),
        (T0 + 1000, 72.5, 1, 1, 12.5),
        (T0 + 2000, None, 4, -1, None),
        (T0 + 3000, 95.0, 3, 2, None),
        (T0 + 3000, 40.0, 2, 0, None),
    ]


def test_export_json_points() -> None:
    """JSON points use ISO 8601 (UTC by default, else the zone's offset) and the contract's
    field names, with the raw value."""
    points = export_points(chart_rows(_points()))
    assert points[0] == {
        "timestamp": "2025-11-26T00:00:00.000Z",
        "normalized": 50.0,
        "raw": None,
        "anomalyFlag": "normal",
        "source": "history",
    }
    assert points[2] == {
        "timestamp": "2025-11-26T00:00:02.000Z",
        "normalized": None,
        "raw": None,
        "anomalyFlag": None,
        "source": "gap",
    }
    _, berlin = zone("Europe/Berlin")
    assert export_points(chart_rows(_points()), berlin)[1]["timestamp"] == (
        "2025-11-26T01:00:01.000+01:00"
    )
    assert zone("Not/A_Zone")[0] == zone(None)[0] == "UTC"


def test_export_csv_has_header_and_same_rows() -> None:
    """CSV has a header row and the same values as the JSON export."""
    rows = chart_rows(_points())
    parsed = list(csv.DictReader(io.StringIO(export_csv({"a.b": rows}))))
    assert len(parsed) == len(rows)
    assert parsed[1] == {
        "stream": "a.b",
        "timestamp": "2025-11-26T00:00:01.000Z",
        "normalized": "72.5",
        "raw": "12.5",
        "anomalyFlag": "warning",
        "source": "live",
        "rollupBucketStart": "",
        "rollupEvents": "",
    }
    assert parsed[2]["normalized"] == "" and parsed[2]["source"] == "gap"


def test_a_roll_up_point_says_which_bucket_it_stands_for_and_its_events() -> None:
    """JSON and CSV both name a roll-up point's bucket and its count; other points do not."""
    points = [
        Point(T0 + 61_000, 12.0, "critical", Source.ROLLUP, 3.0),
        Point(T0 + 119_000, 55.0, "normal", Source.ROLLUP),
        Point(T0 + 120_500, 50.0, "normal", Source.LIVE),
    ]
    rollups = Rollups(60_000, {T0 + 60_000: 840})
    json_points = export_points(chart_rows(points), rollups=rollups)
    assert json_points[0]["rollup"] == {
        "bucketStart": "2025-11-26T00:01:00.000Z",
        "bucketSeconds": 60.0,
        "events": 840,
    }
    assert json_points[1]["rollup"] == json_points[0]["rollup"]
    assert "rollup" not in json_points[2]
    parsed = list(
        csv.DictReader(
            io.StringIO(export_csv({"a.b": chart_rows(points)}, rollups={"a.b": rollups}))
        )
    )
    assert [(r["source"], r["rollupBucketStart"], r["rollupEvents"]) for r in parsed] == [
        ("rollup", "2025-11-26T00:01:00.000Z", "840"),
        ("rollup", "2025-11-26T00:01:00.000Z", "840"),
        ("live", "", ""),
    ]
