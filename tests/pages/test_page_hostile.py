"""Markup from the wire reaches the page as text, and odd stream names break no tab (User)."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

import pytest
from nicegui import ui
from nicegui.testing import User

from app.pages.export import download_name
from app.pages.subscriptions import Subscriptions
from app.protocol.topics import check_topic
from app.stores.connection import ConnectionState
from tests.pages.dashboard_state import (
    STREAM,
    FakeServices,
    LoadState,
    set_state,
)

pytestmark = pytest.mark.nicegui_main_file("tests/pages/fake_main.py")

WAIT = 30
HOSTILE_STREAM = "<script>alert('pwn')</script>.x"
HOSTILE_REASON = "server closed the connection (<img src=x onerror=alert('pwn')>)"
HOSTILE_ERROR = "server answered 500: <b>boom</b><img src=x onerror=alert('pwn')>"


async def test_hostile_texts_are_label_text(services: FakeServices, user: User) -> None:
    """The badge detail and the history banner hold markup from the wire as plain text."""
    services.history.states[STREAM] = LoadState("error", HOSTILE_ERROR)
    set_state(services.connection, ConnectionState.RECONNECTING, HOSTILE_REASON)
    await user.open("/")
    await user.should_see(marker="connection-detail", content=HOSTILE_REASON, retries=WAIT)
    await user.should_see(content=HOSTILE_ERROR, retries=WAIT)
    for element in user.find(content="onerror").elements:
        assert isinstance(element, ui.label) and "innerHTML" not in element.props


async def test_a_name_that_is_no_stream_is_never_shown_or_subscribed(
    services: FakeServices, user: User
) -> None:
    """A URL naming markup instead of a stream opens the default view; nothing subscribes it.

    (Such a name cannot come from the wire any more: the parser refuses it, see
    tests/protocol/test_frames.py.)"""
    await user.open(f"/?streams={quote(HOSTILE_STREAM, safe='')}")
    (select,) = user.find(marker="stream-select").elements
    assert isinstance(select, ui.select) and select.value == [STREAM]
    assert "options-html" not in select.props and "html" not in select.props
    deadline = time.monotonic() + 5
    while ("load", STREAM) not in services.history.calls:
        assert time.monotonic() < deadline, "the page never asked for the stream's history"
        await asyncio.sleep(0.05)  # poll interval of a condition wait
    topics = [t for name, t in services.manager.calls if name == "set_topics"]
    assert all(HOSTILE_STREAM not in t for t in topics)
    assert ("load", HOSTILE_STREAM) not in services.history.calls


def test_subscriptions_leave_out_names_that_are_no_topic() -> None:
    """Only valid topics reach the manager, so one odd name cannot fail every tab's subscribe."""
    subs = Subscriptions([STREAM])
    assert subs.select("a", [HOSTILE_STREAM]) == [STREAM]
    topics = subs.select("b", ["tutor.payout.initiated"])
    assert topics == [STREAM, "tutor.payout.initiated"]
    assert [check_topic(t) for t in topics] == topics


@pytest.mark.parametrize(
    ("stream", "name"),
    [
        ("customer.tutor.search", "customer.tutor.search.csv"),
        ('a".x\r\nSet-Cookie: x=1', "a_.x__Set-Cookie__x_1.csv"),
        ("..", "stream.csv"),
        ("t\u00fcr.\u2603", "t_r._.csv"),
    ],
)
def test_download_name_is_header_safe(stream: str, name: str) -> None:
    """The CSV file name keeps letters, digits, dot, dash and underscore only."""
    assert download_name(stream) == name
