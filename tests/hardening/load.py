"""A load client: many ``websockets`` connections, each pipelining numbered messages.

Every message carries its connection's sequence number (``seq``; ``id`` on the
invalid ones that still have a valid envelope), so each answer can be matched to
the message that caused it: an answer lost, duplicated, reordered or delivered to
the wrong connection is counted, never hidden.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any

import anyio
from websockets.asyncio.client import ClientConnection, connect

__all__ = ["BAD_EVERY", "LoadFigures", "frame", "run_load"]

#: Every BAD_EVERY-th message of a connection is invalid, cycling through BAD_KINDS.
BAD_EVERY = 10
#: The kinds of invalid message mixed into the load, in the order they cycle.
BAD_KINDS = ("invalid_json", "unknown_type", "wrong_field_type")


@dataclasses.dataclass
class LoadFigures:
    """What a load run measured; ``lost`` and ``wrong`` must both be 0."""

    connections: int
    messages_per_connection: int
    messages: int = 0
    good: int = 0
    bad: int = 0
    answers: int = 0
    errors: int = 0
    lost: int = 0
    wrong: int = 0
    duration_s: float = 0.0
    msgs_per_s: float = 0.0
    problems: list[str] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The figures as plain JSON data (at most 10 problems, to keep it readable)."""
        data = dataclasses.asdict(self)
        data["problems"] = self.problems[:10]
        return data


def frame(connection: int, seq: int) -> tuple[str, dict[str, Any]]:
    """Message ``seq`` of ``connection`` and the answer expected for it.

    The expectation is the reply's exact content for a good message, or
    ``{"errors": True, "id": ...}`` for a bad one (``id`` ``None`` when the message
    is not even JSON and so has no id to echo).
    """
    if seq % BAD_EVERY == BAD_EVERY - 1:
        kind = BAD_KINDS[(seq // BAD_EVERY) % len(BAD_KINDS)]
        if kind == "invalid_json":
            return f'{{"type": "echo", "seq": {seq}, "text": ', {"errors": True, "id": None}
        if kind == "unknown_type":
            return json.dumps({"type": "nope", "id": seq, "seq": seq}), {"errors": True, "id": seq}
        text = json.dumps({"type": "add", "id": seq, "seq": seq, "a": "x", "b": connection})
        return text, {"errors": True, "id": seq}
    if seq % 2:
        text = json.dumps({"type": "add", "seq": seq, "a": seq, "b": connection})
        return text, {"type": "add", "seq": seq, "sum": seq + connection}
    body = f"c{connection}-m{seq}"
    text = json.dumps({"type": "echo", "seq": seq, "text": body})
    return text, {"type": "echo", "seq": seq, "length": len(body)}


def _matches(reply: dict[str, Any], expected: dict[str, Any]) -> bool:
    if expected.get("errors") is True:
        errors = reply.get("errors")
        return bool(errors) and isinstance(errors, list) and reply.get("id") == expected["id"]
    return reply == expected


async def _client(ws: ClientConnection, connection: int, count: int, figures: LoadFigures) -> None:
    frames = [frame(connection, seq) for seq in range(count)]

    async def send_all() -> None:
        for text, _ in frames:
            await ws.send(text)

    sender = asyncio.create_task(send_all())
    received = 0
    try:
        for seq, (_, expected) in enumerate(frames):
            reply = json.loads(await ws.recv())
            received += 1
            if "errors" in reply:
                figures.errors += 1
            else:
                figures.answers += 1
            if not _matches(reply, expected):
                figures.wrong += 1
                figures.problems.append(f"connection {connection} message {seq}: got {reply}")
        await sender
    finally:
        figures.lost += count - received
        sender.cancel()


async def run_load(
    url: str, *, connections: int, messages: int, patience: float = 120.0
) -> LoadFigures:
    """Open ``connections`` clients to ``url``, all pipelining ``messages`` messages at once.

    Connections are opened first; the clock runs from the first message sent to the
    last answer received. Replies still missing after ``patience`` seconds count as
    lost; a connection that fails is reported in ``problems``.
    """
    figures = LoadFigures(connections, messages)
    figures.messages = connections * messages
    figures.bad = connections * sum(
        1 for seq in range(messages) if seq % BAD_EVERY == BAD_EVERY - 1
    )
    figures.good = figures.messages - figures.bad
    sockets = await asyncio.gather(
        *(
            connect(url, compression=None, max_queue=None, open_timeout=30)
            for _ in range(connections)
        )
    )
    try:
        start = time.perf_counter()
        results: list[object] = []
        with anyio.move_on_after(patience) as patience_scope:
            results = await asyncio.gather(
                *(_client(ws, n, messages, figures) for n, ws in enumerate(sockets)),
                return_exceptions=True,
            )
        if patience_scope.cancelled_caught:
            figures.problems.append(f"gave up waiting after {patience} s")
        figures.duration_s = round(time.perf_counter() - start, 3)
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    for n, result in enumerate(results):
        if isinstance(result, BaseException):
            figures.problems.append(f"connection {n} failed: {result!r}")
    replies = figures.answers + figures.errors
    figures.msgs_per_s = round(replies / figures.duration_s) if figures.duration_s else 0
    return figures
