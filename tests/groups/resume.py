"""The resume scenario of the history tests, over real sockets.

A member and a watcher are in a room; a broadcaster says 100 numbers a second for 3
seconds. After 1 second the member disconnects; a second later it connects again (maybe
to another worker) and enters the room since the last position it got. It must end up
with every number exactly once, in order, each message the very text the watcher got.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from socketsundso.groups import POSITION_KEY

__all__ = ["Heard", "enter", "resume", "receive"]

#: Messages a second, and for how many seconds.
RATE = 100
SECONDS = 3


async def receive(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    """The next message, which must come within ``timeout`` seconds."""
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


@dataclass
class Heard:
    """What one client got of the room: the texts of the broadcasts, and the replies."""

    texts: list[str] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)

    def numbers(self) -> list[int]:
        return [json.loads(text)["n"] for text in self.texts]

    def last_position(self) -> dict[str, Any] | None:
        if not self.texts:
            return None
        position: dict[str, Any] = json.loads(self.texts[-1])[POSITION_KEY]
        return position

    async def read(self, ws: ClientConnection, until: int | None = None) -> None:
        """Read until the connection closes, or until number ``until`` arrived."""
        async for text in ws:
            assert isinstance(text, str)
            message = json.loads(text)
            if POSITION_KEY in message:
                self.texts.append(text)
                if message["n"] == until:
                    return
            else:
                self.replies.append(message)


async def enter(ws: ClientConnection, room: str, since: object = None) -> dict[str, Any]:
    """Enter ``room`` (since a position); the reply, with the broadcasts before it left
    to the caller's reader: send only."""
    message: dict[str, Any] = {"type": "enter", "room": room}
    if since is not None:
        message["since"] = since
    await ws.send(json.dumps(message))
    return message


async def _enter_and_wait(ws: ClientConnection, room: str) -> dict[str, Any]:
    await enter(ws, room)
    while True:
        reply = await receive(ws)
        if reply.get("type") == "enter":
            return reply


async def resume(first_url: str, again_url: str, say_url: str, room: str = "room") -> None:
    """Run the scenario; the member connects to ``first_url``, then to ``again_url``."""
    total = RATE * SECONDS
    async with connect(say_url) as speaker, connect(first_url) as watcher_ws:
        await _enter_and_wait(watcher_ws, room)
        watcher = Heard()
        watching = asyncio.create_task(watcher.read(watcher_ws, until=total - 1))
        before = Heard()
        member = await connect(first_url)
        await _enter_and_wait(member, room)
        reading = asyncio.create_task(before.read(member))

        async def say_all() -> None:
            start = time.monotonic()
            for n in range(total):
                await asyncio.sleep(max(0.0, start + n / RATE - time.monotonic()))
                await speaker.send(json.dumps({"type": "say", "room": room, "n": n}))

        saying = asyncio.create_task(say_all())
        await asyncio.sleep(1)
        await member.close()
        await reading
        assert before.texts, "the member heard nothing before it left"
        await asyncio.sleep(1)
        after = Heard()
        async with connect(again_url) as member:
            await enter(member, room, since=before.last_position())
            await asyncio.wait_for(after.read(member, until=total - 1), 30)
        await saying
        await asyncio.wait_for(watching, 30)

    [entered] = [reply for reply in after.replies if reply.get("type") == "enter"]
    assert entered["recovered"] is True, entered
    assert entered["reason"] is None
    assert watcher.numbers() == list(range(total))
    numbers = before.numbers() + after.numbers()
    assert numbers == list(range(total)), _gaps(numbers, total)
    assert before.texts + after.texts == watcher.texts  # byte for byte
    offsets = [json.loads(text)[POSITION_KEY]["offset"] for text in watcher.texts]
    assert offsets == list(range(offsets[0], offsets[0] + total))


def _gaps(numbers: list[int], total: int) -> str:
    seen = set(numbers)
    missing = [n for n in range(total) if n not in seen]
    duplicates = len(numbers) - len(seen)
    return f"missing {missing[:20]}, {duplicates} duplicates"
