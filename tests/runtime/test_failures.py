"""A failing handler: 1011 and a logged traceback, or the handler's own close code."""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel
from starlette.exceptions import WebSocketException

from socketsundso import WebSocketHandlingEndpoint, on_event
from tests.runtime.support import Recorder, connect, is_error_reply

SECRET = "db password is hunter2"


class Count(BaseModel):
    """A response model a handler can violate."""

    count: int


class Failing(WebSocketHandlingEndpoint):
    """Handlers that fail in every way; records its close code."""

    closed: ClassVar[Recorder]

    async def on_disconnect(self, close_code: int) -> None:
        self.closed.put(close_code)

    @on_event
    async def ok(self) -> dict[str, Any]:
        return {"fine": True}

    @on_event
    async def crash(self) -> None:
        raise RuntimeError(SECRET)

    @on_event
    def crash_sync(self) -> None:
        raise KeyError(SECRET)

    @on_event
    async def refuse(self) -> None:
        raise WebSocketException(4003, "reason")

    @on_event
    def refuse_sync(self) -> None:
        raise WebSocketException(4004)

    @on_event(response_model=Count)
    async def bad_answer(self) -> dict[str, Any]:
        return {"count": SECRET}

    @on_event
    async def not_an_object(self) -> Any:
        return 42


@pytest.fixture
def failing() -> type[Failing]:
    """``Failing`` with a fresh close-code log."""
    return type("Recorded", (Failing,), {"closed": Recorder()})


@pytest.mark.parametrize(("event", "error"), [("crash", RuntimeError), ("crash_sync", KeyError)])
def test_a_failing_handler_closes_1011_logs_and_tells_the_client_nothing(
    failing: type[Failing],
    caplog: pytest.LogCaptureFixture,
    event: str,
    error: type[Exception],
) -> None:
    caplog.set_level(logging.ERROR, logger="socketsundso")
    with connect(failing) as ws:
        ws.send_json({"type": "ok"})
        assert ws.receive_json() == {"type": "ok", "fine": True}
        ws.send_json({"type": event})
        close = ws.receive()
        assert close["type"] == "websocket.close"
        assert close["code"] == 1011
        assert SECRET not in str(close.get("reason"))
        assert failing.closed.get() == 1011
    records = [r for r in caplog.records if r.name.startswith("socketsundso")]
    assert records, "the failure was not logged"
    exc_info = records[-1].exc_info
    assert exc_info is not None
    assert exc_info[0] is error
    assert SECRET in str(exc_info[1])
    assert SECRET in caplog.text  # the traceback, with the exception, went to the log


@pytest.mark.parametrize(
    ("event", "code", "reason"), [("refuse", 4003, "reason"), ("refuse_sync", 4004, "")]
)
def test_websocket_exception_from_a_handler_closes_with_its_code(
    failing: type[Failing], event: str, code: int, reason: str
) -> None:
    with connect(failing) as ws:
        ws.send_json({"type": event})
        close = ws.receive()
        assert close["type"] == "websocket.close"
        assert close["code"] == code
        assert (close.get("reason") or "") == reason
        assert failing.closed.get() == code


@pytest.mark.parametrize("event", ["bad_answer", "not_an_object"])
def test_an_answer_the_response_model_rejects_is_an_internal_error_and_the_connection_goes_on(
    failing: type[Failing], caplog: pytest.LogCaptureFixture, event: str
) -> None:
    caplog.set_level(logging.ERROR, logger="socketsundso")
    with connect(failing) as ws:
        ws.send_json({"type": event})
        frame = ws.receive()
        assert SECRET not in frame["text"]
        reply = json.loads(frame["text"])
        assert is_error_reply(reply)
        assert [e["type"] for e in reply["errors"]] == ["internal_error"]
        ws.send_json({"type": "ok"})
        assert ws.receive_json() == {"type": "ok", "fine": True}
    assert any(r.name.startswith("socketsundso") and r.exc_info for r in caplog.records)
