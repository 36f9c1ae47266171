"""Slow and stalled clients over real sockets: nobody else waits for them, nothing grows.

A stalled client is a raw socket with a 4 KiB receive buffer that never reads
(``tests.stalled_client``): the server's sends to it fill the socket
buffers and then block. The outgoing path must give such a connection up (1013),
leave its groups, run ``on_disconnect`` once and return from the ASGI call, while
every other connection, the broadcaster and the event loop go on.
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import AsyncExitStack

import pytest
from websockets.asyncio.client import connect

from tests.hardening.figures import write_figures
from tests.outgoing.apps import Room, app_of, room_class
from tests.outgoing.support import TIMEOUT, call, eventually, receive_items
from tests.servers import serve
from tests.serving.process import free_port, running, serve_command
from tests.serving.test_serve import SHUTDOWN_BOUND
from tests.stalled_client import stalled_client

pytestmark = pytest.mark.anyio

#: Items of a burst, and their size in bytes: 12 MB in all.
BURST, ITEM_SIZE = 3000, 4096


async def test_a_handler_streaming_to_a_client_that_never_reads_is_given_up() -> None:
    Room = room_class(send_timeout=0.5)
    with serve(app_of(Room)) as url:
        stream = '{"type": "stream", "count": 100000, "size": 1024}'
        with stalled_client(f"{url}/ws", stream):
            async with connect(f"{url}/ws") as calm:
                # The stalled connection's handler is blocked in send_json: others go on.
                assert await call(calm, {"type": "ping"}) == {"type": "ping"}
                await eventually(lambda: Room.closed == [1013], "the stalled client was closed")
                await eventually(lambda: Room.running == 1, "its ASGI call returned")
                assert await call(calm, {"type": "ping"}) == {"type": "ping"}
    assert Room.closed == [1013, 1000]  # on_disconnect ran once for each
    assert Room.outgoing_counters.closed_send_timeout == 1


@pytest.mark.parametrize("policy", ["close", "drop_oldest"])
async def test_a_burst_reaches_healthy_readers_beside_a_member_that_never_reads(
    policy: str,
) -> None:
    size = 256
    Room = room_class(send_queue_size=size, send_queue_policy=policy, send_timeout=2.0)
    with serve(app_of(Room)) as url, stalled_client(f"{url}/ws", '{"type": "enter", "group": "g"}'):
        async with (
            connect(f"{url}/ws", max_queue=None) as sender,
            connect(f"{url}/ws", max_queue=None) as ann,
            connect(f"{url}/ws", max_queue=None) as bob,
        ):
            for reader in (ann, bob):
                await call(reader, {"type": "enter", "group": "g"})
            await eventually(lambda: Room.groups.members("g") == 3, "all three joined")
            started = time.perf_counter()
            await sender.send(
                json.dumps({"type": "burst", "group": "g", "count": BURST, "size": ITEM_SIZE})
            )
            received = await asyncio.gather(*(receive_items(r, BURST) for r in (ann, bob)))
            seconds = time.perf_counter() - started
            assert received == [list(range(BURST))] * 2
            assert json.loads(await asyncio.wait_for(sender.recv(), TIMEOUT)) == {
                "type": "burst",
                "sent": BURST,
            }
            counters = Room.outgoing_counters
            assert counters.peak_queue_length <= size
            if policy == "close":
                assert counters.closed_queue_full == 1
                await eventually(lambda: Room.closed == [1013], "the stalled member ended")
            else:
                assert counters.dropped > 0
                assert counters.closed_queue_full == 0
                # Still a member until its socket has accepted nothing for send_timeout.
                await eventually(lambda: Room.closed == [1013], "the stalled member ended")
                assert counters.closed_send_timeout == 1
            await eventually(lambda: Room.groups.members("g") == 2, "the stalled one left")
    write_figures(
        f"outgoing-burst-{policy}",
        {
            "items": BURST,
            "item_bytes": ITEM_SIZE,
            "seconds": round(seconds, 2),
            "peak_queue_length": counters.peak_queue_length,
            "dropped": counters.dropped,
        },
    )


async def test_a_long_stream_to_a_fast_reader_does_not_hold_up_another_connection() -> None:
    latencies: list[float] = []
    with serve(app_of(Room)) as url:
        async with connect(f"{url}/ws", max_queue=None) as reader, connect(f"{url}/ws") as calm:
            await reader.send(json.dumps({"type": "stream", "count": 60_000}))
            reading = asyncio.create_task(receive_items(reader, 60_000))
            while not reading.done():
                started = time.perf_counter()
                assert await call(calm, {"type": "ping"}) == {"type": "ping"}
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.01)
            assert reading.result() == list(range(60_000))
    worst = max(latencies)
    write_figures(
        "outgoing-stream-ping", {"pings": len(latencies), "worst_ms": round(worst * 1000, 1)}
    )
    # Without yielding, this ping waited seconds (6.8 s measured before the fix).
    assert worst < 0.5, f"a ping waited {worst * 1000:.0f} ms behind another connection's stream"


async def test_a_broadcast_never_waits_for_a_stalled_member() -> None:
    Room = room_class(send_queue_size=64, send_timeout=5.0)
    with serve(app_of(Room)) as url, stalled_client(f"{url}/ws", '{"type": "enter", "group": "g"}'):
        async with connect(f"{url}/ws") as sender:
            await eventually(lambda: Room.groups.members("g") == 1, "the stalled one joined")
            for _ in range(3):  # 3 x 50 items of 64 KiB: far past its socket buffers
                burst = {"type": "burst", "group": "g", "count": 50, "size": 65536}
                assert await call(sender, burst) == {"type": "burst", "sent": 50}
            await eventually(lambda: Room.closed == [1013], "the stalled member was closed")
    assert Room.outgoing_counters.closed_queue_full == 1


async def test_a_burst_to_healthy_readers_closes_none_of_them() -> None:
    Room = room_class()  # the default send_queue_size and policy
    with serve(app_of(Room)) as url:
        async with AsyncExitStack() as stack:
            readers = [
                await stack.enter_async_context(connect(f"{url}/ws", max_queue=None))
                for _ in range(4)
            ]
            for reader in readers:
                await call(reader, {"type": "enter", "group": "g"})
            sender = readers[0]
            burst = {"type": "burst", "group": "g", "count": BURST, "size": ITEM_SIZE}
            await sender.send(json.dumps(burst))
            received = await asyncio.gather(*(receive_items(r, BURST) for r in readers))
            assert received == [list(range(BURST))] * 4
            assert json.loads(await asyncio.wait_for(sender.recv(), TIMEOUT))["sent"] == BURST
    counters = Room.outgoing_counters
    assert (counters.dropped, counters.closed_queue_full, counters.closed_send_timeout) == (0, 0, 0)
    write_figures("outgoing-burst-healthy", {"peak_queue_length": counters.peak_queue_length})


async def test_sigterm_ends_serve_with_a_stalled_member_in_a_busy_room() -> None:
    port = free_port()
    with running(serve_command(port, app="tests.outgoing.apps:app")) as server:
        url = f"ws://127.0.0.1:{port}"
        with stalled_client(f"{url}/ws", '{"type": "enter", "group": "g"}'):
            async with connect(f"{url}/ws") as sender:
                burst = {"type": "burst", "group": "g", "count": 200, "size": 65536}
                assert await call(sender, burst) == {"type": "burst", "sent": 200}
                assert await call(sender, {"type": "ping"}) == {"type": "ping"}
                seconds = await asyncio.to_thread(server.stop, SHUTDOWN_BOUND)
    assert seconds is not None, f"serve was still running {SHUTDOWN_BOUND} s after SIGTERM"
    write_figures("outgoing-sigterm", {"exit_s": round(seconds, 2)})
