"""The page's own scripts and stylesheets, served as one script and one stylesheet.

The files in ``static/`` stay small and separate in the source; a tab fetches them joined, in
the order below, from memory: two requests instead of fourteen through the whole middleware
stack (on this machine's loopback no measurable gain; over a remote link each request costs
round trips). The content hash in the URL lets browsers keep them for a year and still see
every change. The page also asks for the chart's library with its first request
(:func:`module_preloads`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request, Response
from nicegui import __version__ as nicegui_version
from nicegui import app
from nicegui.dependencies import esm_modules
from nicegui.elements import echart as _registers_the_echart_module  # noqa: F401

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
ECHARTS_MODULE = "nicegui-echart"
"""The name ``ui.echart`` registers its library under (importing it registers it)."""
STATIC_IMPORT = re.compile(r"""from\s*["'](\./[\w.-]+\.js)["']""")


@dataclass(frozen=True)
class Bundle:
    """Files of ``static/`` joined into one response."""

    name: str
    media_type: str
    body: bytes
    digest: str
    """The content's hash: the URL's ``v`` and the ETag."""

    @property
    def url(self) -> str:
        return f"{BUNDLE_URL}/{self.name}?v={self.digest}"

    def tag(self) -> str:
        if self.media_type.startswith("text/css"):
            return f'<link rel="stylesheet" href="{self.url}">'
        return f'<script src="{self.url}"></script>'

    def response(self, request: Request) -> Response:
        """The bundle (GET or HEAD), or 304 when the browser holds this very content."""
        # Only the URL of this very content may be kept for good: an old page asking for
        # an old hash gets today's files, to be asked for again next time.
        fresh = request.query_params.get("v") == self.digest
        etag = f'"{self.digest}"'
        headers = {"Cache-Control": CACHE_FOREVER if fresh else "no-cache", "ETag": etag}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)


def bundle(name: str, parts: tuple[str, ...]) -> Bundle:
    """Join ``parts`` (each headed by its file name, for a reader of the page's source).

    Scripts are joined with a ``;`` between them, so a file that ends without one cannot
    run into the next (``})()`` then ``(() => ...`` would be a call)."""
    css = name.endswith(".css")
    body = (b"\n" if css else b"\n;\n").join(
        f"/* {part} */\n".encode() + (STATIC_DIR / part).read_bytes() for part in parts
    )
    media_type = "text/css" if css else "text/javascript"
    digest = hashlib.sha256(body).hexdigest()[:12]
    return Bundle(name, f"{media_type}; charset=utf-8", body, digest)


def bundles() -> tuple[Bundle, Bundle]:
    """The page's stylesheet and script, read from ``static/`` now."""
    return bundle("dashboard.css", STYLES), bundle("dashboard.js", SCRIPTS)


def module_preloads(name: str) -> list[str]:
    """URLs of the ES module NiceGUI serves as ``name`` and of the files it imports at once.

    ECharts (1.1 MB) is two imports behind the page's main script (the chart component,
    then its entry): a cold tab asked for it only once those had arrived, and sat idle
    ~0.1 s before it could start its scripts. A ``modulepreload`` asks for it with the page.
    """
    found_module = [(k, m) for k, m in esm_modules.items() if m.name == name]
    if not found_module:  # not registered under that name (NiceGUI changed): no preload
        return []
    key, module = found_module[0]
    base = f"/_nicegui/{nicegui_version}/esm/{key}/"
    found: list[str] = []
    todo = ["index.js"]
    while todo:
        file = todo.pop()
        if file in found or not (module.path / file).is_file():
            continue
        found.append(file)
        todo += [
            m.removeprefix("./") for m in STATIC_IMPORT.findall((module.path / file).read_text())
        ]
    return [base + file for file in found]


def register_assets() -> str:
    """Serve the bundles on NiceGUI's app; returns the page head's tags that load them
    (served from this package, never inline) and preload the chart's library."""
    assets = bundles()
    for asset in assets:
        app.add_api_route(
            f"{BUNDLE_URL}/{asset.name}",
            asset.response,
            methods=["GET", "HEAD"],
            include_in_schema=False,
        )
    urls = module_preloads(ECHARTS_MODULE)
    preloads = "".join(f'<link rel="modulepreload" href="{url}">' for url in urls)
    return "".join(asset.tag() for asset in assets) + preloads
