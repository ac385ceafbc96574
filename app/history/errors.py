"""The one exception the history client raises.

Exception tree::

    Exception
    └── HistoryError            every failure of a history request, with its data:
                                ``kind``, ``reason`` (for a person), ``status``, ``code``,
                                ``retryable``; ``__cause__`` is the original exception

httpx, asyncio and parsing errors are translated into it at one boundary
(:meth:`app.history.client.HistoryClient.fetch_history`), so callers catch one type.
"""

from __future__ import annotations

from typing import Literal

HistoryErrorKind = Literal[
    "network", "timeout", "http", "invalid_json", "invalid_shape", "too_large"
]


class HistoryError(Exception):
    """A history request that gave no usable answer; ``str(err)`` is ``reason``."""

    def __init__(
        self,
        reason: str,
        *,
        kind: HistoryErrorKind,
        status: int | None = None,
        code: str | None = None,
        retryable: bool = False,
        detail: str = "",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
        """The technical text behind ``reason`` (an exception chain, a response), or ""."""
        self.kind: HistoryErrorKind = kind
        self.status = status
        self.code = code
        self.retryable = retryable

    def __repr__(self) -> str:
        return (
            f"HistoryError({self.reason!r}, kind={self.kind!r}, status={self.status!r}, "
            f"code={self.code!r}, retryable={self.retryable!r})"
        )


def is_retryable_status(status: int) -> bool:
    """Server-side and throttling answers may succeed later; other 4xx will not."""
    return status >= 500 or status in (408, 425, 429)
