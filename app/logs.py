"""Logging set-up: one line per record, whatever the upstream sends.

Server-supplied text (error frames, close reasons, stream names) reaches log messages; a
newline in it could forge a log line. :class:`OneLineFilter` escapes control characters
in every record's final message.
"""

from __future__ import annotations

import logging
import re

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """Control characters as visible escapes (``\\n``, ``\\x1b``); tabs are kept."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class OneLineFilter(logging.Filter):
    """Rewrites a record's message so it cannot span or forge lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _CONTROL.search(message):
            record.msg = escape_controls(message)
            record.args = None
        return True


def configure(level: int = logging.INFO) -> None:
    """Root logging for ``python -m app``: timestamps, levels, one line per record."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(OneLineFilter())
