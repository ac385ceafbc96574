"""History: the httpx client for ``/api/simulation/history`` and the loader that seeds the
stream store and backfills gaps."""

from app.history.client import HistoryClient
from app.history.errors import HistoryError, HistoryErrorKind
from app.history.fetching import HistorySource
from app.history.loader import HistoryLoader
from app.history.state import LoaderState, LoadStatus, StreamLoad

__all__ = [
    "HistoryClient",
    "HistoryError",
    "HistoryErrorKind",
    "HistoryLoader",
    "HistorySource",
    "LoadStatus",
    "LoaderState",
    "StreamLoad",
]
