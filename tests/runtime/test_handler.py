"""``Handler``: from a function's parameters to its arguments, validated once."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from socketsundso import Handler, WebSocketEventMessage, WebSocketHandlingEndpoint, on_event
from tests.runtime.support import Recorder, connect, unconnected


class Length(BaseModel):
    """A response model for a module-level handler function."""

    value: int


class Colour(enum.Enum):
    """An enum a parameter may be typed with."""

    RED = "red"


async def add(a: int, b: int) -> dict[str, int]:
    """A module-level handler function."""
    return {"sum": a + b}


def shout(text: str) -> Length:
    """A sync module-level handler function with a response model."""
    return Length(value=len(text))


@pytest.mark.anyio
async def test_handler_handle_validates_calls_and_returns_the_response_model() -> None:
    handler = Handler("add", add)
    answer = await handler.handle(WebSocketEventMessage(type="add", a="1", b=2))  # type: ignore[call-arg]
    assert isinstance(answer, handler.response_model)
    assert answer.model_dump() == {"type": "add", "sum": 3}

    sync = Handler("shout", shout, Length)
    answer = await sync.handle(sync.model(type="shout", text="abc"))  # type: ignore[call-arg]
    assert isinstance(answer, Length)
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
        assert [(e["type"], e["loc"]) for e in ws.receive_json()["errors"]] == [
            ("missing", ["userId"])
        ]
        ws.send_json({"type": "page", "userId": 7, "user_id": 7})
        assert [(e["type"], e["loc"]) for e in ws.receive_json()["errors"]] == [
            ("extra_forbidden", ["user_id"])
        ]
        ws.send_json({"type": "page", "userId": 7, "colour": "mauve"})
        assert [e["loc"] for e in ws.receive_json()["errors"]] == [["colour"]]
