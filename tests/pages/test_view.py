"""View.adding: an event's streams join the chart, six at most, the oldest make room."""

from __future__ import annotations

from app.pages.view import View

A, B, C, D, E, F, G = (f"s.{n}" for n in "abcdefg")


def test_adding_keeps_what_is_shown_and_appends() -> None:
    """New streams go after the shown ones; one already shown moves to the end, once."""
    assert View((A, B), "24h").adding([C, A]) == View((B, C, A), "24h")
    assert View((A,)).adding([]) == View((A,))


def test_past_six_the_oldest_shown_make_room() -> None:
    """The chart holds six: the event's streams stay, the oldest shown ones go."""
    assert View((A, B, C, D, E)).adding([F, G]).streams == (B, C, D, E, F, G)
    assert View((A,)).adding([B, C, D, E, F, G, "s.h"]).streams == (B, C, D, E, F, G)
