"""The connection's life: accept, frames in, validated answers out, close codes."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import threading
import uuid
from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BaseModel, Field, ValidationError
from starlette.exceptions import WebSocketException
from starlette.websockets import WebSocketDisconnect

from socketsundso import Handler, WebSocketEventMessage, WebSocketHandlingEndpoint, on_event
from tests.runtime.support import Recorder, connect, unconnected

MOMENT = datetime.datetime(2026, 11, 24, 23, 50, 1, tzinfo=datetime.timezone.utc)
TOKEN = uuid.UUID("12345678-1234-5678-1234-567812345678")


class Colour(enum.Enum):
    """An enum a handler may return."""

    RED = "red"


@dataclasses.dataclass
class Point:
    """A dataclass a handler may return."""

    x: int
    y: int


@dataclasses.dataclass
class Price:
    """A dataclass read into a response model by attribute."""

    value: int
    currency: str


class Item(BaseModel):
    """A model a handler may return."""

    name: str
    at: datetime.datetime


class Tagged(BaseModel):
    """A response model that sets its own ``type``."""

    type: str = "tagged"
    value: int


class AliasedType(BaseModel):
    """A response model that sets ``type`` through an alias (``type`` shadows a builtin)."""

    kind: str = Field("aliased", alias="type")
    value: int = 0


class Amount(BaseModel):
    """A response model without ``type``: the event name is added."""

    value: int


class Echo(WebSocketHandlingEndpoint):
    """Handlers for every kind of answer."""

    @on_event
    async def echo(self, text: str) -> dict[str, Any]:
        return {"text": text}

    @on_event
    async def silent(self) -> None:
        return None

    @on_event
    async def retyped(self) -> dict[str, Any]:
        return {"type": "something_else"}

    @on_event(response_model=Tagged)
    async def own_type(self) -> dict[str, Any]:
        return {"value": 1}

    @on_event(response_model=Amount)
    async def amount(self, value: str) -> dict[str, Any]:
        return {"value": value}

    @on_event(response_model=Amount)
    async def amount_model(self) -> Amount:
        return Amount(value=7)

    @on_event(response_model=Amount)
    def amount_dataclass(self) -> Any:
        return Price(8, "EUR")

    @on_event(response_model=AliasedType)
    async def aliased(self) -> dict[str, Any]:
        return {"value": 3}

    @on_event
    def sync_silent(self) -> None:
        return None

    @on_event
    async def rich(self) -> dict[str, Any]:
        return {
            "when": MOMENT,
            "colour": Colour.RED,
            "token": TOKEN,
            "point": Point(1, 2),
            "item": Item(name="a", at=MOMENT),
            "day": MOMENT.date(),
        }

    @on_event
    async def model_with_type(self) -> Tagged:
        return Tagged(value=2)

    @on_event
    async def model(self) -> Item:
        return Item(name="b", at=MOMENT)

    @on_event
    async def dataclass(self) -> Point:
        return Point(3, 4)

    @on_event
    async def direct(self) -> None:
        await self.send_json({"when": MOMENT, "token": TOKEN, "colour": Colour.RED})

    @on_event
    def sync_thread(self) -> dict[str, Any]:
        return {"thread": threading.get_ident()}

    @on_event
    async def async_thread(self) -> dict[str, Any]:
        return {"thread": threading.get_ident()}


def test_text_and_binary_frames_are_both_handled() -> None:
    with connect(Echo) as ws:
        ws.send_text('{"type": "echo", "text": "via text"}')
        assert ws.receive_json() == {"type": "echo", "text": "via text"}
        ws.send_bytes('{"type": "echo", "text": "via bytes é"}'.encode())
        assert ws.receive_json() == {"type": "echo", "text": "via bytes é"}


def test_every_answer_is_one_text_frame() -> None:
    with connect(Echo) as ws:
        ws.send_bytes(b'{"type": "echo", "text": "x"}')
        frame = ws.receive()
        assert frame["type"] == "websocket.send"
        assert json.loads(frame["text"]) == {"type": "echo", "text": "x"}
        assert frame.get("bytes") is None


@pytest.mark.parametrize("event", ["silent", "sync_silent"])
def test_a_handler_returning_none_sends_nothing(event: str) -> None:
    """The reply after a message answered with ``None`` is the next message's answer."""
    with connect(Echo) as ws:
        ws.send_json({"type": event})
        ws.send_json({"type": "echo", "text": "after"})
        assert ws.receive_json() == {"type": "echo", "text": "after"}


def test_a_response_model_setting_type_by_alias_sets_the_only_type() -> None:
    with connect(Echo) as ws:
        ws.send_json({"type": "aliased"})
        frame = ws.receive()
        assert frame["text"].count('"type"') == 1, frame["text"]
        assert json.loads(frame["text"]) == {"type": "aliased", "value": 3}


@pytest.mark.parametrize(
    ("event", "reply"),
    [
        ("retyped", {"type": "something_else"}),
        ("own_type", {"type": "tagged", "value": 1}),
        ("model_with_type", {"type": "tagged", "value": 2}),
        ("amount_model", {"type": "amount_model", "value": 7}),
        ("amount_dataclass", {"type": "amount_dataclass", "value": 8}),
        ("model", {"type": "model", "name": "b", "at": "2026-11-24T23:50:01Z"}),
        ("dataclass", {"type": "dataclass", "x": 3, "y": 4}),
    ],
)
def test_every_answer_has_a_type_the_event_unless_the_data_sets_one(
    event: str, reply: dict[str, Any]
) -> None:
    with connect(Echo) as ws:
        ws.send_json({"type": event})
        assert ws.receive_json() == reply


def test_the_answer_is_validated_into_the_response_model() -> None:
    with connect(Echo) as ws:
        ws.send_json({"type": "amount", "value": "12"})
        assert ws.receive_json() == {"type": "amount", "value": 12}


RICH_JSON = {
    "when": "2026-11-24T23:50:01Z",
    "colour": "red",
    "token": "12345678-1234-5678-1234-567812345678",
    "point": {"x": 1, "y": 2},
    "item": {"name": "a", "at": "2026-11-24T23:50:01Z"},
    "day": "2026-11-24",
}


def test_datetimes_enums_uuids_dataclasses_and_models_serialize() -> None:
    with connect(Echo) as ws:
        ws.send_json({"type": "rich"})
        assert ws.receive_json() == {"type": "rich", **RICH_JSON}


def test_send_json_serializes_with_pydantic() -> None:
    with connect(Echo) as ws:
        ws.send_json({"type": "direct"})
        frame = ws.receive()
        assert json.loads(frame["text"]) == {
            "when": RICH_JSON["when"],
            "token": RICH_JSON["token"],
            "colour": "red",
        }


def test_sync_handlers_run_in_a_worker_thread_not_on_the_event_loop() -> None:
    with connect(Echo) as ws:
        ws.send_json({"type": "sync_thread"})
        sync_thread = ws.receive_json()["thread"]
        ws.send_json({"type": "async_thread"})
        loop_thread = ws.receive_json()["thread"]
    assert sync_thread != loop_thread


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


def test_the_default_on_connect_accepts() -> None:
    with connect(Echo) as ws:
        ws.send_json({"type": "echo", "text": "x"})
        assert ws.receive_json() == {"type": "echo", "text": "x"}


async def add(a: int, b: int) -> dict[str, int]:
    """A module-level handler function."""
    return {"sum": a + b}


def shout(text: str) -> Amount:
    """A sync module-level handler function with a response model."""
    return Amount(value=len(text))


@pytest.mark.anyio
async def test_handler_handle_validates_calls_and_returns_the_response_model() -> None:
    handler = Handler("add", add)
    answer = await handler.handle(WebSocketEventMessage(type="add", a="1", b=2))  # type: ignore[call-arg]
    assert isinstance(answer, handler.response_model)
    assert answer.model_dump() == {"type": "add", "sum": 3}

    sync = Handler("shout", shout, Amount)
    answer = await sync.handle(sync.model(type="shout", text="abc"))  # type: ignore[call-arg]
    assert isinstance(answer, Amount)
    assert answer.model_dump() == {"type": "shout", "value": 3}


@pytest.mark.anyio
async def test_handler_handle_rejects_a_message_its_model_rejects() -> None:
    handler = Handler("add", add)
    with pytest.raises(ValidationError):
        await handler.handle(WebSocketEventMessage(type="add", a=1))  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        await handler.handle(WebSocketEventMessage(type="add", a=1, b=2, c=3))  # type: ignore[call-arg]


def test_a_message_is_validated_once_on_the_way_to_its_handler() -> None:
    """A validator in a parameter's type runs once per message, not once per step."""
    runs = Recorder()

    def counted(value: int) -> int:
        runs.put(value)
        return value

    class Counting(WebSocketHandlingEndpoint):
        @on_event
        async def count(self, n: Annotated[int, AfterValidator(counted)]) -> dict[str, Any]:
            return {"n": n}

    with connect(Counting) as ws:
        for n in (1, 2):
            ws.send_json({"type": "count", "n": n})
            assert ws.receive_json() == {"type": "count", "n": n}
    assert [runs.get(), runs.get()] == [1, 2]
    assert runs.empty()


@pytest.mark.anyio
async def test_a_methods_handler_must_be_bound_to_an_endpoint_before_handling() -> None:
    class Greeter(WebSocketHandlingEndpoint):
        prefix = "hello"

        @on_event
        async def greet(self, name: str) -> dict[str, Any]:
            return {"text": f"{self.prefix} {name}"}

    unbound = Greeter.handlers["greet"]
    message = unbound.model.model_validate({"type": "greet", "name": "ada"})
    with pytest.raises(TypeError, match="bind"):
        await unbound.handle(message)

    endpoint = unconnected(Greeter)
    endpoint.prefix = "hi"
    bound = unbound.bind(endpoint)
    assert bound is not unbound
    answer = await bound.handle(message)
    assert answer is not None
    assert answer.model_dump() == {"type": "greet", "text": "hi ada"}
    assert endpoint.handlers["greet"] is not unbound


class Arguments(WebSocketHandlingEndpoint):
    """Every kind of parameter a message can fill, answered back by name."""

    @on_event
    async def mixed(
        self, a: int, b: int = 2, *, c: int, d: int = 4, e: str = "e"
    ) -> dict[str, Any]:
        return {"a": a, "b": b, "c": c, "d": d, "e": e}

    @on_event
    def mixed_sync(self, a: int, b: int = 2, *, c: int, d: int = 4) -> dict[str, Any]:
        return {"a": a, "b": b, "c": c, "d": d}


@Arguments.on_event
async def mixed_function(a: int, b: int = 2, *, c: int, d: int = 4) -> dict[str, Any]:
    """An attached function with the same parameters: no ``self`` to skip."""
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.mark.parametrize("event", ["mixed", "mixed_sync", "mixed_function"])
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"a": 1, "c": 3}, {"a": 1, "b": 2, "c": 3, "d": 4}),
        ({"c": 30, "a": 10, "d": 40}, {"a": 10, "b": 2, "c": 30, "d": 40}),
        ({"d": 400, "c": 300, "b": 200, "a": 100}, {"a": 100, "b": 200, "c": 300, "d": 400}),
    ],
)
def test_fields_reach_their_own_parameters_whatever_their_order(
    event: str, fields: dict[str, int], expected: dict[str, int]
) -> None:
    with connect(Arguments) as ws:
        ws.send_json({"type": event, **fields})
        reply = ws.receive_json()
        reply.pop("e", None)
        assert reply == {"type": event, **expected}


class Constrained(WebSocketHandlingEndpoint):
    """Parameters that carry pydantic constraints and aliases in ``Annotated``."""

    @on_event
    async def page(
        self,
        user_id: Annotated[int, Field(alias="userId")],
        limit: Annotated[int, Field(ge=1, le=10)] = 5,
        colour: Colour = Colour.RED,
    ) -> dict[str, Any]:
        return {"user": user_id, "limit": limit, "colour_is_enum": isinstance(colour, Colour)}


def test_parameter_annotations_validate_like_pydantic_fields() -> None:
    with connect(Constrained) as ws:
        ws.send_json({"type": "page", "userId": 7, "colour": "red"})
        assert ws.receive_json() == {
            "type": "page",
            "user": 7,
            "limit": 5,
            "colour_is_enum": True,
        }
        ws.send_json({"type": "page", "userId": 7, "limit": 11})
        assert [(e["type"], e["loc"]) for e in ws.receive_json()["errors"]] == [
            ("less_than_equal", ["limit"])
        ]
        ws.send_json({"type": "page", "user_id": 7})
        assert sorted((e["type"], e["loc"]) for e in ws.receive_json()["errors"]) == [
            ("extra_forbidden", ["user_id"]),
            ("missing", ["userId"]),
        ]
        ws.send_json({"type": "page", "userId": 7, "colour": "mauve"})
        assert [e["loc"] for e in ws.receive_json()["errors"]] == [["colour"]]
