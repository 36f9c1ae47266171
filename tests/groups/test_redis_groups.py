"""RedisGroups with fake members: two hubs on one redis-server play two worker processes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from socketsundso._redis_groups import _Session
from socketsundso.groups import BroadcastUnavailable, Groups, RedisGroups

from .redis_server import RedisServer

pytestmark = pytest.mark.anyio

CHANNEL_PREFIX = "socketsundso:"


class Member:
    """A fake connection: what the hub delivers, in order."""

    def __init__(self) -> None:
        self.got: list[str] = []

    def deliver(self, text: str) -> None:
        self.got.append(text)


@contextlib.asynccontextmanager
async def hubs(url: str, count: int = 2, **options: Any) -> AsyncIterator[list[RedisGroups]]:
    """``count`` hubs on ``url`` (as many workers), closed at the end."""
    made = [RedisGroups(url, **options) for _ in range(count)]
    try:
        yield made
    finally:
        for hub in made:
            await hub.aclose()


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"still not true after {timeout} s: {predicate.__doc__ or predicate}")
        await asyncio.sleep(0.01)


def subscribers(server: RedisServer, group: str) -> int:
    """How many connections of the server are subscribed to ``group``'s channel."""
    return server.subscribers(CHANNEL_PREFIX + group)


# -- construction -------------------------------------------------------------------------


def test_importing_groups_does_not_import_redis() -> None:
    code = (
        "import sys, socketsundso.groups, socketsundso.endpoints\n"
        "assert 'redis' not in sys.modules, 'redis imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_redis_making_a_hub_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("redis", "redis.asyncio", "redis.asyncio.connection", "redis.exceptions"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"pip install 'socketsundso\[redis\]'"):
        RedisGroups("redis://127.0.0.1:6379/0")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6379", "127.0.0.1:6379", "", "tcp://u:secret@host"]
)
def test_a_url_without_a_redis_scheme_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="redis://, rediss:// or unix://") as raised:
        RedisGroups(url)
    assert "secret" not in str(raised.value)


def test_a_url_not_a_str_is_refused() -> None:
    with pytest.raises(TypeError, match="a URL"):
        RedisGroups(b"redis://127.0.0.1")  # type: ignore[arg-type]


def test_an_unknown_option_fails_when_the_hub_is_made() -> None:
    with pytest.raises(TypeError, match="socket_timout"):
        RedisGroups("redis://127.0.0.1:6379/0", socket_timout=1)


@pytest.mark.parametrize("interval", [0, -1, "5", True])
def test_a_health_check_interval_is_a_positive_number(interval: object) -> None:
    with pytest.raises(ValueError, match="health_check_interval must be a positive number"):
        RedisGroups("redis://127.0.0.1:6379/0", health_check_interval=interval)


def test_the_password_stays_out_of_repr() -> None:
    hub = RedisGroups("redis://:hunter2@127.0.0.1:6379/0")
    assert "hunter2" not in repr(hub)
    assert repr(hub) == "RedisGroups('redis://:***@127.0.0.1:6379/0')"


def test_a_hub_is_a_groups_hub_that_connects_to_nothing_until_used() -> None:
    hub = RedisGroups("unix:///nonexistent/redis.sock")
    assert isinstance(hub, Groups)
    assert not hub.healthy
    assert hub.groups() == []


# -- subscriptions ------------------------------------------------------------------------


async def test_the_first_member_subscribes_and_the_last_unsubscribes(
    redis_server: RedisServer,
) -> None:
    async with hubs(redis_server.url, 1) as [hub]:
        first, second = Member(), Member()
        await hub.join("room", first)
        assert subscribers(redis_server, "room") == 1  # join returned once confirmed
        await hub.join("room", second)
        await hub.join("room", second)
        assert subscribers(redis_server, "room") == 1
        assert hub.members("room") == 2
        await hub.leave("room", first)
        assert subscribers(redis_server, "room") == 1
        await hub.leave("room", second)
        await eventually(lambda: subscribers(redis_server, "room") == 0)
        assert hub.groups() == []


async def test_leave_all_unsubscribes_in_the_background(redis_server: RedisServer) -> None:
    async with hubs(redis_server.url, 1) as [hub]:
        leaving, staying = Member(), Member()
        for group in ("a", "b", "c"):
            await hub.join(group, leaving)
        await hub.join("c", staying)
        hub.leave_all(["a", "b", "c"], leaving)  # a plain call: nothing to await
        assert hub.groups() == ["c"]
        await eventually(lambda: [subscribers(redis_server, group) for group in "abc"] == [0, 0, 1])


async def test_concurrent_joins_of_a_new_group_all_wait_for_its_subscription(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    confirmed = _Session._confirmed

    def confirm(session: _Session, group: str) -> None:
        events.append(f"{group} confirmed")
        confirmed(session, group)

    monkeypatch.setattr(_Session, "_confirmed", confirm)

    async def join(hub: RedisGroups, member: Member) -> None:
        await hub.join("new", member)
        events.append("joined")

    async with hubs(redis_server.url) as [sender, receiver]:
        await sender.join("warmup", Member())  # both hubs connected: the wait is the SUBSCRIBE's
        await receiver.join("warmup", Member())
        events.clear()
        members = [Member() for _ in range(10)]
        await asyncio.gather(*(join(receiver, member) for member in members))
        assert events == ["new confirmed"] + ["joined"] * 10
        await sender.broadcast("new", "right after")
        await eventually(lambda: all(member.got == ["right after"] for member in members))


async def test_a_join_cancelled_while_it_waits_is_undone(redis_server: RedisServer) -> None:
    async def cancel(join: asyncio.Task[None]) -> None:
        join.cancel()
        with pytest.raises(asyncio.CancelledError):
            await join

    async with hubs(redis_server.url, 1) as [hub]:
        await hub.join("room", Member())
        redis_server.pause()  # no SUBSCRIBE gets confirmed
        member = Member()
        first = asyncio.create_task(hub.join("new", member))
        await asyncio.sleep(0.05)
        again = asyncio.create_task(hub.join("new", member))
        await asyncio.sleep(0.05)
        assert not first.done()
        assert not again.done()
        await cancel(again)
        assert hub.members("new") == 1  # a membership from before the cancelled join stays
        await cancel(first)
        assert hub.members("new") == 0
        assert hub.groups() == ["room"]
        redis_server.resume()


# -- broadcasts across hubs ---------------------------------------------------------------


async def test_two_workers_get_each_others_broadcasts_in_order_and_once(
    redis_server: RedisServer,
) -> None:
    async with hubs(redis_server.url) as [one, two]:
        at_one, at_two = Member(), Member()
        await one.join("room", at_one)
        await two.join("room", at_two)
        sent = [f'{{"n": {n}}}' for n in range(500)]
        for text in sent:
            await one.broadcast("room", text)
        await eventually(lambda: len(at_two.got) == 500)
        assert at_two.got == sent
        assert at_one.got == sent  # delivered directly, not a second time from Redis
        await two.broadcast("room", "back")
        await eventually(lambda: at_one.got[-1:] == ["back"])
        await asyncio.sleep(0.05)
        assert at_one.got == [*sent, "back"]
        assert at_two.got == [*sent, "back"]


async def test_a_loop_of_broadcasts_faster_than_redis_is_paced_not_refused(
    redis_server: RedisServer,
) -> None:
    async with hubs(redis_server.url, publish_queue_size=16) as [one, two]:
        at_two = Member()
        await two.join("feed", at_two)
        sent = [f'{{"n": {n}}}' for n in range(3000)]
        for text in sent:  # no BroadcastUnavailable: each waits for room when need be
            await one.broadcast("feed", text)
        await eventually(lambda: len(at_two.got) == len(sent))
        assert at_two.got == sent
        assert one.unpublished == 0


async def test_broadcasts_reach_only_the_groups_members(redis_server: RedisServer) -> None:
    async with hubs(redis_server.url) as [one, two]:
        in_room, elsewhere = Member(), Member()
        await two.join("room", in_room)
        await two.join("other", elsewhere)
        await one.broadcast("room", "hello")
        await one.broadcast("nobody's", "unheard")
        await eventually(lambda: in_room.got == ["hello"])
        await asyncio.sleep(0.05)
        assert elsewhere.got == []


async def test_hubs_with_other_channel_prefixes_share_nothing(redis_server: RedisServer) -> None:
    async with (
        hubs(redis_server.url, 1) as [one],
        hubs(redis_server.url, 1, channel_prefix="other:") as [two],
    ):
        at_one, at_two = Member(), Member()
        await one.join("room", at_one)
        await two.join("room", at_two)
        await one.broadcast("room", "from one")
        await two.broadcast("room", "from two")
        await asyncio.sleep(0.05)
        assert at_one.got == ["from one"]
        assert at_two.got == ["from two"]


async def test_strangers_messages_on_a_channel_leave_the_listener_reading(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with hubs(redis_server.url) as [one, two]:
        member = Member()
        await two.join("room", member)
        with redis_server.client() as client:
            client.publish(CHANNEL_PREFIX + "room", b"no origin")
            client.publish(CHANNEL_PREFIX + "room", b"stranger\n\xff not UTF-8")
            client.publish(CHANNEL_PREFIX + "room", b"stranger\n{}")
        await one.broadcast("room", "from one")
        await eventually(lambda: member.got == ["{}", "from one"])
        assert two.healthy
        assert "could not be delivered" in caplog.text
        assert "lost Redis" not in caplog.text


# -- health and outages -------------------------------------------------------------------


async def test_health_is_reported_by_the_property_and_the_callback(
    redis_server: RedisServer,
) -> None:
    changes: list[bool] = []
    async with hubs(redis_server.url, 1, on_health_change=changes.append) as [hub]:
        assert not hub.healthy
        await hub.join("room", Member())
        assert hub.healthy
        assert changes == [True]
        await hub.aclose()
        assert not hub.healthy
        assert changes == [True, False]
        assert redis_server.clients_soon() == 0
        await hub.broadcast("room", "reopens")
        await eventually(lambda: hub.healthy)
        assert changes == [True, False, True]


async def test_redis_lost_and_back(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="socketsundso")
    changes: list[bool] = []
    async with hubs(redis_server.url, on_health_change=changes.append) as [one, two]:
        at_one, at_two = Member(), Member()
        await one.join("room", at_one)
        await two.join("room", at_two)
        await one.broadcast("room", "before")
        await eventually(lambda: at_two.got == ["before"])

        redis_server.kill()
        await eventually(lambda: not one.healthy and not two.healthy)
        assert changes == [True, True, False, False]
        with pytest.raises(BroadcastUnavailable) as raised:  # at once: the listener lost Redis
            await one.broadcast("room", "during")
        assert raised.value.group == "room"
        assert raised.value.errors[0]["type"] == "broadcast_unavailable"
        assert at_one.got == ["before", "during"]  # local members got it all the same

        late = Member()  # joins while Redis is down: at once, locally
        started = time.monotonic()
        await two.join("late", late)
        assert time.monotonic() - started < 1
        await asyncio.sleep(1)  # several reconnection attempts fail meanwhile
        lost = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(lost) == 2  # once per hub, not once per attempt
        assert "lost Redis at redis://127.0.0.1" in lost[0].getMessage()

        redis_server.start()  # same port, empty
        await eventually(lambda: one.healthy and two.healthy)
        assert changes == [True, True, False, False, True, True]
        await one.broadcast("room", "after")
        await one.broadcast("late", "to the late joiner")
        await eventually(lambda: at_two.got == ["before", "after"])
        await eventually(lambda: late.got == ["to the late joiner"])
        back = [r for r in caplog.records if r.levelno == logging.INFO]
        assert len(back) == 2
        assert "is back" in back[0].getMessage()


async def test_a_broadcast_without_redis_raises_and_still_delivers_locally(
    redis_server: RedisServer,
) -> None:
    redis_server.kill()
    async with hubs(redis_server.url, 1) as [hub]:
        member = Member()
        await hub.join("room", member)  # Redis was never there: join works locally
        for text in ("one", "two"):
            with pytest.raises(BroadcastUnavailable):
                await hub.broadcast("room", text)
        assert member.got == ["one", "two"]
        assert not hub.healthy


async def test_a_redis_that_stops_answering_costs_a_join_the_timeout_and_a_broadcast_nothing(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="socketsundso")
    options: dict[str, Any] = {
        "socket_timeout": 0.3,
        "socket_connect_timeout": 0.3,
        "health_check_interval": 0.3,
        "publish_queue_size": 3,
    }
    async with hubs(redis_server.url, **options) as [one, two]:
        at_one, at_two = Member(), Member()
        await one.join("room", at_one)
        await two.join("room", at_two)
        assert one.timeout == 0.6

        redis_server.pause()  # connections stay open; nothing answers
        # Queued for Redis, without waiting: the first is being published, two wait.
        for n in range(3):
            await one.broadcast("room", f"queued {n}")
        with pytest.raises(BroadcastUnavailable):  # the queue is full: at once
            await one.broadcast("room", "refused")
        started = time.monotonic()
        await two.join("new", Member())  # its SUBSCRIBE is never confirmed
        assert time.monotonic() - started < one.timeout + 0.5
        assert at_one.got == [*(f"queued {n}" for n in range(3)), "refused"]
        await eventually(lambda: one.unpublished == 3)  # the publish timed out: dropped
        with pytest.raises(BroadcastUnavailable):  # the breaker is open: at once
            await one.broadcast("room", "while open")
        assert "3 broadcasts did not reach other workers" in caplog.text
        await eventually(lambda: not one.healthy and not two.healthy)  # PINGs unanswered

        redis_server.resume()
        await eventually(lambda: one.healthy and two.healthy)
        await asyncio.sleep(1)  # the breaker's cooldown
        await one.broadcast("room", "answered")  # the trial
        await eventually(lambda: at_two.got[-1:] == ["answered"])
        assert "publishing to Redis at redis://127.0.0.1" in caplog.text
        assert "works again" in caplog.text
        assert at_two.got == ["answered"]


# -- event loops --------------------------------------------------------------------------


def test_a_hub_reopens_in_each_new_event_loop_and_closes_with_the_old_one(
    redis_server: RedisServer,
) -> None:
    hub, other = RedisGroups(redis_server.url), RedisGroups(redis_server.url)
    member = Member()

    async def join_and_broadcast(text: str) -> None:
        await hub.join("room", member)
        await other.broadcast("room", text)
        await eventually(lambda: member.got[-1:] == [text])

    asyncio.run(join_and_broadcast("first loop"))
    assert redis_server.clients_soon() == 0  # the loop's shutdown closed every connection
    assert not hub.healthy
    asyncio.run(join_and_broadcast("second loop"))
    assert member.got == ["first loop", "second loop"]
    assert redis_server.clients_soon() == 0
