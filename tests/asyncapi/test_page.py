"""The HTML page renders the document in headless Chromium, with only local assets.

The web component's bundle comes from the npm install of ``tools/asyncapi-check``;
every request the page makes is recorded, and any that leaves 127.0.0.1 fails the
test. Screenshots go to ``artifacts/asyncapi-page.png`` (and ``-events.png``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from socketsundso.asyncapi import mount_asyncapi
from tests.servers import serve

from .endpoints import Room, Shop

playwright_api = pytest.importorskip("playwright.sync_api")

#: Debian's Chromium; CI installs it (``apt-get install -y chromium``).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
#: Milliseconds the page may take to render the document.
TIMEOUT_MS = 20_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


needs_chromium = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} is absent")


def render(app: Starlette, texts: list[str], screenshot: str) -> None:
    """Serve ``app``'s page, check it shows every one of ``texts``, and save a screenshot.

    Fails if the page requests anything that is not on the app's own server.
    """
    requested: list[str] = []
    with serve(app) as ws_url, playwright_api.sync_playwright() as playwright:
        base = "http://" + ws_url.removeprefix("ws://")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda request: requested.append(request.url))
            page.goto(f"{base}/asyncapi")
            rendered = playwright_api.expect(page.locator("asyncapi-component"))
            rendered.to_contain_text(texts[0], timeout=TIMEOUT_MS)
            for text in texts[1:]:
                rendered.to_contain_text(text)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
        finally:
            browser.close()
    assert f"{base}/asyncapi.json" in requested
    assert f"{base}/asyncapi/assets/asyncapi-web-component.js" in requested
    assert [url for url in requested if not url.startswith(base)] == []


@needs_chromium
def test_page_renders_the_document_from_local_assets(web_component_assets: Path) -> None:
    app = Starlette(routes=[WebSocketRoute("/shop", Shop)])
    mount_asyncapi(app, title="Shop API", assets_dir=web_component_assets)
    texts = ["Shop API 0.1.0", "place_order", "Place an order.", "$message.payload#/id"]
    render(app, [*texts, "ErrorReply"], "asyncapi-page.png")


@needs_chromium
def test_page_lists_server_events_as_send_operations(web_component_assets: Path) -> None:
    app = Starlette(routes=[WebSocketRoute("/room", Room)])
    mount_asyncapi(app, title="Room API", assets_dir=web_component_assets)
    texts = ["Room API 0.1.0", "SEND", "said.event", "said event", "A line said in a room."]
    render(app, [*texts, "moved | renamed event", "shipped.event"], "asyncapi-page-events.png")
