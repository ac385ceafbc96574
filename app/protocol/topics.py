"""Topic patterns of the contract, in one place: grammar, matching and expansion. Pure.

A topic is ``*`` (every stream), ``domain.*`` (every stream whose name starts with
``domain.``), an exact stream name, or ``anomalies``. Stream names are dotted names of at
least two segments of letters, digits, ``_`` and ``-``.

What ``anomalies`` means, for each question this module answers:

- :func:`delivers` (does the server send THIS event?): yes when the event's
  ``anomalyFlag`` is ``warning`` or ``critical``, whatever its stream. The simulator
  filters its fan-out with it.
- :func:`may_deliver` (can ANY event of this stream arrive?): yes for every stream, since
  any stream can turn anomalous. Catch-up planning uses it: a stream seen under
  ``anomalies`` alone may have a hole after an outage.
- :func:`expand` (which streams arrive IN FULL?): none by ``anomalies`` alone, since it
  brings only a stream's flagged events. The history seed, the subscriptions of the pages
  and the status grid use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

ALL = "*"
ANOMALIES = "anomalies"
DEFAULT_TOPIC = "customer.tutor.search"
MAX_TOPICS = 500
MAX_TOPIC_CHARS = 200
FLAGGED = frozenset({"warning", "critical"})
"""Anomaly flags that ``anomalies`` delivers."""

_SEGMENT = r"[A-Za-z0-9_\-]+"
STREAM_NAME_PATTERN = rf"^{_SEGMENT}(\.{_SEGMENT})+$"
"""A dotted stream name (also enforced on every event the parser accepts)."""
STREAM_NAME_RE = re.compile(STREAM_NAME_PATTERN)
TOPIC_RE = re.compile(rf"^(\*|{ANOMALIES}|{_SEGMENT}\.\*|{_SEGMENT}(\.{_SEGMENT})+)$")


class TopicError(ValueError):
    """A topic, or a list of topics, that is not usable."""


def is_stream_name(name: object) -> bool:
    """True for a valid dotted stream name (``customer.tutor.search``), not a pattern."""
    return (
        isinstance(name, str) and len(name) <= MAX_TOPIC_CHARS and bool(STREAM_NAME_RE.match(name))
    )


def is_topic(topic: object) -> bool:
    """True for ``*``, ``anomalies``, ``domain.*`` or a stream name."""
    if not isinstance(topic, str) or len(topic) > MAX_TOPIC_CHARS:
        return False
    return TOPIC_RE.match(topic) is not None


def check_topic(topic: str) -> str:
    """``topic`` itself when valid; raises :class:`TopicError` (a ``ValueError``) otherwise."""
    if not is_topic(topic):
        raise TopicError(
            f"invalid topic {str(topic)[:60]!r}: use '*', 'anomalies', 'domain.*' or a stream name"
        )
    return topic


def check_topics(value: object) -> list[str]:
    """A list of topics, deduplicated in order; raises :class:`TopicError` when unusable.

    For input from the wire (a client's ``subscribe``): anything but a list of at most
    :data:`MAX_TOPICS` valid topics is refused.
    """
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise TopicError("'topics' must be a list of strings")
    if len(value) > MAX_TOPICS:
        raise TopicError(f"at most {MAX_TOPICS} topics")
    return list(dict.fromkeys(check_topic(t) for t in value))


def matches(topic: str, stream: str) -> bool:
    """True if the stream pattern ``topic`` covers ``stream`` in full (``anomalies`` never)."""
    if topic == ALL:
        return True
    if topic.endswith(".*"):
        return stream.startswith(topic[:-1])
    return topic == stream


def delivers(topics: Iterable[str], stream: str, flag: str | None) -> bool:
    """Whether an event of ``stream`` with anomaly ``flag`` is sent under ``topics``."""
    return any(matches(t, stream) or (t == ANOMALIES and flag in FLAGGED) for t in topics)


def may_deliver(topics: Iterable[str], stream: str) -> bool:
    """Whether any event of ``stream`` can arrive under ``topics`` (``anomalies``: yes)."""
    return any(t == ANOMALIES or matches(t, stream) for t in topics)


def expand(topics: Sequence[str], names: Iterable[str]) -> list[str]:
    """The streams ``topics`` deliver in full: ``names`` that a pattern covers, in the order
    of the topics, plus every exact stream name given (known to ``names`` or not)."""
    known = list(names)
    chosen: dict[str, None] = {}
    for topic in topics:
        if topic == ANOMALIES:
            continue
        if topic == ALL or topic.endswith(".*"):
            chosen.update(dict.fromkeys(n for n in known if matches(topic, n)))
        else:
            chosen[topic] = None
    return list(chosen)
