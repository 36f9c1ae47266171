"""socketsundso.client over uvicorn on 127.0.0.1: requests, errors, timeouts, events, reconnect.

The endpoint is the one the generated TypeScript client is tested against
(``tests.typescript.endpoints.Desk``), so both clients answer to the same server.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timezone

import anyio
import pytest

from socketsundso import WebSocketHandlingEndpoint, on_event
from socketsundso.client import ConnectionState, RequestError, connect
from socketsundso.groups import Position
from tests.servers import free_port, serve
from tests.typescript.endpoints import (
    Desk,
    HistoryDesk,
    Item,
    Moved,
    Posted,
    Priority,
    Resumed,
    Ticket,
    app,
)

pytestmark = pytest.mark.anyio

#: Seconds a test waits for what must come.
WAIT = 10


@contextlib.asynccontextmanager
async def served(port: int | None = None) -> AsyncIterator[str]:
    """The Desk app under uvicorn (in a thread); yields its URL. Stopping doesn't block the loop."""
    stack = contextlib.ExitStack()
    base = await anyio.to_thread.run_sync(
        lambda: stack.enter_context(serve(app, port=port, timeout_graceful_shutdown=1))
    )
    try:
        yield f"{base}/desk"
    finally:
        await anyio.to_thread.run_sync(stack.close)


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with served() as desk:
        yield desk


async def test_a_request_returns_its_reply_typed_as_the_handler_returns(url: str) -> None:
    async with connect(url, Desk) as client:
        ticket = await client.request(
            Desk.on_file,
            room_name="lobby",  # travels as roomName
            items=[Item(name="pen"), Item(name="ink", quantity=2)],
            priority=Priority.HIGH,
            due=datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc),
            labels={"urgent": 1},
        )
        assert isinstance(ticket, Ticket)
        assert ticket.ticket_id == 5
        assert ticket.priority is Priority.HIGH
        assert ticket.due == datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
        assert [item.quantity for item in ticket.items] == [1, 2]
        assert ticket.position == (2, "question")
        assert await client.request(Desk.on_echo, n=7) == {"n": 7}
        assert await client.request(Desk.on_echo, 8) == {"n": 8}  # positionally, as in Python


async def test_200_concurrent_requests_each_get_their_own_reply(url: str) -> None:
    async with connect(url, Desk) as client:
        replies = await asyncio.gather(
            *(client.request(Desk.on_slow, seconds=(n % 7) / 500, n=n) for n in range(200))
        )
        assert [reply["n"] for reply in replies] == list(range(200))
        assert client._pending == {}


async def test_an_error_reply_raises_request_error_with_its_entries(url: str) -> None:
    async with connect(url, Desk) as client:
        with pytest.raises(RequestError) as refused:
            await client.request(Desk.on_refuse, why="because")
        assert refused.value.event == "refuse"
        assert refused.value.errors == [
            {"type": "refused", "loc": ["why"], "msg": "refused: because"}
        ]
        with pytest.raises(RequestError) as invalid:
            await client.request(Desk.on_echo, n="seven")  # type: ignore[arg-type]
        assert invalid.value.errors[0]["type"] == "int_parsing"
        assert await client.request(Desk.on_echo, n=1) == {"n": 1}  # the connection goes on


async def test_an_error_reply_to_send_names_its_event(url: str) -> None:
    reports: list[tuple[str | None, str]] = []
    async with connect(url, Desk) as client:
        client.on_error(lambda event, errors: reports.append((event, errors[0]["type"])))
        await client.request(Desk.on_echo, n=0)
        await client.send(Desk.on_enter, room=5)  # type: ignore[arg-type]
        await client.request(Desk.on_echo, n=0)
    assert reports == [("enter", "string_type")]


async def test_timeouts_by_asyncio_timeout_leave_nothing_behind(url: str) -> None:
    async with connect(url, Desk, request_timeout=5) as client:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):
                await client.request(Desk.on_slow, seconds=1, n=1)
        assert client._pending == {}
        # Its late reply comes while this one waits: it must not settle it.
        assert await client.request(Desk.on_slow, seconds=1, n=2) == {"n": 2}


async def test_request_timeout_bounds_every_request(url: str) -> None:
    async with connect(url, Desk, request_timeout=0.2) as client:
        with pytest.raises(TimeoutError):
            await client.request(Desk.on_slow, seconds=2)
        assert client._pending == {}


async def test_a_server_event_reaches_another_member(url: str) -> None:
    async with connect(url, Desk) as ann, connect(url, Desk) as bob:
        await bob.request(Desk.on_echo, n=0)
        await bob.send(Desk.on_enter, room="lobby")
        await bob.request(Desk.on_echo, n=0)
        await ann.request(Desk.on_echo, n=0)  # ann is connected: send doesn't wait
        await ann.send(Desk.on_post, room="lobby", text="hello")
        await ann.send(Desk.on_move, room="lobby")
        posted = await bob.receive_event(Posted, timeout=WAIT)
        assert posted == Posted(room="lobby", text="hello", at=datetime(2026, 12, 6, 12, 0))
        async for event in bob.events():
            assert event == Moved(type="moved", room="lobby")
            break


async def test_receive_event_times_out_and_keeps_other_events_in_order(url: str) -> None:
    async with connect(url, Desk) as client:
        await client.request(Desk.on_echo, n=0)
        await client.send(Desk.on_enter, room="order")
        await client.request(Desk.on_echo, n=0)
        await client.send(Desk.on_move, room="order")
        await client.send(Desk.on_post, room="order", text="after the move")
        assert (await client.receive_event(Posted, timeout=WAIT)).text == "after the move"
        with pytest.raises(TimeoutError):
            await client.receive_event(Posted, timeout=0.1)
        events = client.events()
        assert await anext(events) == Moved(type="moved", room="order")


async def test_unread_events_are_bounded(url: str) -> None:
    async with connect(url, Desk, max_buffered_events=3) as client:
        await client.request(Desk.on_echo, n=0)
        await client.send(Desk.on_enter, room="flood")
        for n in range(10):
            await client.send(Desk.on_post, room="flood", text=str(n))
        await client.request(Desk.on_echo, n=0)
        texts = [(await client.receive_event(Posted, timeout=WAIT)).text for _ in range(3)]
        assert texts == ["7", "8", "9"]
        assert client.dropped_events == 7


async def test_calls_that_can_t_be_made_are_type_errors_at_once(url: str) -> None:
    class Other(WebSocketHandlingEndpoint):
        @on_event
        async def on_echo(self, n: int) -> dict[str, int]:
            return {"n": n}

    async with connect(url, Desk) as client:
        with pytest.raises(TypeError, match=r"Other\.on_echo is not a handler of Desk"):
            await client.request(Other.on_echo, n=1)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"'enter' has no reply .* use send"):
            await client.request(Desk.on_enter, room="x")
        with pytest.raises(TypeError, match="got an unexpected keyword argument 'm'"):
            await client.request(Desk.on_echo, n=1, m=1)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="missing a required argument: 'n'"):
            await client.request(Desk.on_echo)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="WebSocketHandlingEndpoint subclass"):
        connect(url, app)  # type: ignore[arg-type]


async def test_a_closed_client_fails_at_once() -> None:
    port = free_port()
    client = connect(f"ws://127.0.0.1:{port}/desk", Desk, backoff_initial=0.01, backoff_max=0.05)
    reconnecting = asyncio.Event()
    client.on_state(lambda state: reconnecting.set() if state == "reconnecting" else None)
    async with client:
        waiting = asyncio.ensure_future(client.request(Desk.on_echo, n=1))
        await asyncio.wait_for(reconnecting.wait(), WAIT)
        with pytest.raises(ConnectionError):
            await client.send(Desk.on_enter, room="x")
    with pytest.raises(ConnectionError, match="the client is closed"):
        await waiting
    with pytest.raises(ConnectionError):
        await client.request(Desk.on_echo, n=2)
    assert client.state == "closed"


async def test_without_reconnect_a_failed_connection_closes_the_client() -> None:
    url = f"ws://127.0.0.1:{free_port()}/desk"
    async with connect(url, Desk, reconnect=False) as client:
        with pytest.raises(ConnectionError):
            async with asyncio.timeout(WAIT):
                await client.request(Desk.on_echo, n=1)
        assert client.state == "closed"


async def test_the_client_reconnects_after_the_server_restarts_and_rejoins() -> None:
    port = free_port()
    url = f"ws://127.0.0.1:{port}/desk"
    states: list[ConnectionState] = []
    bob = connect(url, Desk, backoff_initial=0.1, backoff_max=0.5)

    async def rejoin(state: ConnectionState) -> None:
        states.append(state)
        if state == "open":  # a request from a listener goes out before what waits
            assert await bob.request(Desk.on_echo, n=-1) == {"n": -1}
            await bob.send(Desk.on_enter, room="lobby")

    bob.on_state(rejoin)
    async with bob:
        async with served(port):
            assert await bob.request(Desk.on_echo, n=1) == {"n": 1}
            in_flight = asyncio.ensure_future(bob.request(Desk.on_slow, seconds=3))
            await asyncio.sleep(0.2)
        # The server is down: what was in flight failed, and a request now times out.
        with pytest.raises(ConnectionError, match="the connection was lost"):
            await in_flight
        assert "reconnecting" in states
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await bob.request(Desk.on_echo, n=2)
        later = asyncio.ensure_future(bob.request(Desk.on_echo, n=3))
        async with served(port), connect(url, Desk) as ann:
            assert await later == {"n": 3}
            await ann.request(Desk.on_echo, n=0)
            await ann.send(Desk.on_post, room="lobby", text="welcome back")
            assert (await bob.receive_event(Posted, timeout=WAIT)).text == "welcome back"
            # (It may have tried once before the first server was up: "reconnecting" first.)
            assert states[-3:] == ["open", "reconnecting", "open"]
            assert states.count("open") == 2
            await bob.close()


async def test_a_client_that_comes_back_gets_what_it_missed_once_and_in_order(url: str) -> None:
    history_url = url.replace("/desk", "/history")
    resumed: asyncio.Queue[Resumed] = asyncio.Queue()
    ann = connect(history_url, HistoryDesk, backoff_initial=0.3, backoff_max=0.5)

    async def resume(state: ConnectionState) -> None:
        if state == "open":  # join again from the last position this client has
            reply = await ann.request(
                HistoryDesk.on_resume, room="comeback", since=ann.position("room:comeback")
            )
            if reply.position is not None:
                ann.set_position(reply.group, reply.position)
            resumed.put_nowait(reply)

    ann.on_state(resume)
    async with ann, connect(history_url, HistoryDesk) as bob:
        first = await asyncio.wait_for(resumed.get(), WAIT)
        assert (first.recovered, first.reason, first.position) == (
            False,
            None,
            ann.position(first.group),
        )
        await bob.request(HistoryDesk.on_echo, n=0)  # bob is connected: send doesn't wait
        await bob.send(HistoryDesk.on_post, room="comeback", text="1")
        assert (await ann.receive_event(Posted, timeout=WAIT)).text == "1"
        assert first.position is not None
        assert ann.position("room:comeback") == Position(
            epoch=first.position.epoch, offset=first.position.offset + 1
        )
        await ann._socket.close()  # the network drops ann's connection
        for text in ("2", "3", "4"):
            await bob.send(HistoryDesk.on_post, room="comeback", text=text)
        texts = [(await ann.receive_event(Posted, timeout=WAIT)).text for _ in range(3)]
        assert texts == ["2", "3", "4"]
        again = await asyncio.wait_for(resumed.get(), WAIT)
        assert (again.recovered, again.reason) == (True, None)
        await bob.send(HistoryDesk.on_post, room="comeback", text="5")
        assert (await ann.receive_event(Posted, timeout=WAIT)).text == "5"
        with pytest.raises(TimeoutError):  # and nothing twice
            await ann.receive_event(Posted, timeout=0.2)
