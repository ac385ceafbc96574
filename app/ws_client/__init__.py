"""The upstream WebSocket connection manager: lifecycle, backoff, heartbeat, catch-up.

``ConnectionManager`` owns the one upstream link of the process; the pure pieces
(``SilenceWatch``, ``plan_gaps``; the retry policy is :mod:`app.backoff`) are importable on
their own for tests and reuse.
"""

from app.ws_client.catchup import CatchupPlan, CatchupReply, GapSpan, plan_gaps
from app.ws_client.heartbeat import SilenceWatch, Verdict
from app.ws_client.link import Connector, Link, websocket_connector
from app.ws_client.manager import ConnectionManager

__all__ = [
    "CatchupPlan",
    "CatchupReply",
    "ConnectionManager",
    "Connector",
    "GapSpan",
    "Link",
    "SilenceWatch",
    "Verdict",
    "plan_gaps",
    "websocket_connector",
]
