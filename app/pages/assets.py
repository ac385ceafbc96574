"""The page's own scripts and stylesheets, served as one script and one stylesheet.

The files in ``static/`` stay small and separate in the source; a tab fetches them joined, in
the order below, from memory: fourteen requests through the whole middleware stack became
two (a cold tab waited up to 0.17 s for the last of them while the server was busy with its
start, and over a remote link each extra request costs round trips). The content hash in the
URL lets browsers keep them for a year and still see every change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response
from nicegui import app

STATIC_DIR = Path(__file__).parent / "static"
BUNDLE_URL = "/dashboard-static"
SCRIPTS = (
    "prefs.js",
    "dom.js",
    "chartreduce.js",
    "chartdetail.js",
    "chartview.js",
    "chartmarks.js",
    "chartlegend.js",
    "chartlook.js",
    "chartpace.js",
    "livechart.js",
    "statusgrid.js",
    "timeline.js",
)
"""In order: a script may use what an earlier one defined."""
STYLES = ("utilities.css", "dashboard.css")
"""In order: the dashboard's own rules come after the utility classes."""
CACHE_FOREVER = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Bundle:
    """Files of ``static/`` joined into one response."""

    name: str
    media_type: str
    body: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.body).hexdigest()[:12]

    @property
    def url(self) -> str:
        return f"{BUNDLE_URL}/{self.name}?v={self.digest}"

    def tag(self) -> str:
        if self.media_type.startswith("text/css"):
            return f'<link rel="stylesheet" href="{self.url}">'
        return f'<script src="{self.url}"></script>'

    def response(self, request: Request) -> Response:
        # Only the URL of this very content may be kept for good: an old page asking for
        # an old hash gets today's files, to be asked for again next time.
        fresh = request.query_params.get("v") == self.digest
        headers = {"Cache-Control": CACHE_FOREVER if fresh else "no-cache"}
        return Response(self.body, media_type=self.media_type, headers=headers)


def bundle(name: str, parts: tuple[str, ...]) -> Bundle:
    """Join ``parts`` (each headed by its file name, for a reader of the page's source)."""
    media_type = "text/css" if name.endswith(".css") else "text/javascript"
    body = b"\n".join(
        f"/* {part} */\n".encode() + (STATIC_DIR / part).read_bytes() for part in parts
    )
    return Bundle(name, f"{media_type}; charset=utf-8", body)


def bundles() -> tuple[Bundle, Bundle]:
    """The page's stylesheet and script, read from ``static/`` now."""
    return bundle("dashboard.css", STYLES), bundle("dashboard.js", SCRIPTS)


def register_assets() -> str:
    """Serve the bundles on NiceGUI's app; returns the page head's tags that load them
    (served from this package, never inline)."""
    assets = bundles()
    for asset in assets:
        app.add_api_route(
            f"{BUNDLE_URL}/{asset.name}", asset.response, methods=["GET"], include_in_schema=False
        )
    return "".join(asset.tag() for asset in assets)
