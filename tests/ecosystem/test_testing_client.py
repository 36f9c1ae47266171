"""``socketsundso.testing``: typed sessions that send events, check errors and never hang."""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.exceptions import WebSocketException
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from socketsundso import WebSocketHandlingEndpoint, on_event
from socketsundso.testing import AsyncEventSession, EventSession, ReceiveTimeout, UnexpectedReply

#: A timeout small enough that waiting it out costs the suite nothing.
SHORT = 0.05


class Greeting(BaseModel):
    """The answer to ``greet``."""

    text: str


class Greeter(WebSocketHandlingEndpoint):
    """A small endpoint with an answer, a silence, a failure and a chosen close."""

    @on_event(response_model=Greeting)
    async def on_greet(self, name: str, times: int = 1) -> Greeting:
        return Greeting(text=" ".join([f"hello {name}"] * times))

    @on_event
    async def on_when(self, at: datetime.date) -> dict[str, str]:
        return {"weekday": at.strftime("%A")}

    @on_event
    async def on_quiet(self) -> None:
        """Answers nothing: a test waiting for a reply must time out."""

    @on_event
    async def on_crash(self) -> None:
        raise RuntimeError("boom")

    @on_event
    async def on_kick(self) -> None:
        raise WebSocketException(code=4001, reason="kicked")


class Guarded(Greeter):
    """``Greeter`` for one origin only."""

    allowed_origins = ("https://ok.example",)


async def crash_after_one_message(websocket: WebSocket) -> None:
    """A route with a bug: it stops with an exception instead of closing."""
    await websocket.accept()
    await websocket.receive()
    raise LookupError("bug in the app")


#: An app whose WebSocket route fails, to see the failure reach the test.
BUGGY_APP = Starlette(routes=[WebSocketRoute("/ws", crash_after_one_message)])


def test_send_event_and_receive_event_round_trip() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_event("greet", name="ann", times=2)
        assert session.receive_event() == {"type": "greet", "text": "hello ann hello ann"}


def test_fields_are_serialized_by_pydantic() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_event("when", at=datetime.date(2026, 11, 24))
        assert session.receive_event() == {"type": "when", "weekday": "Tuesday"}


def test_id_is_the_request_id_and_comes_back() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_event("greet", name="ann", id=7)
        assert session.receive_event() == {"type": "greet", "text": "hello ann", "id": 7}
        session.send_event("greet", id="r-2")
        errors = session.expect_error(type="missing", loc=["name"], id="r-2")
        assert [error["type"] for error in errors] == ["missing"]


def test_type_is_not_a_field() -> None:
    with EventSession.connect(Greeter) as session, pytest.raises(TypeError, match="'type'"):
        session.send_event("greet", type="quiet")


def test_expect_error_returns_the_entries() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_event("greet", name="ann", times="many")
        errors = session.expect_error(type="int_parsing", loc=["times"])
        assert errors == [
            {
                "type": "int_parsing",
                "loc": ["times"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
            }
        ]


def test_expect_error_without_criteria_takes_any_error_reply() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_event("shout")
        (error,) = session.expect_error()
        assert (error["type"], error["loc"]) == ("union_tag_invalid", ["type"])


def test_expect_error_names_what_came_instead() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_event("greet")
        with pytest.raises(UnexpectedReply, match="type='missing' and loc=\\['times'\\]"):
            session.expect_error(type="missing", loc=["times"])
        session.send_event("greet", name="ann")
        with pytest.raises(UnexpectedReply, match="error reply") as caught:
            session.expect_error()
        assert caught.value.reply == {"type": "greet", "text": "hello ann"}


def test_receive_event_refuses_an_error_reply() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_event("greet")
        with pytest.raises(UnexpectedReply, match="'errors'"):
            session.receive_event()


def test_receive_times_out_and_the_session_goes_on() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_event("quiet")
        with pytest.raises(ReceiveTimeout, match=f"within {SHORT} seconds") as caught:
            session.receive_event(timeout=SHORT)
        assert caught.value.timeout == SHORT
        assert isinstance(caught.value, TimeoutError)
        session.send_event("greet", name="ann")
        assert session.receive_event()["text"] == "hello ann"


def test_session_default_timeout_applies_to_every_receive() -> None:
    with EventSession.connect(Greeter, timeout=SHORT) as session:
        with pytest.raises(ReceiveTimeout):
            session.receive_json()
        with pytest.raises(ReceiveTimeout):
            session.expect_close()


def test_raw_frames_go_as_given() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_text("{not json")
        session.expect_error(type="json_invalid")
        session.send_json({"type": "greet", "name": "ann", "extra": 1})
        session.expect_error(type="extra_forbidden", loc=["extra"])
        session.send_json({"type": "greet", "name": "bob"})
        assert session.receive_json() == {"type": "greet", "text": "hello bob"}


def test_expect_close_reports_the_code_and_receive_then_raises() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_event("crash")
        assert session.expect_close(1011) == 1011
        with pytest.raises(WebSocketDisconnect) as caught:
            session.receive_event(timeout=SHORT)
        assert caught.value.code == 1011


def test_expect_close_checks_the_code() -> None:
    with EventSession.connect(Greeter) as session:
        session.send_event("kick")
        with pytest.raises(UnexpectedReply, match="close code 1000, got 4001"):
            session.expect_close(1000)


def test_connect_to_an_app_at_a_path_with_headers() -> None:
    app = Starlette(routes=[WebSocketRoute("/api/greet", Guarded)])
    headers = {"origin": "https://ok.example"}
    with EventSession.connect(Guarded, app=app, path="/api/greet", headers=headers) as session:
        session.send_event("greet", name="ann")
        assert session.receive_event()["text"] == "hello ann"


def test_a_refused_handshake_raises() -> None:
    connecting = EventSession.connect(Guarded, headers={"origin": "https://evil.example"})
    with pytest.raises(WebSocketDisconnect) as caught, connecting:
        pass
    assert caught.value.code == 1008


def test_wrap_a_session_you_opened() -> None:
    app = Starlette(routes=[WebSocketRoute("/ws", Greeter)])
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        with EventSession(ws, Greeter, timeout=SHORT) as session:
            assert session.endpoint is Greeter
            session.send_event("greet", name="ann")
            assert session.receive_event()["text"] == "hello ann"
        with pytest.raises(WebSocketDisconnect):
            session.receive_event()


def test_an_app_that_stops_reads_as_1006_and_its_error_reaches_the_test() -> None:
    failing = pytest.raises(LookupError, match="bug in the app")
    with failing, EventSession.connect(Greeter, app=BUGGY_APP) as session:
        session.send_event("greet", name="ann")
        with pytest.raises(WebSocketDisconnect) as caught:
            session.receive_event()
        assert caught.value.code == 1006


@pytest.mark.anyio
async def test_async_round_trip_and_request_id() -> None:
    async with AsyncEventSession.connect(Greeter) as session:
        await session.send_event("greet", name="ann", id="a")
        assert await session.receive_event() == {"type": "greet", "text": "hello ann", "id": "a"}


@pytest.mark.anyio
async def test_async_timeout_loses_nothing() -> None:
    async with AsyncEventSession.connect(Greeter) as session:
        await session.send_event("quiet")
        with pytest.raises(ReceiveTimeout, match=f"within {SHORT} seconds"):
            await session.receive_event(timeout=SHORT)
        await session.send_event("greet", name="ann")
        await session.send_event("greet", name="bob")
        assert (await session.receive_event())["text"] == "hello ann"
        assert (await session.receive_event())["text"] == "hello bob"


@pytest.mark.anyio
async def test_async_expect_error_and_close() -> None:
    async with AsyncEventSession.connect(Greeter) as session:
        await session.send_event("greet", name="ann", times="many")
        await session.expect_error(type="int_parsing", loc=["times"])
        await session.send_text("[]")
        errors = await session.expect_error(type="dict_type", loc=[])
        assert errors == [{"type": "dict_type", "loc": [], "msg": "Input should be an object"}]
        await session.send_event("kick")
        assert await session.expect_close() == 4001
        with pytest.raises(WebSocketDisconnect):
            await session.receive_json()


@pytest.mark.anyio
async def test_async_connect_to_an_app_at_a_path() -> None:
    app = Starlette(routes=[WebSocketRoute("/api/greet", Guarded)])
    headers = {"origin": "https://ok.example"}
    async with AsyncEventSession.connect(
        Guarded, app=app, path="/api/greet?lang=en", headers=headers
    ) as session:
        await session.send_event("greet", name="ann")
        assert (await session.receive_event())["text"] == "hello ann"


@pytest.mark.anyio
async def test_async_refused_handshake_raises() -> None:
    with pytest.raises(WebSocketDisconnect) as caught:
        async with AsyncEventSession.connect(Guarded, headers={"origin": "https://evil.example"}):
            pass
    assert caught.value.code == 1008


@pytest.mark.anyio
async def test_async_failure_in_the_test_body_propagates_as_it_is() -> None:
    with pytest.raises(LookupError, match="from the test"):
        async with AsyncEventSession.connect(Greeter):
            raise LookupError("from the test")


@pytest.mark.anyio
async def test_async_app_that_stops_reads_as_1006_and_its_error_reaches_the_test() -> None:
    with pytest.raises(LookupError, match="bug in the app"):  # noqa: PT012
        async with AsyncEventSession.connect(Greeter, app=BUGGY_APP) as session:
            await session.send_event("greet", name="ann")
            assert await session.expect_close(1006) == 1006


def test_without_httpx2_the_import_names_the_extra_to_install() -> None:
    code = (
        "import sys\n"
        "sys.modules['httpx2'] = sys.modules['httpx'] = None  # as if neither were installed\n"
        "import socketsundso.testing\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert 'pip install "socketsundso[testing]"' in result.stderr
