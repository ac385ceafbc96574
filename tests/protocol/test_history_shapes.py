"""History bodies: the contract's shape, the original server's shape, errors of both kinds."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from app.protocol import HistoryResult, ProtocolError, flag_for, parse_error_body, parse_history

CONTRACT = {
    "timeRange": {"start": "2026-11-19T00:00:00Z", "end": "2026-11-26T00:00:00Z"},
    "streams": {
        "customer.tutor.search": [
            {"timestamp": "2026-11-19T00:05:00Z", "value": 30, "normalized": 80},
            {"timestamp": "2026-11-19T00:00:00Z", "value": 28, "normalized": 50},
        ]
    },
    "events": [
        {
            "id": "ext-1",
            "timestamp": "2026-11-20T09:00:00Z",
            "type": "marketing",
            "title": "Campaign",
            "description": "Spring push",
            "severity": "info",
            "expectedImpact": {
                "streams": ["customer.tutor.search"],
                "direction": "increase",
                "magnitude": "high",
                "duration": "2h",
            },
            "icon": "megaphone",
        }
    ],
    "baselineStats": {
        "customer.tutor.search": {
            "name": "customer.tutor.search",
            "mean": 28,
            "median": 27,
            "stdDev": 4,
            "min": 5,
            "max": 60,
            "percentiles": {"p25": 20, "p50": 27, "p75": 33, "p90": 40, "p95": 45},
            "patterns": {
                "weekdayAvg": 27,
                "weekendAvg": 34,
                "trend": "stable",
                "seasonality": "daily",
            },
        }
    },
}

ORIGINAL = {
    "start": "2026-11-19T00:00:00Z",
    "end": "2026-11-26T00:00:00Z",
    "streams": ["customer.tutor.search"],
    "data": {
        "customer.tutor.search": {
            "events": [
                {
                    "stream": "customer.tutor.search",
                    "timestamp": "2026-11-19T12:00:00Z",
                    "data": {"value": 31.5},
                    "normalizedValue": 25,
                },
                {
                    "stream": "customer.tutor.search",
                    "timestamp": "2026-11-19T00:00:00Z",
                    "data": {"subject": "math"},
                    "normalizedValue": 55,
                    "anomalyFlag": "normal",
                },
            ],
            "baseline": None,
        }
    },
}


def test_contract_shape() -> None:
    """Contract points come out sorted, with flags derived from the normalized value."""
    result = parse_history(json.dumps(CONTRACT))
    assert isinstance(result, HistoryResult) and result.shape == "contract"
    samples = result.streams["customer.tutor.search"]
    assert [s.normalized for s in samples] == [50, 80]
    assert [s.flag for s in samples] == ["normal", "critical"]
    assert samples[0].ts_ms < samples[1].ts_ms
    assert result.events[0]["title"] == "Campaign"
    assert result.baselines["customer.tutor.search"].std_dev == 4


def test_a_bad_external_event_costs_only_itself() -> None:
    """External events are handed on raw; one without an id leaves the history usable."""
    body = {**CONTRACT, "events": [{"title": "no id"}, *CONTRACT["events"]]}  # type: ignore[list-item]
    result = parse_history(json.dumps(body))
    assert isinstance(result, HistoryResult) and result.shape == "contract"
    assert [e.get("id") for e in result.events] == [None, "ext-1"]
    assert len(result.streams["customer.tutor.search"]) == 2


def test_original_shape() -> None:
    """The original's full-event points normalize into the same samples."""
    result = parse_history(json.dumps(ORIGINAL).encode())
    assert isinstance(result, HistoryResult) and result.shape == "original"
    samples = result.streams["customer.tutor.search"]
    assert [(s.normalized, s.value, s.flag) for s in samples] == [
        (55, None, "normal"),
        (25, 31.5, "warning"),
    ]
    assert result.baselines == {}


def test_wrong_shapes_and_invalid_json() -> None:
    """Bodies of neither shape, or not JSON, become ProtocolErrors that say so."""
    not_json = parse_history(b"<html>oops</html>")
    assert isinstance(not_json, ProtocolError) and not_json.kind == "invalid_json"
    for body in ([], {"streams": 5}, {"data": []}, {"streams": [{"value": 1}]}):
        result = parse_history(json.dumps(body))
        assert isinstance(result, ProtocolError) and result.kind == "invalid_shape"
        assert "neither known shape" in result.detail


def test_error_bodies_of_both_shapes() -> None:
    """REST errors parse from the contract's object and the original's plain text."""
    assert parse_error_body(
        b'{"error": {"code": "INVALID_TIME_RANGE", "message": "end < start"}}'
    ) == (
        "INVALID_TIME_RANGE",
        "end < start",
    )
    assert parse_error_body(b'{"error": "Stream not found"}') == (None, "Stream not found")
    assert parse_error_body(b"Bad Gateway") is None
    assert parse_error_body(b'{"detail": "x"}') is None


def test_flag_thresholds() -> None:
    """Flags follow |z| < 1 normal, < 2 warning, else critical (15 points of normalized per z)."""
    assert [flag_for(v) for v in (50, 64.9, 35.1, 65, 79.9, 80, 20, 0, 100)] == [
        "normal",
        "normal",
        "normal",
        "warning",
        "warning",
        "critical",
        "critical",
        "critical",
        "critical",
    ]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_no_bytes_make_the_history_parser_raise(raw: bytes) -> None:
    """Arbitrary bytes give a HistoryResult or a ProtocolError."""
    parse_history(raw)
    parse_error_body(raw)


def _contract(points: list[dict[str, object]]) -> str:
    return json.dumps({"streams": {"s.x": points}})


def test_contract_points_sorted_stably_with_flags_and_shared_timestamps() -> None:
    """Unsorted points are sorted by time, equal times keep their order; flags per value."""
    t0, t5 = "2026-11-19T00:00:00Z", "2026-11-19T00:05:00.000Z"
    body = _contract(
        [
            {"timestamp": t5, "value": 1, "normalized": 90},
            {"timestamp": t0, "value": 2, "normalized": None},
            {"timestamp": t5, "value": 3, "normalized": 70, "extra": "ignored"},
            {"timestamp": t0},
        ]
    )
    result = parse_history(body)
    assert isinstance(result, HistoryResult)
    samples = result.streams["s.x"]
    assert [(s.value, s.normalized, s.flag, s.id) for s in samples] == [
        (2.0, None, None, None),
        (None, None, None, None),
        (1.0, 90.0, "critical", None),
        (3.0, 70.0, "warning", None),
    ]
    assert [s.ts_ms for s in samples] == [1795046400000] * 2 + [1795046700000] * 2


def test_contract_timestamps_must_be_iso_8601_strings() -> None:
    """Offsets and naive (UTC) ISO strings are kept; numbers and digit strings are refused
    and counted, one point each, and the good points around them stay."""
    body = _contract(
        [
            {"timestamp": "2026-11-19T02:00:00+02:00", "normalized": 50},
            {"timestamp": "2026-11-19T00:00:01", "normalized": 50},
            {"timestamp": 1795046402, "normalized": 50},
            {"timestamp": "1795046403000", "normalized": 50},
            {"timestamp": "2026-11-19T00:00:04Z", "normalized": 50},
        ]
    )
    result = parse_history(body)
    assert isinstance(result, HistoryResult)
    assert [s.ts_ms for s in result.streams["s.x"]] == [
        1795046400000,
        1795046401000,
        1795046404000,
    ]
    assert result.rejected == {"bad_timestamp": 2}


def test_contract_refuses_bad_points_alone_and_non_finite_numbers() -> None:
    """A point with an unusable timestamp costs that point (counted); NaN and infinities,
    which JSON does not have, still refuse the body."""
    good = {"timestamp": "2026-11-19T00:00:00Z", "normalized": 50}
    for bad in (
        {"timestamp": "yesterday"},
        {"timestamp": None},
        {"timestamp": True},
        {"timestamp": [1]},
        {"normalized": 50},
    ):
        result = parse_history(_contract([good, bad]))
        assert isinstance(result, HistoryResult), bad
        assert len(result.streams["s.x"]) == 1 and result.rejected == {"bad_timestamp": 1}, bad
    for field in ("value", "normalized"):
        for number in ("NaN", "Infinity", "-Infinity", "1e999"):
            point = f'{{"timestamp": "2026-11-19T00:00:00Z", "{field}": {number}}}'
            body = '{"streams": {"s.x": [' + point + "]}}"
            result = parse_history(body)
            assert isinstance(result, ProtocolError) and result.kind == "invalid_shape", body


def test_contract_streams_that_are_no_stream_names_are_refused() -> None:
    """A key like "_example" or markup is no stream: its points are counted, not kept."""
    point = {"timestamp": "2026-11-19T00:00:00Z", "normalized": 50}
    body = json.dumps(
        {"streams": {"_example": [point, point], "<b>x</b>.y": [point], "a.b": [point]}}
    )
    result = parse_history(body)
    assert isinstance(result, HistoryResult)
    assert list(result.streams) == ["a.b"] and result.rejected == {"bad_stream_name": 3}


def test_original_shape_files_each_event_under_its_own_stream() -> None:
    """Events listed under another stream's key go to the stream they name; bad ones are
    refused by kind."""
    event = {"timestamp": "2026-11-19T12:00:00Z", "normalizedValue": 40}
    body = {
        "data": {
            "customer.tutor.search": {
                "events": [
                    {**event, "stream": "customer.tutor.search"},
                    {**event, "stream": "session.started"},
                    {**event, "stream": "_example"},
                    {**event, "stream": "a.b", "timestamp": "1795046400000"},
                ]
            }
        }
    }
    result = parse_history(json.dumps(body))
    assert isinstance(result, HistoryResult)
    assert {k: len(v) for k, v in result.streams.items()} == {
        "customer.tutor.search": 1,
        "session.started": 1,
    }
    assert result.rejected == {"bad_stream_name": 1, "bad_timestamp": 1}


def test_original_shape_raw_values_that_are_not_finite_floats() -> None:
    """``data.value`` beyond float range or not finite becomes None instead of raising."""
    body, where = json.dumps(ORIGINAL), '"data": {"value": 31.5}'
    assert body.count(where) == 1
    for raw in ("1" + "0" * 400, "1e999"):
        result = parse_history(body.replace(where, f'"data": {{"value": {raw}}}'))
        assert isinstance(result, HistoryResult), raw
        assert [s.value for s in result.streams["customer.tutor.search"]] == [None, None]
