"""The page's scripts and stylesheets: one script and one stylesheet, joined in order."""

from __future__ import annotations

import re

import pytest
from nicegui.testing import User

from app.pages.assets import CACHE_FOREVER, SCRIPTS, STATIC_DIR, STYLES
from tests.pages.dashboard_state import FakeServices

pytestmark = pytest.mark.nicegui_main_file("tests/pages/fake_main.py")


def test_every_static_file_is_in_a_bundle() -> None:
    """A file added to static/ but to neither list would never reach a tab."""
    on_disk = {p.name for p in STATIC_DIR.iterdir() if p.suffix in (".js", ".css")}
    assert on_disk == set(SCRIPTS) | set(STYLES)
    assert len(SCRIPTS) == len(set(SCRIPTS)) and len(STYLES) == len(set(STYLES))


async def test_page_loads_one_script_and_one_stylesheet(user: User, services: FakeServices) -> None:
    """The head links each bundle once by its content hash; the bundle is the files joined in
    order, kept for a year under its own hash and asked for again under any other, 304 to a
    browser holding it, HEAD answered."""
    page = (await user.http_client.get("/")).text
    scripts = re.findall(r'<script src="(/dashboard-static/[^"]+)"', page)
    styles = re.findall(r'<link rel="stylesheet" href="(/dashboard-static/[^"]+)"', page)
    assert len(scripts) == len(styles) == 1
    for url, parts, media in (
        (scripts[0], SCRIPTS, "text/javascript"),
        (styles[0], STYLES, "text/css"),
    ):
        answer = await user.http_client.get(url)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith(media)
        assert answer.headers["cache-control"] == CACHE_FOREVER
        body = answer.content
        offsets = [body.index((STATIC_DIR / part).read_bytes()) for part in parts]
        assert offsets == sorted(offsets), "in the listed order"
        stale = await user.http_client.get(url.split("?")[0], params={"v": "0" * 12})
        assert stale.content == body and stale.headers["cache-control"] == "no-cache"
        etag = answer.headers["etag"]
        held = await user.http_client.get(url, headers={"If-None-Match": etag})
        assert held.status_code == 304 and not held.content
        head = await user.http_client.head(url)
        assert head.status_code == 200 and head.headers["etag"] == etag


async def test_chart_library_is_preloaded_with_the_page(user: User, services: FakeServices) -> None:
    """The page asks for ECharts at once (``modulepreload``), not two imports later: the
    component's entry module and the big file it imports, both served."""
    page = (await user.http_client.get("/")).text
    links = re.findall(r'<link rel="modulepreload" href="([^"]+)"', page)
    preloads = [url for url in links if "/esm/" in url]  # NiceGUI preloads its components
    assert preloads[0].endswith("/index.js") and len(preloads) >= 2
    sizes = []
    for url in preloads:
        answer = await user.http_client.get(url)
        assert answer.status_code == 200, url
        sizes.append(len(answer.content))
    entry = (await user.http_client.get(preloads[0])).text
    assert all(url.rsplit("/", 1)[1] in entry for url in preloads[1:]), "what the entry imports"
    assert max(sizes) > 500_000, "the library itself"
