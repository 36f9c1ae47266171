"""Slowloris against ``python -m socketsundso serve``: unfinished handshakes are closed.

Clients that send part of a handshake head, then a byte now and then, each hold a
file descriptor; uvicorn alone waits for them for ever (``bench/serving.py``
measured 1,000 of them still open after 50 s). ``serve`` closes a connection whose
request head is not whole after ``--handshake-timeout`` seconds (10 by default; 1
here, so the test is quick), while normal clients are served and a WebSocket that
finished its handshake lives on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect

from tests.hardening.figures import write_figures
from tests.serving.attacks import slow_heads
from tests.serving.process import Server, free_port, running, serve_command

pytestmark = pytest.mark.anyio

#: The deadline the tests serve with, in seconds.
HANDSHAKE_TIMEOUT = 1.0
#: Slowloris connections per test (the issue measured 1,000; the bench still does).
SLOW_CLIENTS = 50
#: Seconds the tests wait for the server to close them (uvicorn alone: never).
CLOSE_BOUND = 15.0


@pytest.fixture
def server() -> Iterator[Server]:
    """``serve tests.serving.apps:app`` with a 1-s handshake deadline."""
    port = free_port()
    command = serve_command(port, "--handshake-timeout", str(HANDSHAKE_TIMEOUT))
    with running(command) as server:
        yield server


async def echo(ws: object, text: str) -> object:
    """Send one ``echo`` on ``ws``; its answer."""
    await ws.send(json.dumps({"type": "echo", "text": text}))  # type: ignore[attr-defined]
    return json.loads(await ws.recv())  # type: ignore[attr-defined]


async def test_unfinished_handshakes_are_closed_while_normal_clients_are_served(
    server: Server,
) -> None:
    attack = asyncio.create_task(
        asyncio.to_thread(slow_heads, server.port, SLOW_CLIENTS, interval=0.3, seconds=CLOSE_BOUND)
    )
    async with connect(f"{server.url}/ws", open_timeout=10) as ws:
        assert await echo(ws, "hello") == {"type": "echo", "length": 5}
        closed_after = await attack  # the handshake deadline passes meanwhile
        assert await echo(ws, "still open") == {"type": "echo", "length": 10}
    still_open = [seconds for seconds in closed_after if seconds is None]
    closed = [seconds for seconds in closed_after if seconds is not None]
    write_figures(
        "serving-slowloris",
        {
            "clients": SLOW_CLIENTS,
            "still_open": len(still_open),
            "latest_close_s": round(max(closed), 2) if closed else None,
        },
    )
    assert not still_open, f"{len(still_open)} of {SLOW_CLIENTS} still open after {CLOSE_BOUND} s"


def test_an_unfinished_second_request_head_on_a_kept_alive_connection_is_closed(
    server: Server,
) -> None:
    first = b"GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"  # answered 404, kept alive
    closed_after = slow_heads(server.port, 5, interval=0.3, seconds=CLOSE_BOUND, before=first)
    assert None not in closed_after
