"""Which streams the open tabs show, so the one upstream subscription covers them all.

One upstream connection serves every tab, so a tab switching streams must not take another
tab's streams away: the subscription is the configured topics plus every stream a tab shows
that they do not already cover.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.protocol.topics import expand, is_stream_name


class Subscriptions:
    """The configured topics and each tab's streams; see the module docstring."""

    def __init__(self, configured: list[str]) -> None:
        self._configured = list(configured)
        self._by_tab: dict[str, tuple[str, ...]] = {}

    def topics(self) -> list[str]:
        """Configured topics first, then every stream a tab shows that they do not cover.

        A stream whose name is no valid stream name (it came from the wire: markup,
        spaces...) cannot be subscribed to by name; it is left out rather than failing
        every tab's subscription.
        """
        shown = {s for streams in self._by_tab.values() for s in streams if is_stream_name(s)}
        covered = set(expand(self._configured, sorted(shown)))
        extra = sorted(shown - covered)
        return [*self._configured, *extra]

    def select(self, tab: str, streams: Sequence[str]) -> list[str]:
        """Record that ``tab`` shows ``streams``; returns the topics to subscribe to."""
        self._by_tab[tab] = tuple(streams)
        return self.topics()

    def release(self, tab: str) -> list[str]:
        """Forget a closed tab; returns the topics to subscribe to."""
        self._by_tab.pop(tab, None)
        return self.topics()
