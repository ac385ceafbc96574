"""Failures to reach the simulator, explained for people with the detail kept."""

from __future__ import annotations

import socket
import ssl

import pytest
from websockets.datastructures import Headers
from websockets.exceptions import InvalidStatus
from websockets.http11 import Response

from app.explain import explain, technical, where

URL = "ws://127.0.0.1:8765/ws"
AT = "127.0.0.1:8765"


def _status(code: int) -> InvalidStatus:
    return InvalidStatus(Response(code, "", Headers(), b""))


@pytest.mark.parametrize(
    ("exc", "text"),
    [
        (ConnectionRefusedError(111, "refused"), f"cannot reach the simulator at {AT}: connection refused"),  # noqa: E501
        (socket.gaierror(-2, "unknown"), "cannot find the simulator's host 127.0.0.1: the name does not resolve"),  # noqa: E501
        (TimeoutError(), f"no answer from the simulator at {AT} within 10 s"),
        (_status(403), f"the simulator at {AT} refused the connection (HTTP 403): check --simulator-token"),  # noqa: E501
        (_status(404), f"the server at {AT} has no simulator WebSocket at /ws (HTTP 404)"),
        (_status(502), f"the simulator at {AT} answered HTTP 502 instead of opening a WebSocket"),
        (ValueError("odd"), f"cannot connect to the simulator at {AT}"),
    ],
)  # fmt: skip
def test_each_failure_reads_as_a_sentence(exc: BaseException, text: str) -> None:
    """The badge's sentence; the exception stays in the detail."""
    why = explain(exc, URL, 10.0)
    assert why.text == text
    assert type(exc).__name__ in why.detail


def test_the_cause_behind_a_wrapper_is_found() -> None:
    """httpx and websockets wrap the OS error: the sentence comes from the cause."""
    try:
        try:
            raise ConnectionRefusedError(111, "refused")
        except OSError as inner:
            raise RuntimeError("ConnectError") from inner
    except RuntimeError as outer:
        why = explain(outer, "http://sim.example:9000/api")
    assert why.text == "cannot reach the simulator at sim.example:9000: connection refused"
    assert why.detail.startswith("RuntimeError: ConnectError <- ConnectionRefusedError")


def test_untrusted_certificate_names_the_remedy() -> None:
    """A TLS verification failure says which flag fixes it."""
    cert = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cert.verify_message = "self-signed certificate"
    why = explain(cert, "wss://10.0.0.5/ws")
    assert why.text.startswith("the TLS certificate of 10.0.0.5 is not trusted (self-signed")
    assert "--simulator-ca-file" in why.text


def test_where_and_bounded_detail() -> None:
    """host:port with the scheme's default port; the detail is one bounded line."""
    assert where("https://example.org/x") == "example.org:443"
    assert where("ws://[::1]:81/ws") == "[::1]:81"
    assert len(technical(ValueError("x" * 5000))) <= 300
