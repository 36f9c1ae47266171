"""A Redis that hangs (SIGSTOP) must not slow the delivery of lines on the same worker.

uvicorn serves the chat room of ``tests.groups.app`` on 127.0.0.1, its hub a
``RedisGroups`` on the test's own redis-server; two ``websockets`` clients are members
of one room. With Redis stopped, one says a line every 50 ms: each handler must return
once the members on this worker have the line, not after Redis timed out. How late the
other member got each line goes to the run's summary (``figures: redis-stalled``).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.groups.app import room_endpoint
from tests.hardening.apps import app_of
from tests.hardening.figures import write_figures
from tests.servers import serve

from .redis_server import RedisServer

pytestmark = pytest.mark.anyio

#: Lines said while Redis is stopped, and the pause between them (seconds).
LINES = 10
PAUSE = 0.05
#: Seconds any line may take to arrive before the test gives up on it.
TIMEOUT = 10.0


async def ask(ws: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    """Send ``message``; the next message received, parsed."""
    await ws.send(json.dumps(message))
    reply: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    return reply


async def arrivals(ws: ClientConnection, count: int) -> dict[int, float]:
    """When each of ``count`` ``said`` lines arrived (``time.monotonic()``), by number."""
    arrived: dict[int, float] = {}
    while len(arrived) < count:
        message = json.loads(await ws.recv())
        if message.get("type") == "said":
            arrived[message["n"]] = time.monotonic()
    return arrived


async def test_lines_reach_members_on_the_same_worker_at_once_while_redis_hangs(
    redis_server: RedisServer,
) -> None:
    room = room_endpoint(redis_server.url)
    with serve(app_of(room)) as url:
        async with connect(f"{url}/ws") as ann, connect(f"{url}/ws") as bob:
            await ask(ann, {"type": "enter", "room": "r"})
            await ask(bob, {"type": "enter", "room": "r"})
            assert (await ask(ann, {"type": "health"}))["healthy"]
            redis_server.pause()  # connections stay open; nothing answers
            try:
                at_bob = asyncio.create_task(arrivals(bob, LINES))
                at_ann = asyncio.create_task(arrivals(ann, LINES))
                said: dict[int, float] = {}
                for n in range(LINES):
                    said[n] = time.monotonic()
                    await ann.send(json.dumps({"type": "say", "room": "r", "n": n}))
                    await asyncio.sleep(PAUSE)
                # Every line, within TIMEOUT of the last: while Redis still hangs.
                got, _ = await asyncio.wait_for(asyncio.gather(at_bob, at_ann), TIMEOUT)
            finally:
                redis_server.resume()
    delays = [got[n] - said[n] for n in range(LINES)]
    write_figures(
        "redis-stalled",
        {
            "lines": LINES,
            "worst_ms": round(max(delays) * 1000, 1),
            "median_ms": round(sorted(delays)[LINES // 2] * 1000, 1),
        },
    )
