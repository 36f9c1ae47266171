"""Groups over real sockets (uvicorn on 127.0.0.1, the ``websockets`` client).

Join, leave, leaving on disconnect however it happens, a broadcast from an HTTP
route, 1,000 members, the order of 500 broadcasts, and replies in order with them.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from contextlib import AsyncExitStack

import pytest
from websockets.asyncio.client import connect

from tests.outgoing.apps import app_of, room_class
from tests.outgoing.support import TIMEOUT, call, eventually, post, receive_items
from tests.servers import serve
from tests.serving.attacks import TEXT, frame, handshake

pytestmark = pytest.mark.anyio


async def test_members_join_leave_and_leave_every_group_when_they_go() -> None:
    Room = room_class()
    with serve(app_of(Room)) as url:
        async with connect(f"{url}/ws") as ann, connect(f"{url}/ws") as bob:
            assert await call(ann, {"type": "enter", "group": "a"}) == {
                "type": "enter",
                "group": "a",
                "joined": ["a"],
            }
            await call(ann, {"type": "enter", "group": "a"})  # twice is once
            await call(ann, {"type": "enter", "group": "b"})
            await call(bob, {"type": "enter", "group": "a"})
            assert (Room.groups.members("a"), Room.groups.members("b")) == (2, 1)
            left = await call(ann, {"type": "exit", "group": "b"})
            assert left["joined"] == ["a"]
            assert await call(ann, {"type": "exit", "group": "never"}) == {
                "type": "exit",
                "group": "never",
                "joined": ["a"],
            }
            assert Room.groups.groups() == ["a"]
        await eventually(lambda: not Room.groups.groups(), "both members left every group")
        assert Room.closed == [1000, 1000]


async def test_a_member_whose_tcp_connection_drops_leaves_its_groups() -> None:
    Room = room_class()
    port_url = None
    with serve(app_of(Room)) as url:
        port_url = url
        port = int(port_url.rsplit(":", 1)[1])
        sock, _ = handshake(port)
        sock.sendall(frame(TEXT, b'{"type": "enter", "group": "g"}'))
        await eventually(lambda: Room.groups.members("g") == 1, "the raw client joined")
        # No close frame: a reset, as when a phone loses its network.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        await eventually(lambda: Room.groups.members("g") == 0, "the dropped member left")
        await eventually(lambda: Room.running == 0, "its ASGI call returned")
    assert Room.closed == [1006]


async def test_a_broadcast_from_an_http_route_reaches_every_member() -> None:
    Room = room_class()
    with serve(app_of(Room)) as url:
        async with connect(f"{url}/ws") as ann, connect(f"{url}/ws") as bob:
            await call(ann, {"type": "enter", "group": "news"})
            await call(bob, {"type": "enter", "group": "news"})
            http = url.replace("ws://", "http://")
            assert await post(f"{http}/broadcast/news", "hello") == {"members": 2}
            for ws in (ann, bob):
                assert json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT)) == {
                    "type": "news",
                    "text": "hello",
                }
            assert await post(f"{http}/broadcast/nobody", "x") == {"members": 0}


async def test_a_thousand_members_each_get_a_broadcast_once() -> None:
    Room = room_class()
    with serve(app_of(Room)) as url:
        async with AsyncExitStack() as stack:
            members = [await stack.enter_async_context(connect(f"{url}/ws")) for _ in range(1000)]
            await asyncio.gather(*(call(m, {"type": "enter", "group": "all"}) for m in members))
            assert Room.groups.members("all") == 1000
            http = url.replace("ws://", "http://")
            assert await post(f"{http}/broadcast/all", "to all") == {"members": 1000}
            received = await asyncio.gather(*(asyncio.wait_for(m.recv(), TIMEOUT) for m in members))
            assert set(received) == {'{"type":"news","text":"to all"}'}
        await eventually(lambda: Room.groups.members("all") == 0, "1,000 members left")
        await eventually(lambda: Room.running == 0, "every ASGI call returned")
    assert len(Room.closed) == 1000


async def test_500_broadcasts_reach_every_member_in_order_and_the_reply_after_them() -> None:
    Room = room_class()
    with serve(app_of(Room)) as url:
        async with connect(f"{url}/ws") as sender, connect(f"{url}/ws") as other:
            await call(sender, {"type": "enter", "group": "g"})
            await call(other, {"type": "enter", "group": "g"})
            await sender.send(json.dumps({"type": "burst", "group": "g", "count": 500}))
            # The sender is a member: its 500 items come first, then its reply.
            assert await receive_items(sender, 500) == list(range(500))
            reply = json.loads(await asyncio.wait_for(sender.recv(), TIMEOUT))
            assert reply == {"type": "burst", "sent": 500}
            assert await receive_items(other, 500) == list(range(500))
    assert Room.outgoing_counters.dropped == 0
    assert Room.outgoing_counters.closed_queue_full == 0
