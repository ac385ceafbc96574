"""The topic rules: grammar, matching, and what ``anomalies`` means in each use."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.protocol.topics import (
    TopicError,
    check_topic,
    check_topics,
    delivers,
    expand,
    is_stream_name,
    is_topic,
    matches,
    may_deliver,
)
from tests.support.strategies import CATALOG, stream_names, topics

FLAGS = [None, "normal", "warning", "critical"]


@given(topic=topics, stream=stream_names)
def test_matches_agrees_with_the_contract(topic: str, stream: str) -> None:
    """'*' matches all, 'd.*' its domain, a name itself, 'anomalies' no stream by name."""
    expected = (
        topic == "*"
        or (topic.endswith(".*") and stream.split(".")[0] == topic[:-2])
        or topic == stream
    )
    assert matches(topic, stream) == expected


@pytest.mark.parametrize("bad", ["x", None, [None], ["a b"], [""], ["*.*"], [{"t": 1}]])
def test_check_topics_refuses_what_is_not_a_list_of_patterns(bad: object) -> None:
    """Non-lists, non-strings and malformed patterns raise TopicError."""
    with pytest.raises(TopicError):
        check_topics(bad)


def test_check_topics_deduplicates_in_order_and_bounds_the_list() -> None:
    """Duplicates go, order stays; more than 500 topics or a 201-char topic are refused."""
    assert check_topics(["b.c", "*", "b.c", "anomalies"]) == ["b.c", "*", "anomalies"]
    with pytest.raises(TopicError, match="at most 500"):
        check_topics([f"a.s{i}" for i in range(501)])
    with pytest.raises(TopicError):
        check_topic("a." + "b" * 199)


@pytest.mark.parametrize(
    ("name", "stream", "topic"),
    [
        ("customer.tutor.search", True, True),
        ("api.request.log", True, True),
        ("customer.*", False, True),
        ("*", False, True),
        ("anomalies", False, True),
        ("_example", False, False),
        ("customer", False, False),
        ("customer.", False, False),
        ("customer..search", False, False),
        ("customer.<b>x</b>", False, False),
        ("customer.tutor search", False, False),
    ],
)
def test_grammar_of_stream_names_and_topics(name: str, stream: bool, topic: bool) -> None:
    """A stream name is a dotted name of 2+ segments; a topic adds '*', 'd.*', 'anomalies'."""
    assert is_stream_name(name) is stream
    assert is_topic(name) is topic


@given(stream=stream_names, flag=st.sampled_from(FLAGS))
def test_anomalies_delivers_flagged_events_of_any_stream(stream: str, flag: str | None) -> None:
    """Delivery: 'anomalies' sends an event exactly when it is flagged warning or critical."""
    assert delivers(["anomalies"], stream, flag) is (flag in ("warning", "critical"))
    assert delivers(["*"], stream, flag)
    assert delivers([stream, "anomalies"], stream, flag)


@given(stream=stream_names)
def test_anomalies_may_deliver_any_stream(stream: str) -> None:
    """Catch-up planning: under 'anomalies' any stream can have sent something."""
    assert may_deliver(["anomalies"], stream)
    assert not may_deliver(["nothing.here"], stream)
    domain = stream.split(".")[0] + ".*"
    assert may_deliver([domain], stream)


def test_expand_lists_the_streams_delivered_in_full() -> None:
    """History and pages: 'anomalies' adds no stream; exact names stay even if unknown."""
    assert expand(["anomalies"], CATALOG.names) == []
    assert expand(["*"], CATALOG.names) == CATALOG.names
    seo = [n for n in CATALOG.names if n.startswith("seo.")]
    assert expand(["seo.*", "anomalies"], CATALOG.names) == seo
    assert expand(["x.unknown", "seo.*", "x.unknown"], CATALOG.names) == ["x.unknown", *seo]
