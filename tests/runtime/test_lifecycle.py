"""The connection's life: on_connect, on_receive, on_disconnect and the close codes."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import BaseModel
from starlette.exceptions import WebSocketException
from starlette.websockets import WebSocketDisconnect

from socketsundso import WebSocketEventMessage, WebSocketHandlingEndpoint, on_event
from tests.runtime.support import Recorder, connect


class Lifecycle(WebSocketHandlingEndpoint):
    """Records its hooks; greets on connect."""

    log: Recorder

    async def on_connect(self) -> None:
        await super().on_connect()
        await self.send_json({"hello": True})

    async def on_receive(self, message: WebSocketEventMessage[Any]) -> None:
        self.log.put(("receive", type(message)))
        await super().on_receive(message)

    async def on_disconnect(self, close_code: int) -> None:
        self.log.put(("disconnect", close_code))

    @on_event
    async def echo(self, text: str) -> dict[str, Any]:
        return {"text": text}


@pytest.fixture
def lifecycle() -> type[Lifecycle]:
    """``Lifecycle`` with a fresh recorder."""
    return type("Recorded", (Lifecycle,), {"log": Recorder()})


def test_on_connect_runs_first_and_on_receive_gets_the_handlers_model(
    lifecycle: type[Lifecycle],
) -> None:
    with connect(lifecycle) as ws:
        assert ws.receive_json() == {"hello": True}
        ws.send_json({"type": "echo", "text": "x"})
        assert ws.receive_json() == {"type": "echo", "text": "x"}
        assert lifecycle.log.get() == ("receive", lifecycle.handlers["echo"].model)


@pytest.mark.parametrize("code", [1000, 1001, 4001, 4999])
def test_on_disconnect_gets_the_clients_close_code(lifecycle: type[Lifecycle], code: int) -> None:
    with connect(lifecycle) as ws:
        assert ws.receive_json() == {"hello": True}
        ws.close(code)
        assert lifecycle.log.get() == ("disconnect", code)


def test_on_connect_may_refuse_the_connection() -> None:
    log = Recorder()

    class Refusing(WebSocketHandlingEndpoint):
        async def on_connect(self) -> None:
            await self.websocket.close(code=4403)

        @on_event
        async def echo(self, text: str) -> dict[str, Any]:
            log.put("handled")
            return {"text": text}

    with pytest.raises(WebSocketDisconnect) as refused, connect(Refusing):
        pass
    assert refused.value.code == 4403
    assert log.empty()


def test_on_connect_may_refuse_by_raising_websocket_exception() -> None:
    log = Recorder()

    class Refusing(WebSocketHandlingEndpoint):
        async def on_connect(self) -> None:
            raise WebSocketException(4401, "who are you?")

        async def on_disconnect(self, close_code: int) -> None:
            log.put(close_code)

    with pytest.raises(WebSocketDisconnect) as refused, connect(Refusing):
        pass
    assert refused.value.code == 4401
    assert log.get() == 4401


def test_a_handler_that_closes_the_connection_sends_nothing_after_the_close() -> None:
    """Sending the answer after the close would fail and end as 1011, not 4000."""
    log = Recorder()

    class Closing(WebSocketHandlingEndpoint):
        async def on_disconnect(self, close_code: int) -> None:
            log.put(close_code)

        @on_event
        async def bye(self) -> dict[str, Any]:
            await self.websocket.close(4000, "bye")
            return {"after": "close"}

    with connect(Closing) as ws:
        ws.send_json({"type": "bye"})
        assert ws.receive() == {"type": "websocket.close", "code": 4000, "reason": "bye"}
        ws.close(4000)  # the client's answer to the close
        assert log.get() == 4000


class Plain(WebSocketHandlingEndpoint):
    """No hooks overridden."""

    @on_event
    async def echo(self, text: str) -> dict[str, Any]:
        return {"text": text}


def test_the_default_on_connect_accepts() -> None:
    with connect(Plain) as ws:
        ws.send_json({"type": "echo", "text": "x"})
        assert ws.receive_json() == {"type": "echo", "text": "x"}


class Enveloping(WebSocketHandlingEndpoint):
    """Wraps everything it sends; the seed's reason to override ``send_json``."""

    async def send_json(self, response: Any) -> None:
        data = response.model_dump(mode="json") if isinstance(response, BaseModel) else response
        await super().send_json({"envelope": data})

    @on_event
    async def echo(self, text: str) -> dict[str, Any]:
        return {"text": text}


def test_send_json_is_the_one_way_out_for_answers_and_errors() -> None:
    with connect(Enveloping) as ws:
        ws.send_json({"type": "echo", "text": "x"})
        assert ws.receive_json() == {"envelope": {"type": "echo", "text": "x"}}
        ws.send_json({"type": "echo"})
        assert ws.receive_json()["envelope"]["errors"][0]["loc"] == ["text"]
        ws.send_text("not json")
        assert ws.receive_json()["envelope"]["errors"][0]["type"] == "json_invalid"


class Quiet(WebSocketHandlingEndpoint):
    """Tells clients nothing about errors: the seed's reason to override ``send_exception``."""

    seen: ClassVar[Recorder]

    async def send_exception(self, exc: Exception) -> None:
        self.seen.put(type(exc))

    @on_event
    async def echo(self, text: str) -> dict[str, Any]:
        return {"text": text}


def test_send_exception_is_the_one_way_out_for_errors() -> None:
    quiet: type[Quiet] = type("Fresh", (Quiet,), {"seen": Recorder()})
    with connect(quiet) as ws:
        ws.send_text("not json")
        ws.send_json({"type": "nope"})
        ws.send_json({"type": "echo", "text": 1})
        ws.send_json({"type": "echo", "text": "after"})
        assert ws.receive_json() == {"type": "echo", "text": "after"}
    errors = [quiet.seen.get() for _ in range(3)]
    assert all(issubclass(error, Exception) for error in errors)
    assert quiet.seen.empty()
