"""The history of ``RedisGroups`` against a real redis-server: one command per
broadcast, and joins racing a stream of broadcasts (in memory too)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable

import pytest

from socketsundso import _redis_history
from socketsundso.groups import (
    POSITION_KEY,
    BroadcastUnavailable,
    Groups,
    History,
    Membership,
    MemoryGroups,
    Position,
    RedisGroups,
)

from .redis_server import RedisServer

pytestmark = pytest.mark.anyio


class Inbox:
    """A member that keeps the offsets of what it is given."""

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.epoch = ""

    def deliver(self, text: str) -> None:
        position = json.loads(text)[POSITION_KEY]
        self.epoch = position["epoch"]
        self.offsets.append(position["offset"])


class Monitor:
    """The commands Redis runs, as ``MONITOR`` shows them, in a thread of its own."""

    def __init__(self, port: int) -> None:
        self.lines: list[str] = []
        self._socket = socket.create_connection(("127.0.0.1", port))
        self._socket.sendall(b"MONITOR\r\n")
        self._buffer = b""
        assert self._line() == "+OK"
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _line(self) -> str:
        while b"\r\n" not in self._buffer:
            chunk = self._socket.recv(65536)
            if not chunk:
                raise EOFError
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\r\n", 1)
        return line.decode(errors="replace")

    def _read(self) -> None:
        try:
            while True:
                self.lines.append(self._line())
        except (EOFError, OSError):
            return

    def close(self) -> list[str]:
        """Stop, and the commands clients sent (not those scripts ran), by name."""
        self._socket.close()
        self._thread.join(5)
        return [line.split('"')[1].lower() for line in self.lines if "[0 lua]" not in line]


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_one_command_per_broadcast(redis_server: RedisServer) -> None:
    hub = RedisGroups(redis_server.url, history=History(), health_check_interval=60)
    member = Inbox()
    await hub.join("g", member)
    await hub.broadcast("g", '{"n":0}')  # the publisher connects and loads the script
    await until(lambda: len(member.offsets) == 1)
    monitor = Monitor(redis_server.port)
    await asyncio.sleep(0.1)  # MONITOR is on before the first broadcast counted
    count = 200
    for n in range(count):
        await hub.broadcast("g", json.dumps({"n": n}))
    await until(lambda: len(member.offsets) == count + 1)
    # MONITOR's lines may trail the deliveries: wait for them, then a little for extras.
    await until(lambda: sum('"evalsha"' in line.lower() for line in monitor.lines) >= count)
    await asyncio.sleep(0.2)
    commands = monitor.close()
    await hub.aclose()
    assert commands == ["evalsha"] * count
    assert member.offsets == list(range(1, count + 2))


def _hubs(server: RedisServer | None) -> Groups:
    history = History(size=100_000)
    return (
        MemoryGroups(history=history)
        if server is None
        else RedisGroups(server.url, history=history)
    )


@pytest.mark.parametrize("where", ["memory", "redis"])
async def test_joins_racing_broadcasts_miss_nothing_and_repeat_nothing(
    where: str, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("redis_server") if where == "redis" else None
    hub = _hubs(server)
    first = await hub.join("g", Inbox())  # keeps the group's epoch the same throughout
    assert first.position is not None
    broadcasts = 3000
    done = asyncio.Event()

    async def broadcast_all() -> None:
        for n in range(broadcasts):
            await hub.broadcast("g", json.dumps({"n": n}))
        done.set()

    async def come_and_go(member: Inbox, pause: float) -> None:
        since = first.position
        while not done.is_set():
            joined = await hub.join("g", member, since=since)
            assert (joined.recovered, joined.reason) == (True, None), joined
            await asyncio.sleep(pause)
            await hub.leave("g", member)
            since = (
                Position(epoch=first.position.epoch, offset=member.offsets[-1])
                if member.offsets
                else first.position
            )  # type: ignore[union-attr]

    members = [Inbox() for _ in range(8)]
    await asyncio.gather(
        broadcast_all(), *(come_and_go(m, 0.001 * i) for i, m in enumerate(members))
    )
    for member in members:  # one last join gets the rest
        since = Position(
            epoch=first.position.epoch, offset=member.offsets[-1] if member.offsets else 0
        )
        joined = await hub.join("g", member, since=since)
        assert joined.recovered, joined
        await until(lambda m=member: m.offsets[-1:] == [broadcasts])  # type: ignore[misc]
        assert member.offsets == list(range(1, broadcasts + 1))
    await hub.aclose()


@pytest.mark.parametrize("page", [7, 256])
async def test_a_replay_pages_through_the_stream(
    page: int, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_redis_history, "REPLAY_PAGE", page)
    hub = RedisGroups(redis_server.url, history=History(size=700))
    watcher = Inbox()
    first = await hub.join("g", watcher)
    assert first.position is not None
    for n in range(600):
        await hub.broadcast("g", json.dumps({"n": n}))
    await until(lambda: len(watcher.offsets) == 600)
    member = Inbox()
    joined = await hub.join("g", member, since=first.position)
    assert (joined.recovered, joined.position) == (
        True,
        Position(epoch=first.position.epoch, offset=600),
    )
    assert member.offsets == list(range(1, 601))
    await hub.aclose()


async def test_a_join_while_redis_is_down_holds_without_a_position(
    redis_server: RedisServer,
) -> None:
    hub = RedisGroups(redis_server.url, history=History())
    first = await hub.join("g", Inbox())
    redis_server.kill()
    joined = await hub.join("g", Inbox(), since=first.position)
    assert joined == Membership("g", None, False, "unknown_group")
    assert hub.members("g") == 2
    await hub.aclose()


async def test_a_hung_redis_holds_history_groups_and_then_refuses_their_broadcasts(
    redis_server: RedisServer,
) -> None:
    timeouts = {"socket_timeout": 0.3, "socket_connect_timeout": 0.3}
    hub = RedisGroups(redis_server.url, history=History(), **timeouts)
    member = Inbox()
    await hub.join("g", member)
    await hub.broadcast("g", '{"n":1}')
    await until(lambda: member.offsets == [1])
    redis_server.pause()
    try:
        await hub.broadcast("g", '{"n":2}')  # queued: Redis will number it, or no one
        assert member.offsets == [1]  # no local delivery without a position

        async def refused() -> bool:
            try:
                await hub.broadcast("g", '{"n":3}')
            except BroadcastUnavailable:
                return True
            await asyncio.sleep(0.05)
            return False

        deadline = time.monotonic() + 10
        while not await refused():  # the publish timed out: the breaker opened
            assert time.monotonic() < deadline, "broadcasts were never refused"
    finally:
        redis_server.resume()
    await hub.aclose()
