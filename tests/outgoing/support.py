"""Helpers of the outgoing-path tests: clients over real sockets, and waiting for a state."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection

__all__ = ["TIMEOUT", "call", "eventually", "post", "receive_items"]

#: Seconds any test waits for something the server does before failing.
TIMEOUT = 10.0


async def call(ws: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    """Send ``message``; the next message received, parsed."""
    await ws.send(json.dumps(message))
    reply: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    return reply


async def receive_items(ws: ClientConnection, count: int) -> list[int]:
    """Receive ``count`` ``item`` messages; their numbers, in arrival order."""
    numbers = []
    for _ in range(count):
        message = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        assert message["type"] == "item", message
        numbers.append(message["n"])
    return numbers


async def eventually(condition: Callable[[], bool], what: str) -> None:
    """Wait until ``condition()`` holds; fail, saying ``what``, after ``TIMEOUT`` seconds."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {TIMEOUT} s: {what}")
        await asyncio.sleep(0.02)


async def post(url: str, body: Any) -> dict[str, Any]:
    """POST ``body`` as JSON to ``url`` (an ``http://`` one); the JSON answer."""

    def request() -> dict[str, Any]:
        data = json.dumps(body).encode()
        with urllib.request.urlopen(
            urllib.request.Request(url, data=data, method="POST"), timeout=TIMEOUT
        ) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    return await asyncio.to_thread(request)
