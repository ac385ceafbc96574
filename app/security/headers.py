"""Headers every answer carries: a Content-Security-Policy and the anti-framing set.

NiceGUI pages need ``'unsafe-inline'`` and ``'unsafe-eval'`` in ``script-src``: the page
template has inline scripts (the import map, the app's start-up) and Vue's template compiler
builds functions with ``new Function`` (without it Chromium reports a violation in
``vue.esm-browser.prod.js`` and nothing renders). ``style-src`` needs ``'unsafe-inline'``
too: Quasar and ECharts set inline styles and style elements.
Everything else comes from the dashboard's own origin only (``connect-src 'self'`` covers
its socket.io WebSocket), no plugins, frames or workers, ``<base>`` only here, forms post
only here, and no one may frame the page. Checked in Chromium: the dashboard page draws its
chart, switches streams and ranges, shows tooltips and notifications with no violation.
Answers that are not HTML pages get a policy that allows nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

PAGE_CSP: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-src 'none'",
        "worker-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
OTHER_CSP: Final = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

COMMON: Final[tuple[tuple[bytes, bytes], ...]] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
)
"""Also sent: no framing (old browsers), no MIME sniffing (a JSON answer never runs as a
script), no referrer to other origins, no window shared with or resource read by another
origin. ``same-origin``, not ``no-referrer``: under ``no-referrer`` a browser sends
``Origin: null`` with the page's own form posts (login, logout), which the Origin check
must refuse."""


def with_security_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` plus the security headers it lacks; a header already set is kept
    (the login form sends a stricter policy of its own)."""
    out = list(headers)
    present = {name.lower() for name, _ in out}
    if b"content-security-policy" not in present:
        content_type = next((v for n, v in out if n.lower() == b"content-type"), b"")
        html = content_type.lower().startswith(b"text/html")
        out.append((b"content-security-policy", (PAGE_CSP if html else OTHER_CSP).encode()))
    out.extend((name, value) for name, value in COMMON if name not in present)
    return out
