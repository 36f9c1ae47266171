"""The chat example as a person uses it: its page in headless Chromium, two tabs, one room.

The page is served by uvicorn on 127.0.0.1 and driven by Playwright for Python
with Debian's ``chromium`` (never a downloaded browser). A screenshot of each page
goes to ``artifacts/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from examples.chat import app
from tests.servers import serve
from tests.system_tools import missing_tool

#: Debian's Chromium; CI installs it (``apt-get install -y chromium``).
CHROMIUM = "/usr/bin/chromium"
#: Flags for a headless browser that talks to nothing but the test's server.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Milliseconds Playwright waits for the page to show something before failing.
TIMEOUT_MS = 10_000
#: Where the screenshots go (gitignored).
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture(scope="module", autouse=True)
def _chromium() -> None:
    """Skip (fail where CI requires it) without Debian's Chromium."""
    if shutil.which(CHROMIUM) is None:
        missing_tool(f"{CHROMIUM} is absent: apt-get install -y chromium")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The chat example served by uvicorn: ``http://127.0.0.1:PORT``."""
    with serve(app) as ws_url:
        yield "http://" + ws_url.removeprefix("ws://")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium under Playwright."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def open_chat(browser: Browser, base_url: str) -> Page:
    """A new tab on the chat page, once its socket is open."""
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(base_url + "/")
    expect(page.locator("#status")).to_have_text("connected")
    return page


def join(page: Page, name: str, room: str) -> None:
    """Fill in the join form and submit it, as a person would."""
    page.fill("#name", name)
    page.fill("#room", room)
    page.click("#join")


def screenshot(page: Page, name: str) -> None:
    """Keep what ``page`` shows now as ``artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_two_pages_chat_in_a_room(browser: Browser, base_url: str) -> None:
    ann, bob = open_chat(browser, base_url), open_chat(browser, base_url)
    try:
        join(ann, "ann", "browser-room")
        expect(ann.locator("#members")).to_have_text("ann")
        join(bob, "bob", "browser-room")
        expect(bob.locator("#members")).to_have_text("ann, bob")
        expect(ann.locator("#messages")).to_contain_text("bob joined")

        ann.fill("#text", "hello from ann")
        ann.click("#say")
        expect(bob.locator("#messages li").last).to_have_text("ann: hello from ann")
        expect(ann.locator("#messages li").last).to_have_text("ann: hello from ann")
        # The sender's line is the room's broadcast, once: say has no reply of its own.
        expect(ann.locator("#messages li")).to_have_text(["bob joined", "ann: hello from ann"])
        expect(bob.locator("#errors li")).to_have_count(0)
        screenshot(ann, "chat-ann")
        screenshot(bob, "chat-bob")

        bob.click("#leave")
        expect(bob.locator("#join-form")).to_be_visible()
        expect(ann.locator("#messages li").last).to_have_text("bob left")
        expect(ann.locator("#members")).to_have_text("ann")
    finally:
        ann.close()
        bob.close()


def test_a_bad_message_shows_its_error_and_the_page_goes_on(
    browser: Browser, base_url: str
) -> None:
    page = open_chat(browser, base_url)
    try:
        join(page, "cy", "   ")
        expect(page.locator("#errors")).to_contain_text(
            "room: String should have at least 1 character (string_too_short)"
        )
        screenshot(page, "chat-error")

        page.evaluate("socket.send('{not json')")
        expect(page.locator("#errors")).to_contain_text("(json_invalid)")

        join(page, "cy", "another-room")
        expect(page.locator("#room-name")).to_have_text("another-room")
        expect(page.locator("#status")).to_have_text("connected")
    finally:
        page.close()
