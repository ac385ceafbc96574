"""Counter-based randomness: every draw is a pure function of integers (seed, stream, slot...).

A stateful ``random.Random`` would make an event depend on everything drawn before it;
hashing the coordinates instead makes any slot reproducible on its own, which is what lets
a restarted simulator regenerate the same events, ids and seqs.
"""

from __future__ import annotations

import math
from statistics import NormalDist

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_UNIT = 2.0**-53
_NORMAL = NormalDist()


def mix(x: int) -> int:
    """SplitMix64's finaliser: a well-spread 64-bit hash of a 64-bit integer."""
    x &= _M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def key(*parts: int) -> int:
    """One 64-bit hash of several integers (order matters)."""
    h = 0x243F6A8885A308D3
    for part in parts:
        h = mix(h + _GOLDEN + (part & _M64))
    return h


def unit(h: int) -> float:
    """A float in [0, 1) from a 64-bit hash."""
    return (h >> 11) * _UNIT


def draw(h: int, i: int) -> float:
    """The ``i``-th uniform float of the sequence keyed by ``h``."""
    return unit(mix(h + (i + 1) * _GOLDEN))


def gauss(u: float) -> float:
    """A standard normal deviate from a uniform in [0, 1)."""
    return _NORMAL.inv_cdf(min(max(u, 1e-12), 1.0 - 1e-12))


def poisson(mean: float, u: float) -> int:
    """A Poisson count by inversion (small means) or the normal approximation (large)."""
    if mean <= 0.0:
        return 0
    if mean < 30.0:
        p = math.exp(-mean)
        cdf = p
        n = 0
        while u > cdf and n < 200:
            n += 1
            p *= mean / n
            cdf += p
        return n
    return max(0, int(mean + math.sqrt(mean) * gauss(u) + 0.5))
