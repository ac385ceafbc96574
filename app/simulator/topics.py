"""Topic patterns: ``*``, ``domain.*``, an exact stream name, and ``anomalies``. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.simulator.catalog import Catalog

ANOMALIES = "anomalies"
MAX_TOPICS = 500
_NAME = r"[A-Za-z0-9_\-]+"
_TOPIC_RE = re.compile(rf"^(\*|{ANOMALIES}|{_NAME}\.\*|{_NAME}(\.{_NAME})+)$")


class TopicError(ValueError):
    """The ``topics`` of a client message are not a list of valid patterns."""


@dataclass(frozen=True, slots=True)
class Selection:
    """Which streams a subscription receives; hashable so fan-out can share frames."""

    mask: tuple[bool, ...]
    anomalies: bool

    @property
    def empty(self) -> bool:
        return not self.anomalies and not any(self.mask)

    def wants(self, stream_index: int, flagged: bool) -> bool:
        """True if an event of that stream (flagged or not) goes to this subscription."""
        return self.mask[stream_index] or (self.anomalies and flagged)


def check_topics(value: object) -> list[str]:
    """The topics of a message, deduplicated in order; raises TopicError when unusable."""
    if not isinstance(value, list):
        raise TopicError("'topics' must be a list of strings")
    if len(value) > MAX_TOPICS:
        raise TopicError(f"at most {MAX_TOPICS} topics")
    topics: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise TopicError("'topics' must be a list of strings")
        if len(item) > 200 or not _TOPIC_RE.match(item):
            raise TopicError(
                f"invalid topic {item[:60]!r}: use '*', 'domain.*', a stream name or 'anomalies'"
            )
        if item not in topics:
            topics.append(item)
    return topics


def matches(topic: str, stream: str) -> bool:
    """True if the stream-name pattern ``topic`` covers ``stream`` (``anomalies`` never does)."""
    if topic == "*":
        return True
    if topic.endswith(".*"):
        return stream.startswith(topic[:-1])
    return topic == stream


def select(topics: list[str], catalog: Catalog) -> Selection:
    """The selection of a list of topics over the catalog's streams."""
    names = [t for t in topics if t != ANOMALIES]
    mask = tuple(any(matches(t, s.name) for t in names) for s in catalog.streams)
    return Selection(mask, ANOMALIES in topics)
