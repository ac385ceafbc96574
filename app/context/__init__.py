"""Context around the streams: the simulator's state (active external events, scenario),
read by one poller for the whole process."""

from app.context.poller import PollerStatus, StatePoller

__all__ = ["PollerStatus", "StatePoller"]
