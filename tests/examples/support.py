"""Helpers for the example tests: calls with a deadline, so no test hangs.

``call_with_timeout`` bounds a blocking call (a TestClient session's ``receive_json``, a
README sample); ``next_message`` and ``ask`` bound what a ``websockets`` client waits for
a real server's answer.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

import anyio
from websockets.asyncio.client import ClientConnection

__all__ = ["TIMEOUT", "ask", "call_with_timeout", "content", "next_message"]

T = TypeVar("T")

#: Seconds a test waits for a message before failing (instead of hanging).
TIMEOUT = 10.0


def call_with_timeout(function: Callable[[], T], timeout: float, what: str) -> T:
    """``function()``'s result or exception; fails the test if it takes over ``timeout`` s.

    For blocking calls without a timeout of their own (a TestClient session's
    ``receive_json``, a README sample): ``function`` runs in a daemon thread, and a
    thread left waiting ends with whatever it waits on.
    """
    results: queue.Queue[tuple[T | None, BaseException | None]] = queue.Queue()

    def run() -> None:
        try:
            results.put((function(), None))
        except BaseException as exc:  # handed to the calling thread, raised there
            results.put((None, exc))

    threading.Thread(target=run, name=what, daemon=True).start()
    try:
        result, error = results.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"{what}: nothing within {timeout} s") from None
    if error is not None:
        raise error
    return cast(T, result)


async def next_message(ws: ClientConnection, seconds: float = TIMEOUT) -> Any:
    """The next JSON message ``ws`` receives; fails the test if none comes in ``seconds``."""
    with anyio.fail_after(seconds):
        return json.loads(await ws.recv())


async def ask(ws: ClientConnection, message: dict[str, Any]) -> Any:
    """Send ``message`` on ``ws`` and return the next message (its answer, usually)."""
    await ws.send(json.dumps(message))
    return await next_message(ws)


def content(message: dict[str, Any]) -> dict[str, Any]:
    """A chat broadcast without what changes from run to run: its ``at`` and ``$position``.

    Each is checked first: ``at`` an ISO 8601 time with a zone, ``$position`` a group, an
    epoch and an offset from 1 (the rooms keep a history).
    """
    rest = dict(message)
    if "at" in rest:
        at = datetime.fromisoformat(rest.pop("at"))
        assert at.tzinfo is not None, message
    if "$position" in rest:
        position = rest.pop("$position")
        assert set(position) == {"group", "epoch", "offset"}, message
        assert isinstance(position["offset"], int), message
        assert position["offset"] >= 1, message
    return rest
