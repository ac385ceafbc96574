"""The upstream WebSocket connection manager: lifecycle, backoff, heartbeat, catch-up.

``ConnectionManager`` owns the one upstream link of the process; the pure pieces
(``BackoffPolicy``, ``should_retry``, ``SilenceWatch``, ``plan_gaps``) are importable on
their own for tests and reuse.
"""

from app.ws_client.backoff import BackoffPolicy, should_retry
from app.ws_client.catchup import CatchupPlan, CatchupReply, GapSpan, plan_gaps
from app.ws_client.heartbeat import SilenceWatch, Verdict
from app.ws_client.link import Connector, Link, websocket_connector
from app.ws_client.manager import ConnectionManager

__all__ = [
    "BackoffPolicy",
    "CatchupPlan",
    "CatchupReply",
    "ConnectionManager",
    "Connector",
    "GapSpan",
    "Link",
    "SilenceWatch",
    "Verdict",
    "plan_gaps",
    "should_retry",
    "websocket_connector",
]
