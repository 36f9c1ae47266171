"""The outgoing path in-process: settings, hubs per class, queue policies, the watchdog.

A fake ASGI ``send`` stands for the socket: it records texts, and blocks while its
``gate`` is closed (a client that stopped reading).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from socketsundso import WebSocketHandlingEndpoint
from socketsundso.groups import MemoryGroups, check_group_name
from socketsundso.outgoing import (
    DEFAULT_SEND_QUEUE_POLICY,
    DEFAULT_SEND_QUEUE_SIZE,
    DEFAULT_SEND_TIMEOUT,
    Outbox,
    OutgoingCounters,
)

pytestmark = pytest.mark.anyio


class Socket:
    """A fake ASGI ``send``: records each text; waits while ``gate`` is clear."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, message: dict[str, Any]) -> None:
        await self.gate.wait()
        self.texts.append(message["text"])


def settings_of(**settings: Any) -> Any:
    """A stand-in for an endpoint class: what an Outbox reads off it."""
    return type(
        "Fake",
        (),
        {
            "groups": MemoryGroups(),
            "send_queue_size": settings.get("size", 4),
            "send_queue_policy": settings.get("policy", "close"),
            "send_timeout": settings.get("timeout", 0.2),
            "outgoing_counters": OutgoingCounters(),
        },
    )


def outbox_of(socket: Socket, **settings: Any) -> tuple[Outbox, Any]:
    config = settings_of(**settings)
    return Outbox(socket, config), config


def test_defaults_are_documented_values() -> None:
    assert WebSocketHandlingEndpoint.send_queue_size == DEFAULT_SEND_QUEUE_SIZE == 1024
    assert WebSocketHandlingEndpoint.send_queue_policy == DEFAULT_SEND_QUEUE_POLICY == "close"
    assert WebSocketHandlingEndpoint.send_timeout == DEFAULT_SEND_TIMEOUT == 5.0


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("send_queue_size", 0, "send_queue_size must be a positive int, not 0"),
        ("send_queue_size", True, "send_queue_size must be a positive int, not True"),
        ("send_queue_policy", "block", "must be 'close' or 'drop_oldest', not 'block'"),
        ("send_timeout", 0, "send_timeout must be a positive number of seconds, not 0"),
        ("send_timeout", float("inf"), "send_timeout must be a positive number"),
        ("send_timeout", None, "send_timeout must be a positive number of seconds, not None"),
        ("groups", MemoryGroups, "(an instance, not the class)"),
        ("groups", "redis://x", "groups must be a socketsundso.groups hub"),
    ],
)
def test_a_wrong_setting_is_refused_in_the_class_body_and_on_assignment(
    name: str, value: object, message: str
) -> None:
    with pytest.raises(TypeError, match="Bad") as raised:
        type("Bad", (WebSocketHandlingEndpoint,), {name: value})
    assert message in str(raised.value)

    class Good(WebSocketHandlingEndpoint):
        pass

    with pytest.raises(TypeError) as assigned:
        setattr(Good, name, value)
    assert message in str(assigned.value)


def test_each_class_has_a_hub_of_its_own_unless_a_base_chose_one() -> None:
    class A(WebSocketHandlingEndpoint):
        pass

    class B(WebSocketHandlingEndpoint):
        pass

    class SubA(A):
        pass

    shared = MemoryGroups()

    class Base(WebSocketHandlingEndpoint):
        groups = shared

    class Sub(Base):
        pass

    assert len({id(A.groups), id(B.groups), id(SubA.groups)}) == 3
    assert Sub.groups is Base.groups is shared
    A.groups = shared

    class LaterSub(A):
        pass

    assert LaterSub.groups is shared
    assert A.outgoing_counters is not SubA.outgoing_counters


@pytest.mark.parametrize(
    ("group", "error"),
    [(3, TypeError), ("", ValueError), ("x" * 257, ValueError), (None, TypeError)],
)
def test_a_group_name_is_a_short_non_empty_string(group: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="group name"):
        check_group_name(group)


async def test_broadcasts_to_a_ready_socket_are_written_at_once_without_a_task() -> None:
    socket = Socket()
    outbox, _ = outbox_of(socket)
    for text in "abc":
        outbox.deliver(text)
    assert socket.texts == ["a", "b", "c"]  # written by the broadcaster, in order
    assert outbox.writer is None
    assert outbox.free


async def test_a_writer_that_must_wait_goes_on_in_a_task_of_its_own_then_ends() -> None:
    socket = Socket()
    socket.gate.clear()
    outbox, _ = outbox_of(socket, size=10)
    for text in "abc":
        outbox.deliver(text)  # "a" waits in the socket; "b" and "c" are queued behind it
    assert outbox.writer is not None
    assert not outbox.free
    assert list(outbox.queue or ()) == ["b", "c"]
    socket.gate.set()
    await asyncio.wait_for(asyncio.shield(outbox.writer), 1)
    assert socket.texts == ["a", "b", "c"]
    assert outbox.writer is None
    assert outbox.free


async def test_closing_cancels_a_waiting_writer() -> None:
    socket = Socket()
    socket.gate.clear()
    outbox, _ = outbox_of(socket)
    outbox.deliver("stuck")
    writer = outbox.writer
    assert writer is not None
    outbox.close(1000)
    with pytest.raises(asyncio.CancelledError):
        await writer
    assert outbox.writer is None
    assert not outbox.free


async def test_a_send_of_its_own_waits_behind_queued_broadcasts() -> None:
    socket = Socket()
    socket.gate.clear()
    outbox, _ = outbox_of(socket, size=10)
    outbox.deliver("broadcast 1")
    outbox.deliver("broadcast 2")
    reply = asyncio.ensure_future(outbox.send_in_turn("reply"))
    await asyncio.sleep(0.01)
    outbox.deliver("broadcast 3")
    assert not reply.done()
    socket.gate.set()
    await asyncio.wait_for(reply, 1)
    await asyncio.sleep(0)
    assert socket.texts == ["broadcast 1", "broadcast 2", "reply", "broadcast 3"]


async def test_a_full_queue_under_close_gives_the_connection_up_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    socket = Socket()
    socket.gate.clear()
    outbox, settings = outbox_of(socket, size=2)
    await settings.groups.join("g", outbox)
    outbox.groups = {"g"}
    with caplog.at_level(logging.WARNING, "socketsundso"):
        for n in range(10):
            outbox.deliver(str(n))
    assert outbox.gave_up
    assert outbox.end_code == 1013
    assert settings.outgoing_counters.closed_queue_full == 1
    assert settings.groups.members("g") == 0  # left at once, not when its task ends
    assert outbox.queue is None
    assert outbox.writer is None
    assert len(caplog.records) == 1
    assert "send_queue_size=2" in caplog.records[0].getMessage()
    outbox.deliver("later")  # ignored
    assert outbox.queue is None


async def test_drop_oldest_counts_every_drop_and_logs_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    socket = Socket()
    socket.gate.clear()
    outbox, settings = outbox_of(socket, size=3, policy="drop_oldest", timeout=60)
    with caplog.at_level(logging.WARNING, "socketsundso"):
        for n in range(10):
            outbox.deliver(str(n))
            await asyncio.sleep(0)
    # "0" went to the socket (blocked there); the queue keeps the newest three.
    assert list(outbox.queue or ()) == ["7", "8", "9"]
    assert outbox.dropped == settings.outgoing_counters.dropped == 6
    assert settings.outgoing_counters.peak_queue_length == 3
    assert not outbox.gave_up
    assert len(caplog.records) == 1
    socket.gate.set()
    await asyncio.sleep(0.01)
    assert socket.texts == ["0", "7", "8", "9"]


async def test_the_watchdog_gives_up_a_send_stuck_for_send_timeout() -> None:
    socket = Socket()
    socket.gate.clear()
    outbox, settings = outbox_of(socket, timeout=0.2)
    outbox.watch()
    outbox.deliver("stuck")
    started = asyncio.get_running_loop().time()
    while not outbox.gave_up:
        await asyncio.sleep(0.01)
        assert asyncio.get_running_loop().time() - started < 2, "never given up"
    waited = asyncio.get_running_loop().time() - started
    assert 0.2 <= waited < 0.6
    assert settings.outgoing_counters.closed_send_timeout == 1
    assert outbox.end_reason == "send timeout"


async def test_the_watchdog_leaves_a_slow_but_moving_send_alone() -> None:
    socket = Socket()
    outbox, settings = outbox_of(socket, size=100, timeout=0.2)
    outbox.watch()

    async def trickle() -> None:  # one message per 50 ms: slow, never stuck
        while True:
            socket.gate.clear()
            await asyncio.sleep(0.05)
            socket.gate.set()
            await asyncio.sleep(0)

    trickling = asyncio.ensure_future(trickle())
    for n in range(12):
        outbox.deliver(str(n))
    await asyncio.sleep(0.8)
    trickling.cancel()
    assert not outbox.gave_up
    assert settings.outgoing_counters.closed_send_timeout == 0
    outbox.close(1000)


def test_sessions_of_separate_test_clients_share_the_class_s_groups() -> None:
    from socketsundso.testing import EventSession
    from tests.outgoing.apps import room_class

    Room = room_class()
    with EventSession.connect(Room) as ann, EventSession.connect(Room) as bob:
        ann.send_event("enter", group="g")
        bob.send_event("enter", group="g")
        assert ann.receive_json()["joined"] == ["g"]
        assert bob.receive_json()["joined"] == ["g"]
        # Each session runs the app in an event loop of its own: the broadcast crosses.
        ann.send_event("burst", group="g", count=3)
        assert [bob.receive_json()["n"] for _ in range(3)] == [0, 1, 2]
        assert [ann.receive_json()["n"] for _ in range(3)] == [0, 1, 2]
        assert ann.receive_json() == {"type": "burst", "sent": 3}


async def test_a_socket_failing_under_the_writer_fails_the_waiting_sends_and_ends_the_outbox() -> (
    None
):
    socket = Socket()
    socket.gate.clear()

    async def failing(message: dict[str, Any]) -> None:
        await socket.gate.wait()
        raise ConnectionResetError("gone")

    outbox, _ = outbox_of(socket)
    outbox._send = failing
    outbox.deliver("broadcast")
    reply = asyncio.ensure_future(outbox.send_in_turn("reply"))
    await asyncio.sleep(0)
    socket.gate.set()
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reply, 1)
    assert (outbox.end_code, outbox.gave_up) == (1006, False)
    outbox.deliver("ignored")
    assert outbox.queue is None


class SlowHub(MemoryGroups):
    """A hub whose first join of a group waits for ``release`` (a broker that is slow)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.waiting = asyncio.Event()

    async def _first_joined(self, group: str) -> None:
        self.waiting.set()
        await self.release.wait()


async def test_a_connection_that_ends_while_its_join_waits_leaves_the_group() -> None:
    from socketsundso.testing import AsyncEventSession
    from tests.outgoing.apps import room_class

    hub = SlowHub()
    Room = room_class(groups=hub)
    # Leaving the block waits 0.5 s for the app, then cancels it (blocked in join).
    async with AsyncEventSession.connect(Room, timeout=0.5) as session:
        await session.send_event("enter", group="g")
        await asyncio.wait_for(hub.waiting.wait(), 5)
        assert hub.members("g") == 1
    # The session closed while the handler waited in join: the group was left.
    assert hub.members("g") == 0
    hub.release.set()
    await asyncio.sleep(0.01)
    assert hub.members("g") == 0
    assert Room.closed == [1000]


async def test_an_ended_outbox_refuses_direct_sends_and_queues_nothing() -> None:
    from starlette.websockets import WebSocketDisconnect

    socket = Socket()
    outbox, _ = outbox_of(socket)
    outbox.give_up("send queue full", "a test says so")
    with pytest.raises(WebSocketDisconnect) as refused:
        await outbox.asgi_send({"type": "websocket.send", "text": "late"})
    assert (refused.value.code, refused.value.reason) == (1013, "send queue full")
    with pytest.raises(WebSocketDisconnect):
        await outbox.send_in_turn("late")
    outbox.deliver("late")
    assert socket.texts == []
