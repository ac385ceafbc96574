"""Log records stay one line each, whatever text the upstream sends."""

from __future__ import annotations

import io
import logging

from app.logs import OneLineFilter, escape_controls


def test_escape_controls_keeps_text_and_escapes_line_breaks() -> None:
    """Newlines, carriage returns and escape codes become visible escapes."""
    assert escape_controls("plain\ttext") == "plain\ttext"
    assert escape_controls("a\nb\rc\x1b[31m") == "a\\nb\\rc\\x1b[31m"
    assert escape_controls("x\u2028y") == "x\\u2028y"


def test_a_forged_line_stays_inside_its_record() -> None:
    """A server error message with a newline cannot start a fake log line."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(OneLineFilter())
    log = logging.getLogger("test.forge")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("server error frame: %s", "oops\nCRITICAL app: admin logged in")
    finally:
        log.removeHandler(handler)
    lines = out.getvalue().splitlines()
    assert lines == ["WARNING server error frame: oops\\nCRITICAL app: admin logged in"]
