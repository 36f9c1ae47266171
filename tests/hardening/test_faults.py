"""Faults: peers that vanish mid-handler or mid-send, handlers returning bad data, shutdown.

Socket faults run over real sockets (uvicorn in a thread, ``websockets`` clients);
uvicorn's logging is left unconfigured (``log_config=None``) so that ``caplog``
sees everything logged, by uvicorn as well as by socketsundso.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import time
from contextlib import ExitStack
from typing import Any, ClassVar

import anyio
import pytest
from pydantic import BaseModel
from starlette.testclient import TestClient
from websockets.asyncio.client import ClientConnection, connect

from socketsundso import WebSocketHandlingEndpoint, on_event
from tests.hardening.apps import app_of
from tests.servers import serve

#: How long a test waits for the server to notice something (never reached when it works).
NOTICE = 10.0
#: How long a test then watches for a second, wrong, ``on_disconnect``.
SETTLE = 0.5


@dataclasses.dataclass
class Journal:
    """What the server side did, written from uvicorn's thread and read by the test."""

    started: threading.Event = dataclasses.field(default_factory=threading.Event)
    finished: list[str] = dataclasses.field(default_factory=list)
    disconnects: list[int] = dataclasses.field(default_factory=list)
    gone: threading.Event = dataclasses.field(default_factory=threading.Event)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def disconnected(self, code: int) -> None:
        """Note one ``on_disconnect`` call."""
        with self.lock:
            self.disconnects.append(code)
        self.gone.set()

    async def wait_until(self, event: threading.Event) -> None:
        """Wait (off the event loop) for ``event``; fail the test if it never comes."""
        assert await asyncio.to_thread(event.wait, NOTICE), "the server never got there"


def journaled(journal: Journal) -> type[WebSocketHandlingEndpoint]:
    """An endpoint whose slow handlers and ``on_disconnect`` write to ``journal``."""

    class Journaled(WebSocketHandlingEndpoint):
        @on_event
        async def work(self, seconds: float) -> dict[str, Any]:
            """Sleep (cooperatively), then answer."""
            journal.started.set()
            await anyio.sleep(seconds)
            journal.finished.append("work")
            return {"done": seconds}

        @on_event
        def blocking_work(self, seconds: float) -> dict[str, Any]:
            """Sleep in the threadpool, then answer."""
            journal.started.set()
            time.sleep(seconds)
            journal.finished.append("blocking_work")
            return {"done": seconds}

        @on_event
        async def stream(self, count: int) -> None:
            """Push ``count`` messages of 1 KiB through ``send_json``, 10 ms apart."""
            for n in range(count):
                await self.send_json({"type": "tick", "n": n, "pad": "x" * 1024})
                if n == 2:
                    journal.started.set()
                await anyio.sleep(0.01)
            journal.finished.append("stream")

        @on_event
        async def ping(self) -> dict[str, Any]:
            """Answer at once."""
            return {"pong": True}

        async def on_disconnect(self, close_code: int) -> None:
            journal.disconnected(close_code)

    return Journaled


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every record at ERROR or above, from any logger."""
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


async def leave(ws: ClientConnection, how: str) -> None:
    """Leave with a close handshake (``"close"``) or by dropping the TCP connection."""
    if how == "close":
        await ws.close()
    else:
        ws.transport.abort()


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["close", "abort"])
@pytest.mark.parametrize("event", ["work", "blocking_work"])
async def test_a_client_leaving_while_its_handler_runs_is_let_go_quietly(
    event: str, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    journal = Journal()
    with serve(app_of(journaled(journal)), log_config=None) as url:
        ws = await connect(f"{url}/ws")
        await ws.send(json.dumps({"type": event, "seconds": 0.5}))
        await journal.wait_until(journal.started)
        await leave(ws, how)
        await journal.wait_until(journal.gone)
        await asyncio.sleep(SETTLE)
    assert journal.finished == [event]  # the handler ran to its end; its answer was dropped
    assert len(journal.disconnects) == 1
    assert errors_logged(caplog) == []


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["close", "abort"])
async def test_send_json_to_a_peer_that_left_ends_the_connection_quietly(
    how: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    journal = Journal()
    with serve(app_of(journaled(journal)), log_config=None) as url:
        ws = await connect(f"{url}/ws")
        await ws.send(json.dumps({"type": "stream", "count": 10_000}))
        assert json.loads(await ws.recv())["n"] == 0
        await journal.wait_until(journal.started)
        await leave(ws, how)
        await journal.wait_until(journal.gone)
        await asyncio.sleep(SETTLE)
    assert journal.finished == []  # send_json raised inside the handler's loop
    assert len(journal.disconnects) == 1
    assert errors_logged(caplog) == []


@pytest.mark.anyio
async def test_server_shutdown_closes_every_connection_and_runs_on_disconnect_for_each(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    journal = Journal()
    with ExitStack() as stack:
        url = stack.enter_context(serve(app_of(journaled(journal)), log_config=None))
        sockets = [await connect(f"{url}/ws") for _ in range(5)]
        for ws in sockets:
            await ws.send(json.dumps({"type": "ping"}))
            assert json.loads(await ws.recv()) == {"type": "ping", "pong": True}
        # One connection is busy in a handler when the server stops.
        await sockets[0].send(json.dumps({"type": "work", "seconds": 0.3}))
        await journal.wait_until(journal.started)
        await asyncio.to_thread(stack.close)  # stop uvicorn while the clients keep running

    async def closed_code(ws: ClientConnection) -> int | None:
        with anyio.fail_after(NOTICE):
            await ws.wait_closed()
        return ws.close_code

    codes = [await closed_code(ws) for ws in sockets]
    print(f"close codes at shutdown: {codes}, on_disconnect codes: {journal.disconnects}")
    assert all(code in (1000, 1001, 1012) for code in codes), codes
    assert len(journal.disconnects) == 5
    assert errors_logged(caplog) == []


@pytest.mark.anyio
async def test_a_graceful_shutdown_that_times_out_reports_the_server_s_close_code(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    journal = Journal()
    with ExitStack() as stack:
        url = stack.enter_context(
            serve(app_of(journaled(journal)), log_config=None, timeout_graceful_shutdown=0.5)
        )
        ws = await connect(f"{url}/ws")
        await ws.send(json.dumps({"type": "work", "seconds": 30}))  # still running at shutdown
        await journal.wait_until(journal.started)
        await asyncio.to_thread(stack.close)
    with anyio.fail_after(NOTICE):
        await ws.wait_closed()
    assert ws.close_code == 1012
    assert journal.disconnects == [1012]  # not 1000: the server restarted, nobody said goodbye
    assert [r for r in caplog.records if r.name == "socketsundso"] == []


@pytest.mark.anyio
@pytest.mark.parametrize("protocol", ["auto", "websockets-sansio"])
@pytest.mark.parametrize("how", ["abort", "close"])
async def test_a_tcp_connection_lost_without_a_close_frame_reports_1006(
    protocol: str, how: str
) -> None:
    journal = Journal()
    with serve(app_of(journaled(journal)), ws=protocol) as url:
        ws = await connect(f"{url}/ws")
        await ws.send(json.dumps({"type": "ping"}))
        await ws.recv()
        if how == "abort":
            ws.transport.abort()  # RST
        else:
            ws.transport.close()  # FIN, no close frame
        await journal.wait_until(journal.gone)
    assert journal.disconnects == [1006]


@pytest.mark.anyio
async def test_a_close_frame_without_a_status_reports_1005() -> None:
    journal = Journal()
    with serve(app_of(journaled(journal)), ws="websockets-sansio") as url:
        async with connect(f"{url}/ws") as ws:
            await ws.send(json.dumps({"type": "ping"}))
            await ws.recv()
            # A close frame without a payload (so without a status), masked as a client's must
            # be; the websockets client refuses to send one itself.
            ws.transport.write(b"\x88\x80\x00\x00\x00\x00")
            await journal.wait_until(journal.gone)
        await journal.wait_until(journal.gone)
    assert journal.disconnects == [1005]


# --- a client that stops reading -------------------------------------------------------


class Mirror(WebSocketHandlingEndpoint):
    """Answers each message with its own 1 KiB padding, counting what it handled."""

    handled: ClassVar[list[int]] = []

    @on_event
    async def mirror(self, seq: int, pad: str) -> dict[str, Any]:
        """Send the padding back."""
        self.handled.append(seq)
        return {"seq": seq, "pad": pad}


@pytest.mark.anyio
async def test_a_client_that_stops_reading_is_held_back_and_then_gets_every_answer() -> None:
    """Backpressure: the server stops reading instead of buffering answers without bound.

    20,000 messages of 1 KiB each way (20 MiB, more than loopback's socket buffers
    hold): while the client reads nothing, the server stops handling and the
    client's sends stall; once it reads, every answer comes, in order.
    """
    count, pad = 20_000, "x" * 1024
    Mirror.handled.clear()
    with serve(app_of(Mirror)) as url:
        async with connect(f"{url}/ws", compression=None, max_queue=16) as ws:

            async def send_all() -> None:
                for seq in range(count):
                    await ws.send(json.dumps({"type": "mirror", "seq": seq, "pad": pad}))

            sender = asyncio.create_task(send_all())
            before = -1
            for _ in range(60):  # until the server stops handling (at most 30 s)
                await asyncio.sleep(0.5)
                if len(Mirror.handled) == before or sender.done():
                    break
                before = len(Mirror.handled)
            held_at = len(Mirror.handled)
            assert not sender.done(), "the client sent everything while reading nothing"
            assert held_at < count
            with anyio.fail_after(120):
                for seq in range(count):
                    assert json.loads(await ws.recv()) == {"type": "mirror", "seq": seq, "pad": pad}
                await sender
    print(f"server held at {held_at} of {count} messages until the client read")
    assert Mirror.handled == list(range(count))


# --- a handler's bad return value ---------------------------------------------------------


class Count(BaseModel):
    """A response with one integer."""

    n: int


class Careless(WebSocketHandlingEndpoint):
    """Handlers that return what can't be sent."""

    @on_event
    async def unserializable(self) -> dict[str, Any]:
        """A dict holding an object JSON has no form for."""
        return {"thing": object()}

    @on_event
    async def not_a_mapping(self) -> Any:
        """A list, where an object is due."""
        return [1, 2, 3]

    @on_event("miscounted", response_model=Count)
    async def miscounted(self) -> dict[str, Any]:
        """Data the response model rejects."""
        return {"n": "many"}

    @on_event
    async def ping(self) -> dict[str, Any]:
        """Answer at once."""
        return {"pong": True}


@pytest.mark.parametrize("event", ["unserializable", "not_a_mapping", "miscounted"])
def test_a_handler_returning_bad_data_gets_an_internal_error_and_the_connection_goes_on(
    event: str, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(app_of(Careless)).websocket_connect("/ws") as ws:
        ws.send_json({"type": event, "id": 41})
        reply = ws.receive_text()
        ws.send_json({"type": "ping", "id": 42})
        assert ws.receive_json() == {"type": "ping", "pong": True, "id": 42}
    data = json.loads(reply)
    assert data["id"] == 41
    assert [(e["type"], e["loc"]) for e in data["errors"]] == [("internal_error", [])]
    for internal in ("object", "many", "Count", "list", "Traceback"):
        assert internal not in reply
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in logged] == ["socketsundso"]
    assert event in logged[0].getMessage()
