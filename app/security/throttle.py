"""Failed logins slowed per client address: a few are free, then the waits double.

After ``free`` failures in a burst, each further failure locks the address for
``base * 2**n`` seconds (1, 2, 4, ... capped at ``cap``); an attempt while locked is not
checked at all and gets 429 with ``Retry-After``. A burst ends after ``forget_after``
seconds without a failure, or with a successful login. IPv6 clients count per /64, since
one host usually holds the whole prefix. The table is bounded: past ``max_clients`` the
address that failed longest ago is forgotten first.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


def client_key(address: str) -> str:
    """The unit that is throttled: an IPv4 address, an IPv6 /64, or the text as given."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


@dataclass(slots=True)
class _Burst:
    failures: int
    last_failure: float
    locked_until: float


@dataclass(frozen=True, slots=True)
class Failure:
    """What one failure did: the burst's count, whether it began one, the lock it set."""

    failures: int
    new_burst: bool
    locked_for: float


class LoginThrottle:
    """Counts failed logins per client and says how long each must wait (pure, clocked)."""

    def __init__(
        self,
        *,
        free: int = 5,
        base: float = 1.0,
        cap: float = 300.0,
        forget_after: float = 900.0,
        max_clients: int = 10_000,
        clock: Clock = time.monotonic,
    ) -> None:
        if free < 1 or base <= 0 or cap < base or forget_after < cap or max_clients < 1:
            raise ValueError("invalid login throttle settings")
        self.free, self.base, self.cap = free, base, cap
        self.forget_after = forget_after
        self.max_clients = max_clients
        self._clock = clock
        self._bursts: OrderedDict[str, _Burst] = OrderedDict()

    def __len__(self) -> int:
        return len(self._bursts)

    def _current(self, key: str, now: float) -> _Burst | None:
        burst = self._bursts.get(key)
        if burst is not None and now - burst.last_failure > self.forget_after:
            del self._bursts[key]
            return None
        return burst

    def retry_after(self, address: str) -> int:
        """Whole seconds ``address`` must still wait before an attempt is checked (0: none)."""
        now = self._clock()
        burst = self._current(client_key(address), now)
        if burst is None or burst.locked_until <= now:
            return 0
        return max(1, math.ceil(burst.locked_until - now))

    def failure(self, address: str) -> Failure:
        """Record a failed attempt of ``address``."""
        now = self._clock()
        key = client_key(address)
        burst = self._current(key, now)
        new_burst = burst is None
        if burst is None:
            while len(self._bursts) >= self.max_clients:
                self._bursts.popitem(last=False)
            burst = self._bursts[key] = _Burst(0, now, now)
        burst.failures += 1
        burst.last_failure = now
        self._bursts.move_to_end(key)
        locked_for = 0.0
        if burst.failures > self.free:
            locked_for = min(self.cap, self.base * 2.0 ** (burst.failures - self.free - 1))
            burst.locked_until = now + locked_for
        return Failure(burst.failures, new_burst, locked_for)

    def success(self, address: str) -> int:
        """Forget ``address``'s burst after a good login; returns its failure count."""
        burst = self._bursts.pop(client_key(address), None)
        return 0 if burst is None else burst.failures
