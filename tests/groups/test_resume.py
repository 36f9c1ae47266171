"""A member that reconnects gets what it missed, in memory and over Redis (on the same
worker or another), or learns why not; real uvicorn servers, ``websockets`` clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest
from websockets.asyncio.client import connect

from socketsundso.groups import History, MemoryGroups, RedisGroups
from tests.hardening.apps import app_of
from tests.hardening.process import ServerProcess
from tests.servers import serve

from .conftest import Workers
from .history_app import history_endpoint
from .redis_server import RedisServer
from .resume import Heard, enter, receive, resume

pytestmark = pytest.mark.anyio


async def test_a_member_resumes_in_memory() -> None:
    with serve(app_of(history_endpoint(MemoryGroups(history=History())))) as base:
        await resume(f"{base}/ws", f"{base}/ws", f"{base}/ws")


async def test_a_member_resumes_over_redis(redis_server: RedisServer) -> None:
    hub = RedisGroups(redis_server.url, history=History())
    with serve(app_of(history_endpoint(hub))) as base:
        await resume(f"{base}/ws", f"{base}/ws", f"{base}/ws")


@pytest.fixture
def workers(
    two_workers: Callable[[str], AbstractContextManager[Workers]],
) -> Iterator[Workers]:
    """Two worker processes of ``tests.groups.history_app`` on the test's Redis."""
    with two_workers("tests.groups.history_app:app") as pair:
        yield pair


async def test_a_member_resumes_on_another_worker(
    workers: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = workers
    await resume(f"{one.url}/ws", f"{two.url}/ws", f"{one.url}/ws")


async def _position_then_missed(url: str, count: int) -> dict[str, object]:
    """Enter the room, hear one message, leave; ``count`` more are said meanwhile (a
    watcher hears them all: they were stored). The position of the message heard."""
    async with connect(url) as speaker, connect(url) as watcher:
        await enter(watcher, "room")
        assert (await receive(watcher))["type"] == "enter"
        async with connect(url) as member:
            await enter(member, "room")
            assert (await receive(member))["type"] == "enter"
            await speaker.send(json.dumps({"type": "say", "room": "room", "n": 0}))
            position: dict[str, object] = (await receive(member))["$position"]
        for n in range(1, count + 1):
            await speaker.send(json.dumps({"type": "say", "room": "room", "n": n}))
        await asyncio.wait_for(Heard().read(watcher, until=count), 10)
    return position


async def _refused_then_live(url: str, since: object, reason: str) -> None:
    """Entering since ``since`` recovers nothing, for ``reason``; live messages flow."""
    async with connect(url) as member, connect(url) as speaker:
        await enter(member, "room", since=since)
        entered = await receive(member)
        assert entered["type"] == "enter"
        assert (entered["recovered"], entered["reason"]) == (False, reason)
        await speaker.send(json.dumps({"type": "say", "room": "room", "n": 1000}))
        live = await receive(member)
        assert live["n"] == 1000
        assert live["$position"]["offset"] == entered["position"]["offset"] + 1


@pytest.mark.parametrize("where", ["memory", "redis"])
async def test_size_exceeded(where: str, request: pytest.FixtureRequest) -> None:
    if where == "memory":
        hub = MemoryGroups(history=History(size=10))
    else:
        hub = RedisGroups(request.getfixturevalue("redis_server").url, history=History(size=10))
    with serve(app_of(history_endpoint(hub))) as base:
        url = f"{base}/ws"
        since = await _position_then_missed(url, 11)
        await _refused_then_live(url, since, "too_old")
        since = await _position_then_missed(url, 10)  # exactly size: recovered
        async with connect(url) as member:
            await enter(member, "room", since=since)
            heard = Heard()
            await asyncio.wait_for(heard.read(member, until=10), 10)
            assert heard.numbers() == list(range(1, 11))
            entered = heard.replies[0] if heard.replies else await receive(member)
            assert entered["recovered"] is True


@pytest.mark.parametrize("where", ["memory", "redis"])
async def test_more_than_max_replay(where: str, request: pytest.FixtureRequest) -> None:
    history = History(size=100, max_replay=5)
    if where == "memory":
        hub = MemoryGroups(history=history)
    else:
        hub = RedisGroups(request.getfixturevalue("redis_server").url, history=history)
    with serve(app_of(history_endpoint(hub))) as base:
        since = await _position_then_missed(f"{base}/ws", 6)
        await _refused_then_live(f"{base}/ws", since, "replay_too_large")


@pytest.mark.parametrize("where", ["memory", "redis"])
async def test_ttl_exceeded(where: str, request: pytest.FixtureRequest) -> None:
    history = History(ttl=0.5)
    if where == "memory":
        hub = MemoryGroups(history=history)
    else:
        hub = RedisGroups(request.getfixturevalue("redis_server").url, history=history)
    with serve(app_of(history_endpoint(hub))) as base:
        url = f"{base}/ws"
        since = await _position_then_missed(url, 1)
        async with connect(url) as speaker:  # keeps the group alive while n=1 grows old
            for n in range(2, 10):
                await asyncio.sleep(0.1)
                await speaker.send(json.dumps({"type": "say", "room": "room", "n": n}))
            await _refused_then_live(url, since, "too_old")
        await asyncio.sleep(0.7)  # no message for longer than ttl: the group is forgotten
        await _refused_then_live(url, since, "unknown_group")


async def _until_health(url: str, healthy: bool) -> None:
    """Wait until the hub of the worker at ``url`` is (or is no longer) healthy."""
    deadline = time.monotonic() + 10
    async with connect(url) as ws:
        while True:
            await ws.send(json.dumps({"type": "health"}))
            if (await receive(ws))["healthy"] is healthy:
                return
            assert time.monotonic() < deadline, f"the worker's hub is not healthy={healthy}"
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("how", ["flushall", "restart"])
async def test_redis_that_lost_the_history(
    how: str, redis_server: RedisServer, workers: tuple[ServerProcess, ServerProcess]
) -> None:
    one, two = workers
    url = f"{one.url}/ws"
    since = await _position_then_missed(url, 3)
    if how == "flushall":
        with redis_server.client() as client:
            client.flushall()
    else:
        redis_server.kill()
        await _until_health(url, False)  # the worker's hub saw Redis go...
        redis_server.start()  # ...empty, on the same port
        await _until_health(url, True)
    await _refused_then_live(f"{two.url}/ws", since, "unknown_group")
    # A broadcast made a new epoch: a position of the old one is of another epoch.
    await _refused_then_live(f"{one.url}/ws", since, "epoch_changed")
