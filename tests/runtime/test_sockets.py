"""Over real sockets: uvicorn on 127.0.0.1 and the ``websockets`` client."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, ClassVar

import anyio
import anyio.to_thread
import pytest
from starlette.exceptions import WebSocketException
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from socketsundso import WebSocketHandlingEndpoint, on_event
from tests.runtime.support import TIMEOUT, Recorder, app_of, is_error_reply
from tests.servers import serve

SECRET = "the vault code is 0000"

pytestmark = pytest.mark.anyio


class Served(WebSocketHandlingEndpoint):
    """Echoes, fails, refuses; records its close codes."""

    closed: ClassVar[Recorder]
    gate: ClassVar[threading.Event]
    max_message_size = 1024

    async def on_disconnect(self, close_code: int) -> None:
        self.closed.put(close_code)

    @on_event
    async def echo(self, text: str, n: int = 0) -> dict[str, Any]:
        return {"text": text, "n": n}

    @on_event
    def count(self, n: int) -> dict[str, Any]:
        return {"n": n}

    @on_event
    async def login(self, name: str) -> dict[str, Any]:
        self.name = name
        return {"name": name}

    @on_event
    async def whoami(self) -> dict[str, Any]:
        return {"name": getattr(self, "name", None)}

    @on_event
    def held(self) -> dict[str, Any]:
        """Answers once the test opens the gate (or after ``TIMEOUT``)."""
        self.gate.wait(TIMEOUT)
        return {"held": True}

    @on_event
    async def crash(self) -> None:
        raise RuntimeError(SECRET)

    @on_event
    async def refuse(self) -> None:
        raise WebSocketException(4003, "reason")


@asynccontextmanager
async def served() -> AsyncIterator[tuple[ClientConnection, type[Served]]]:
    """A fresh ``Served`` under uvicorn and one ``websockets`` client connected to it."""
    async with served_to(1) as (clients, endpoint):
        yield clients[0], endpoint


@asynccontextmanager
async def served_to(count: int) -> AsyncIterator[tuple[list[ClientConnection], type[Served]]]:
    """A fresh ``Served`` under uvicorn and ``count`` clients connected to it."""
    endpoint = type("Fresh", (Served,), {"closed": Recorder(), "gate": threading.Event()})
    with serve(app_of(endpoint)) as url:
        async with AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(
                    connect(f"{url}/ws", open_timeout=TIMEOUT, close_timeout=TIMEOUT)
                )
                for _ in range(count)
            ]
            yield clients, endpoint


async def receive(ws: ClientConnection) -> Any:
    """The next message, as JSON; fails instead of waiting forever."""
    with anyio.fail_after(TIMEOUT):
        return json.loads(await ws.recv())


async def closed_code(endpoint: type[Served]) -> int:
    """The close code the server's ``on_disconnect`` got (waited for in a thread)."""
    code: int = await anyio.to_thread.run_sync(endpoint.closed.get)
    return code


async def test_text_and_binary_frames_and_bad_input_over_sockets() -> None:
    async with served() as (ws, _):
        await ws.send('{"type": "echo", "text": "text frame"}')
        assert await receive(ws) == {"type": "echo", "text": "text frame", "n": 0}
        await ws.send(b'{"type": "echo", "text": "binary frame"}')
        assert await receive(ws) == {"type": "echo", "text": "binary frame", "n": 0}
        for bad in ("{nope", b"\xff", '{"type": "nope"}', '{"type": "echo", "n": 1}'):
            await ws.send(bad)
            assert is_error_reply(await receive(ws))
        await ws.send('{"type": "count", "n": 1}')
        assert await receive(ws) == {"type": "count", "n": 1}


async def test_a_message_over_the_limit_is_refused_over_sockets() -> None:
    async with served() as (ws, _):
        await ws.send(json.dumps({"type": "echo", "text": "x" * 2000}))
        (entry,) = (await receive(ws))["errors"]
        assert entry["type"] == "message_too_large"
        await ws.send(json.dumps({"type": "echo", "text": "x" * 900}).encode())
        assert await receive(ws) == {"type": "echo", "text": "x" * 900, "n": 0}


async def test_two_clients_over_sockets_keep_their_own_state() -> None:
    async with served_to(2) as ((alice, bob), _):
        await alice.send('{"type": "login", "name": "alice"}')
        await bob.send('{"type": "login", "name": "bob"}')
        assert await receive(bob) == {"type": "login", "name": "bob"}
        assert await receive(alice) == {"type": "login", "name": "alice"}
        await bob.send('{"type": "whoami"}')
        await alice.send('{"type": "whoami"}')
        assert await receive(alice) == {"type": "whoami", "name": "alice"}
        assert await receive(bob) == {"type": "whoami", "name": "bob"}


async def test_200_pipelined_messages_over_sockets_are_answered_in_order() -> None:
    async with served() as (ws, _):
        for n in range(200):
            event = "echo" if n % 2 else "count"
            message = {"type": event, "n": n}
            if event == "echo":
                message["text"] = str(n)
            await ws.send(json.dumps(message))
        replies = [await receive(ws) for _ in range(200)]
    assert [reply["n"] for reply in replies] == list(range(200))
    assert [reply["type"] for reply in replies] == ["count", "echo"] * 100


async def test_the_client_sees_1011_and_nothing_of_the_exception() -> None:
    async with served() as (ws, endpoint):
        await ws.send('{"type": "crash"}')
        with anyio.fail_after(TIMEOUT), pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1011
        assert SECRET not in closed.value.rcvd.reason
        assert await closed_code(endpoint) == 1011
    assert endpoint.closed.empty(), "on_disconnect ran more than once"


async def test_the_client_sees_the_code_of_a_websocket_exception() -> None:
    async with served() as (ws, endpoint):
        await ws.send('{"type": "refuse"}')
        with anyio.fail_after(TIMEOUT), pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4003, "reason")
        assert await closed_code(endpoint) == 4003
    assert endpoint.closed.empty(), "on_disconnect ran more than once"


async def test_on_disconnect_gets_the_code_the_client_closed_with() -> None:
    async with served() as (ws, endpoint):
        await ws.send('{"type": "count", "n": 1}')
        assert await receive(ws) == {"type": "count", "n": 1}
        await ws.close(code=4001, reason="bye")
        assert await closed_code(endpoint) == 4001


async def test_on_disconnect_gets_the_clients_code_even_while_a_handler_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The client closes with 4001 during a handler; its answer is dropped quietly."""
    caplog.set_level(logging.WARNING, logger="socketsundso")
    async with served() as (ws, endpoint):
        await ws.send('{"type": "held"}')
        with anyio.fail_after(TIMEOUT):
            await ws.close(code=4001, reason="bye")
        endpoint.gate.set()
        assert await closed_code(endpoint) == 4001
    assert endpoint.closed.empty(), "on_disconnect ran more than once"
    assert not [r for r in caplog.records if r.name.startswith("socketsundso")]


async def test_a_client_that_vanishes_is_reported_with_the_servers_code() -> None:
    """No close frame at all (the TCP connection just ends): uvicorn says 1005 (or 1006)."""
    async with served() as (ws, endpoint):
        await ws.send('{"type": "count", "n": 1}')
        assert await receive(ws) == {"type": "count", "n": 1}
        ws.transport.abort()
        assert await closed_code(endpoint) in (1005, 1006)
    assert endpoint.closed.empty(), "on_disconnect ran more than once"
