"""read_external: one external event checked on its own; refusals and notes by kind."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.protocol import ExternalEvent
from app.protocol.external import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    read_external,
    safe_link,
)

T0 = "2026-11-20T10:00:00.000Z"
T0_MS = int(datetime(2026, 11, 20, 10, tzinfo=UTC).timestamp() * 1000)


def good(**changes: Any) -> dict[str, Any]:
    """A contract ExternalEvent, with ``changes`` applied (None removes a key)."""
    event: dict[str, Any] = {
        "id": "evt-1",
        "timestamp": T0,
        "type": "marketing",
        "title": "Email campaign sent",
        "description": "A newsletter went out.",
        "severity": "warning",
        "expectedImpact": {
            "streams": ["customer.signup.started", "marketing.ad.click"],
            "direction": "increase",
            "magnitude": "medium",
            "duration": 5400.0,
        },
        "icon": "campaign",
        "externalLink": "https://example.com/campaigns/42",
        "injectedByAI": False,
    }
    for key, value in changes.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def test_a_contract_event_reads_whole() -> None:
    """Every field of a good event is kept; the duration in seconds becomes a band."""
    checked = read_external(good())
    item = checked.item
    assert item is not None and checked.rejected is None and checked.notes == ()
    assert (item.id, item.ts_ms, item.kind, item.level) == ("evt-1", T0_MS, "marketing", "warning")
    assert item.streams == ("customer.signup.started", "marketing.ad.click")
    assert item.end_ms == T0_MS + 5_400_000
    assert item.link == "https://example.com/campaigns/42" and item.refused_link is None


def test_a_parsed_model_reads_like_its_json() -> None:
    """Items already parsed as ExternalEvent (a scenario answer, say) give the same item."""
    model = ExternalEvent.model_validate(good())
    assert read_external(model) == read_external(good())


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("not an object", "not_an_object"),
        ([good()], "not_an_object"),
        (good(id=None), "missing_id"),
        (good(id=""), "missing_id"),
        (good(id=42), "bad_id"),
        (good(id="x" * 500), "bad_id"),
        (good(timestamp=None), "bad_timestamp"),
        (good(timestamp=1_700_000_000_000), "bad_timestamp"),
        (good(timestamp="1700000000"), "bad_timestamp"),
        (good(timestamp="yesterday"), "bad_timestamp"),
        (good(timestamp="2026-13-45T99:00:00Z"), "bad_timestamp"),
        (good(title={"html": "<b>x</b>"}), "bad_event"),
        (good(description=["a"]), "bad_event"),
    ],
)
def test_refused_items_say_why(raw: Any, kind: str) -> None:
    """An item that cannot be placed or named is refused, with the kind it is counted as."""
    checked = read_external(raw)
    assert checked.item is None and checked.rejected == kind


def test_unknown_type_and_severity_are_kept_as_given() -> None:
    """A type or severity the contract does not name is neither dropped nor renamed."""
    checked = read_external(good(type="weather", severity="catastrophic"))
    item = checked.item
    assert item is not None
    assert (item.type, item.kind, item.severity, item.level) == (
        "weather",
        "other",
        "catastrophic",
        "unknown",
    )
    assert set(checked.notes) == {"unknown_type", "unknown_severity"}
    missing = read_external(good(type=None, severity=None)).item
    assert missing is not None and (missing.type, missing.kind) == ("", "other")


def test_long_texts_are_capped_with_an_ellipsis() -> None:
    """Overlong title and description are cut to their caps, and counted."""
    checked = read_external(good(title="t" * 5000, description="d" * 50_000))
    item = checked.item
    assert item is not None and checked.notes == ("text_capped",)
    assert len(item.title) == MAX_TITLE and item.title.endswith("\u2026")
    assert len(item.description) == MAX_DESCRIPTION


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "//evil.example/x",
        "https://",
        "http://exa mple.com",
        "https://example.com/\nSet-Cookie:x",
        "http:\\\\evil.example",
        "file:///etc/passwd",
    ],
)
def test_links_that_are_not_http_are_refused_and_kept_as_text(link: str) -> None:
    """Only http(s) links with a host become links; the rest is text, and noted."""
    checked = read_external(good(externalLink=link))
    item = checked.item
    assert item is not None and item.link is None and item.refused_link == link
    assert "link_refused" in checked.notes
    assert safe_link(link) is None


def test_impact_streams_that_are_no_names_are_left_out() -> None:
    """Markup in the affected streams is dropped (and noted); the good names stay."""
    impact = {"streams": ["<script>x</script>.y", "customer.tutor.search", 7], "direction": "up"}
    checked = read_external(good(expectedImpact=impact))
    item = checked.item
    assert item is not None and item.streams == ("customer.tutor.search",)
    assert item.impact is not None and item.impact.direction == "up"
    assert "bad_stream_name" in checked.notes
    wrong = read_external(good(expectedImpact="everything"))
    assert wrong.item is not None and wrong.item.impact is None and "bad_impact" in wrong.notes


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("3 hours", 3 * 3_600_000),
        ("45 min", 45 * 60_000),
        ("2h", 2 * 3_600_000),
        ("1.5 days", 36 * 3_600_000),
        ("1-6 hours", None),
        ("soon", None),
        ("-2 h", None),
    ],
)
def test_durations_in_words(text: str, ms: int | None) -> None:
    """The original server writes durations in words; unreadable ones give no length."""
    item = read_external(good(expectedImpact={"duration": text})).item
    assert item is not None and item.impact is not None
    assert item.impact.duration_ms == ms and item.impact.duration_text == text
