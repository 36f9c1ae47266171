"""The chat example as a person uses it: its page in headless Chromium, two tabs, one room.

The page is served by uvicorn on 127.0.0.1 and driven by Playwright for Python
with Debian's ``chromium`` (never a downloaded browser). A screenshot of each page
goes to ``artifacts/``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from examples.chat import app
from tests.servers import free_port, serve
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
    """A new tab on the chat page, once its client is connected."""
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(base_url + "/")
    expect(page.locator("#status")).to_have_text("connected")
    return page


def join(page: Page, name: str, room: str) -> None:
    """Fill in the join form and submit it, as a person would (with the keyboard)."""
    page.fill("#name", name)
    page.fill("#room", room)
    page.press("#room", "Enter")


def say(page: Page, text: str) -> None:
    """Type ``text`` in the message field and press Enter."""
    page.fill("#text", text)
    page.press("#text", "Enter")


def screenshot(page: Page, name: str) -> None:
    """Keep what ``page`` shows now as ``artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_two_pages_chat_in_a_room(browser: Browser, base_url: str) -> None:
    ann, bob = open_chat(browser, base_url), open_chat(browser, base_url)
    try:
        join(ann, "ann", "browser-room")
        expect(ann.locator("#members li")).to_have_text(["ann"])
        join(bob, "bob", "browser-room")
        expect(bob.locator("#members li")).to_have_text(["ann", "bob"])
        expect(ann.locator("#members li")).to_have_text(["ann", "bob"])
        expect(ann.locator("#messages")).to_contain_text("bob joined")

        say(ann, "hello from ann")
        expect(bob.locator("#messages li").last).to_contain_text("ann: hello from ann")
        # The sender's line is the room's broadcast, once: say has no reply of its own.
        expect(ann.locator("#messages li")).to_contain_text(["bob joined", "ann: hello from ann"])
        expect(ann.locator("#messages li").last.locator("time")).to_have_attribute(
            "datetime", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
        )
        expect(ann.locator("#text")).to_be_focused()
        screenshot(ann, "chat-ann")
        screenshot(bob, "chat-bob")

        bob.fill("#whisper-to", "ann")
        bob.fill("#whisper-text", "psst")
        bob.click("#whisper")
        expect(ann.locator("#messages li.whisper").last).to_contain_text("bob → ann: psst")
        expect(bob.locator("#messages li.whisper").last).to_contain_text("bob → ann: psst")

        bob.click("#leave")
        expect(bob.locator("#join-form")).to_be_visible()
        expect(ann.locator("#messages li").last).to_contain_text("bob left")
        expect(ann.locator("#members li")).to_have_text(["ann"])
    finally:
        ann.close()
        bob.close()


def test_errors_show_next_to_the_input_that_caused_them(browser: Browser, base_url: str) -> None:
    page = open_chat(browser, base_url)
    try:
        join(page, "cy", "   ")
        expect(page.locator("#room-error")).to_have_text("String should have at least 1 character")
        expect(page.locator("#room")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#name-error")).to_have_text("")
        screenshot(page, "chat-error")

        join(page, "cy", "error-room")
        expect(page.locator("#room-name")).to_have_text("error-room")
        say(page, "   ")
        expect(page.locator("#text-error")).to_have_text("String should have at least 1 character")
        page.fill("#whisper-to", "nobody")
        page.fill("#whisper-text", "hello?")
        page.click("#whisper")
        expect(page.locator("#whisper-to-error")).to_contain_text("Nobody else called 'nobody'")
        say(page, "still here")
        expect(page.locator("#messages li").last).to_contain_text("cy: still here")
        expect(page.locator("#text-error")).to_have_text("")
        expect(page.locator("#status")).to_have_text("connected")
    finally:
        page.close()


def test_both_pages_reconnect_rejoin_and_chat_again_after_a_restart(browser: Browser) -> None:
    port = free_port()
    with serve(app, port=port, timeout_graceful_shutdown=1) as ws_url:
        base = "http://" + ws_url.removeprefix("ws://")
        ann, bob = open_chat(browser, base), open_chat(browser, base)
        join(ann, "ann", "restart-room")
        join(bob, "bob", "restart-room")
        expect(ann.locator("#members li")).to_have_text(["ann", "bob"])
    try:
        # The server is gone: each page says so, and its buttons wait.
        for page in (ann, bob):
            expect(page.locator("#status")).to_have_text("reconnecting…")
            expect(page.locator("#say")).to_be_disabled()
        screenshot(ann, "chat-reconnecting")
        with serve(app, port=port):
            for page in (ann, bob):
                expect(page.locator("#status")).to_have_text("connected", timeout=30_000)
                expect(page.locator("#room-name")).to_have_text("restart-room")
            for page in (ann, bob):  # re-joined in either order
                expect(page.locator("#members li")).to_have_count(2)
                # The room's history outlived the restart (the same process): nothing lost.
                expect(page.locator("#messages")).to_contain_text("reconnected")
                expect(page.locator("#messages")).not_to_contain_text("missing")
            say(ann, "back again")
            expect(bob.locator("#messages li").last).to_contain_text("ann: back again")
            say(bob, "me too")
            expect(ann.locator("#messages li").last).to_contain_text("bob: me too")
            screenshot(ann, "chat-after-restart")
    finally:
        ann.close()
        bob.close()
