"""Two uvicorn worker processes sharing one redis-server: clients on each see the others.

Each worker is a real ``python -m uvicorn`` process serving ``tests.groups.app``; the
clients are ``websockets`` connections, one per worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.hardening.process import ServerProcess

from .conftest import Workers
from .redis_server import RedisServer

pytestmark = pytest.mark.anyio

#: Messages each client broadcasts in the ordering test.
COUNT = 200


@pytest.fixture
def workers(
    two_workers: Callable[[str], AbstractContextManager[Workers]],
) -> Iterator[Workers]:
    """Two worker processes of ``tests.groups.app`` on the test's Redis."""
    with two_workers("tests.groups.app:app") as pair:
        yield pair


async def receive(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    """The next message from the server, which must come within ``timeout`` seconds."""
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return message


async def ask(ws: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    """Send ``message`` and return the reply that follows."""
    await ws.send(json.dumps(message))
    return await receive(ws)


async def until_health(
    *clients: ClientConnection, healthy: bool = True, timeout: float = 10.0
) -> None:
    """Wait until the worker of each client says its hub is (or, with ``healthy=False``,
    is no longer) connected and subscribed."""
    deadline = time.monotonic() + timeout
    for ws in clients:
        while (await ask(ws, {"type": "health"}))["healthy"] is not healthy:
            assert time.monotonic() < deadline, f"a worker's hub is still not healthy={healthy}"
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def clients_in_room(
    one: ServerProcess, two: ServerProcess, room: str
) -> AsyncIterator[tuple[ClientConnection, ClientConnection]]:
    """A client on each worker, both in ``room``."""
    async with connect(f"{one.url}/ws") as a, connect(f"{two.url}/ws") as b:
        for ws in (a, b):
            assert await ask(ws, {"type": "enter", "room": room}) == {"type": "enter", "room": room}
        yield a, b


async def test_clients_on_two_workers_get_each_others_broadcasts_in_order(
    workers: tuple[ServerProcess, ServerProcess],
) -> None:
    async with clients_in_room(*workers, "room") as (a, b):

        async def say_all(ws: ClientConnection, first: int) -> None:
            for n in range(first, first + COUNT):
                await ws.send(json.dumps({"type": "say", "room": "room", "n": n}))

        async def hear_all(ws: ClientConnection) -> list[int]:
            return [(await receive(ws))["n"] for _ in range(2 * COUNT)]

        _, _, heard_by_a, heard_by_b = await asyncio.gather(
            say_all(a, 0), say_all(b, 1000), hear_all(a), hear_all(b)
        )
    for heard in (heard_by_a, heard_by_b):
        assert [n for n in heard if n < 1000] == list(range(COUNT))
        assert [n for n in heard if n >= 1000] == list(range(1000, 1000 + COUNT))


async def test_redis_lost_and_back_while_the_workers_serve(
    workers: tuple[ServerProcess, ServerProcess], redis_server: RedisServer
) -> None:
    async with clients_in_room(*workers, "room") as (a, b):
        await a.send(json.dumps({"type": "say", "room": "room", "n": 1}))
        assert (await receive(a))["n"] == 1
        assert (await receive(b))["n"] == 1

        redis_server.kill()
        await until_health(a, healthy=False)  # the worker's listener lost Redis: at once
        await a.send(json.dumps({"type": "say", "room": "room", "n": 2, "id": 7}))
        assert await receive(a) == {"type": "said", "room": "room", "n": 2}  # local members
        error = await receive(a)
        assert error["id"] == 7
        assert [entry["type"] for entry in error["errors"]] == ["broadcast_unavailable"]
        assert (await ask(a, {"type": "health"}))["type"] == "health"  # the connection goes on

        redis_server.start()  # same port; the apps are not restarted
        await until_health(a, b)
        await b.send(json.dumps({"type": "say", "room": "room", "n": 3}))
        assert (await receive(a))["n"] == 3
        assert (await receive(b))["n"] == 3  # n=2 never reached b: pub/sub is at most once
        await a.send(json.dumps({"type": "say", "room": "room", "n": 4}))
        assert (await receive(a))["n"] == 4
        assert (await receive(b))["n"] == 4
