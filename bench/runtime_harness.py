"""Fake ASGI client for the runtime benchmark: drives a WebSocket app in-process, no network.

Standard library only: the benchmark imports it both in the project's venv and in the
venv of the original socketsundso 0.0.5 (pydantic v1), which runs as a subprocess.

A "connection" is one call of the ASGI app with a ``receive`` that hands out pre-built
message dicts (connect, the frames, disconnect) and a ``send`` that only counts, so the
client costs as little as possible and the same for every system. Each frame is
received only after the app answered the previous one (the app awaits ``receive``
for the next frame once it has sent its reply): lock-step request/reply.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = [
    "BAD_FRAME",
    "EXPECTED_REPLY",
    "FRAME",
    "App",
    "check_app",
    "run_connection",
    "time_connection",
]

#: An ASGI application: ``await app(scope, receive, send)``.
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

#: The message every system handles, as the client sends it.
FRAME = '{"type":"echo","text":"hello world","n":3,"tags":["a","b"]}'
#: What each system must answer to ``FRAME`` (compared as parsed JSON).
EXPECTED_REPLY = {"type": "echo", "text": "hello world", "n": 3, "tags": ["a", "b"]}
#: A frame that fails validation (``n`` is not an integer): systems that validate
#: must answer it with an ``{"errors": [...]}`` frame and carry on.
BAD_FRAME = '{"type":"echo","text":"hello world","n":"three","tags":["a","b"]}'

_SCOPE: dict[str, Any] = {
    "type": "websocket",
    "asgi": {"version": "3.0", "spec_version": "2.3"},
    "scheme": "ws",
    "http_version": "1.1",
    "path": "/ws",
    "raw_path": b"/ws",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1"), (b"upgrade", b"websocket")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
    "subprotocols": [],
    "state": {},
}
_CONNECT = {"type": "websocket.connect"}
_DISCONNECT = {"type": "websocket.disconnect", "code": 1000}


def _frame(text: str) -> dict[str, Any]:
    return {"type": "websocket.receive", "text": text}


def run_connection(loop: asyncio.AbstractEventLoop, app: App, messages: int) -> int:
    """Serve one connection of ``messages`` frames of ``FRAME``; return how many sends the app made.

    Both fakes are as cheap as Python allows: ``receive`` pops the next pre-built dict
    off an iterator, ``send`` bumps a counter.
    """
    frame = _frame(FRAME)
    next_message = iter([_CONNECT, *([frame] * messages), _DISCONNECT]).__next__
    sent = 0

    async def receive() -> dict[str, Any]:
        return next_message()

    async def send(message: dict[str, Any]) -> None:
        nonlocal sent
        sent += 1

    loop.run_until_complete(app(dict(_SCOPE), receive, send))
    return sent


def time_connection(loop: asyncio.AbstractEventLoop, app: App, messages: int) -> int:
    """CPU nanoseconds one connection of ``messages`` frames takes; raises if replies went missing.

    CPU time of this thread, not wall-clock time: on a machine shared with other work,
    time spent descheduled is not the system's cost.
    """
    gc.collect()
    start = time.thread_time_ns()
    sent = run_connection(loop, app, messages)
    elapsed = time.thread_time_ns() - start
    # One accept plus one reply per frame; anything else means the system misbehaved.
    if sent != messages + 1:
        raise RuntimeError(f"{messages} frames got {sent - 1} replies (plus the accept)")
    return elapsed


def check_app(loop: asyncio.AbstractEventLoop, app: App, *, validates: bool) -> list[str]:
    """Drive one short connection and return what is wrong with the app's answers (empty: all good).

    Checks the accept, that each frame gets exactly one reply before the next frame
    is received (lock-step), that the reply to ``FRAME`` is ``EXPECTED_REPLY``, and,
    for a system that ``validates``, that ``BAD_FRAME`` gets an ``{"errors": [...]}``
    reply and the connection goes on.
    """
    texts = [FRAME, BAD_FRAME, FRAME] if validates else [FRAME, FRAME]
    inbox: list[dict[str, Any]] = [_CONNECT, *(_frame(t) for t in texts), _DISCONNECT]
    replies: list[list[dict[str, Any]]] = [[]]  # what was sent after each received message

    async def receive() -> dict[str, Any]:
        replies.append([])
        return inbox.pop(0) if inbox else _DISCONNECT

    async def send(message: dict[str, Any]) -> None:
        replies[-1].append(message)

    loop.run_until_complete(app(dict(_SCOPE), receive, send))
    problems: list[str] = []
    after_connect = replies[1] if len(replies) > 1 else []
    if [m.get("type") for m in after_connect] != ["websocket.accept"]:
        problems.append(f"expected one websocket.accept after connect, got {after_connect!r}")
    for index, text in enumerate(texts):
        sent = replies[index + 2] if len(replies) > index + 2 else []
        if len(sent) != 1 or sent[0].get("type") != "websocket.send":
            problems.append(f"frame {index} ({text}) got {sent!r}, not one websocket.send")
            continue
        try:
            reply = json.loads(sent[0].get("text") or sent[0].get("bytes") or "")
        except ValueError:
            problems.append(f"frame {index}: reply is not JSON: {sent[0]!r}")
            continue
        if text == FRAME and reply != EXPECTED_REPLY:
            problems.append(f"frame {index}: reply {reply!r} != {EXPECTED_REPLY!r}")
        if text == BAD_FRAME and not (
            isinstance(reply, dict) and isinstance(reply.get("errors"), list) and reply["errors"]
        ):
            problems.append(f"frame {index}: invalid input got {reply!r}, not an error frame")
    return problems
