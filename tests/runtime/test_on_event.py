"""``on_event``: event names, response models, and decorated methods left as written."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from pydantic import BaseModel

from socketsundso import WebSocketHandlingEndpoint, on_event
from tests.runtime.support import connect, unconnected


class Count(BaseModel):
    """A response model with one field."""

    count: int


class Named(WebSocketHandlingEndpoint):
    """One handler per way of naming an event."""

    @on_event
    async def on_join(self, room: str) -> dict[str, Any]:
        return {"room": room}

    @on_event
    async def handle_leave(self, room: str) -> dict[str, Any]:
        return {"left": room}

    @on_event
    async def ping(self) -> dict[str, Any]:
        return {"pong": True}

    @on_event("rename")
    async def on_whatever(self, name: str) -> dict[str, Any]:
        return {"name": name}

    @on_event
    async def on_handle_twice(self) -> dict[str, Any]:
        return {}

    @on_event()
    async def on_parens(self) -> dict[str, Any]:
        return {}

    @on_event(event="keyword")
    async def by_keyword(self) -> dict[str, Any]:
        return {}

    @on_event(response_model=Count)
    async def on_count(self, items: list[int]) -> dict[str, Any]:
        return {"count": len(items), "items": items}

    @on_event("total", response_model=Count)
    async def add_up(self, items: list[int]) -> dict[str, Any]:
        return {"count": sum(items)}


def test_bare_on_event_names_the_event_after_the_method_without_its_prefix() -> None:
    assert set(Named.handlers) == {
        "join",
        "leave",
        "ping",
        "rename",
        "handle_twice",
        "parens",
        "keyword",
        "count",
        "total",
    }


@pytest.mark.parametrize(
    ("message", "reply"),
    [
        ({"type": "join", "room": "lobby"}, {"type": "join", "room": "lobby"}),
        ({"type": "leave", "room": "lobby"}, {"type": "leave", "left": "lobby"}),
        ({"type": "ping"}, {"type": "ping", "pong": True}),
        ({"type": "rename", "name": "ada"}, {"type": "rename", "name": "ada"}),
        ({"type": "handle_twice"}, {"type": "handle_twice"}),
        ({"type": "parens"}, {"type": "parens"}),
        ({"type": "keyword"}, {"type": "keyword"}),
    ],
)
def test_each_way_of_naming_reaches_its_handler(
    message: dict[str, Any], reply: dict[str, Any]
) -> None:
    with connect(Named) as ws:
        ws.send_json(message)
        assert ws.receive_json() == reply


def test_the_method_name_is_not_an_event_when_named_explicitly() -> None:
    assert "whatever" not in Named.handlers
    assert "on_whatever" not in Named.handlers


def test_response_model_shapes_the_answer() -> None:
    """The answer is the response model's fields (extra data dropped) plus ``type``."""
    with connect(Named) as ws:
        ws.send_json({"type": "count", "items": [4, 5, 6]})
        assert ws.receive_json() == {"type": "count", "count": 3}
        ws.send_json({"type": "total", "items": [4, 5, 6]})
        assert ws.receive_json() == {"type": "total", "count": 15}


def test_response_model_is_kept_as_given_for_the_handler() -> None:
    assert issubclass(Named.handlers["count"].response_model, Count)


@pytest.mark.parametrize("name", ["on_", "handle_"])
def test_a_method_named_only_a_prefix_is_refused_at_decoration(name: str) -> None:
    def method(self: object) -> None: ...

    method.__name__ = name
    with pytest.raises(ValueError, match="empty"):
        on_event(method)
    with pytest.raises(ValueError, match="empty"):
        on_event(response_model=Count)(method)


def test_an_empty_event_name_is_refused_at_decoration() -> None:
    with pytest.raises(ValueError, match="empty"):
        on_event("")
    with pytest.raises(ValueError, match="empty"):
        on_event("", response_model=Count)


def test_an_empty_name_stops_the_class_from_being_made() -> None:
    with pytest.raises(ValueError, match="empty"):

        class Empty(WebSocketHandlingEndpoint):
            @on_event
            async def on_(self) -> None: ...


@pytest.mark.parametrize("model", [dict, int, "Count", Count(count=1)])
def test_a_response_model_that_is_not_a_pydantic_model_is_refused(model: object) -> None:
    with pytest.raises(TypeError, match="response_model"):
        on_event("x", response_model=model)  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="response_model"):
        on_event(response_model=model)  # type: ignore[call-overload]


async def _original_async(self: object, room: str, *, loud: bool = False) -> str:
    return room.upper() if loud else room


def _original_sync(self: object, a: int, b: int = 2) -> int:
    return a + b


def test_on_event_returns_the_function_itself() -> None:
    assert on_event(_original_async) is _original_async
    assert on_event("sum", response_model=Count)(_original_sync) is _original_sync


class Chained(WebSocketHandlingEndpoint):
    """Handlers that call each other, sync and async."""

    @on_event
    async def on_join(self, room: str, *, loud: bool = False) -> dict[str, Any]:
        return {"room": room.upper() if loud else room}

    @on_event
    def add(self, a: int, b: int = 2) -> dict[str, Any]:
        return {"sum": a + b}

    @on_event
    async def both(self, room: str, a: int) -> dict[str, Any]:
        joined = await self.on_join(room=room, loud=True)
        added = self.add(a)
        return {"joined": joined, "added": added}


def test_decorated_methods_keep_their_signature_and_nature() -> None:
    assert inspect.iscoroutinefunction(Chained.on_join)
    assert not inspect.iscoroutinefunction(Chained.add)
    assert list(inspect.signature(Chained.on_join).parameters) == ["self", "room", "loud"]
    assert inspect.signature(Chained.add).parameters["b"].default == 2


@pytest.mark.anyio
async def test_decorated_methods_can_be_called_directly_as_written() -> None:
    endpoint = unconnected(Chained)
    assert await endpoint.on_join(room="x") == {"room": "x"}
    assert await endpoint.on_join("x", loud=True) == {"room": "X"}
    assert endpoint.add(1) == {"sum": 3}
    assert endpoint.add(a=1, b=5) == {"sum": 6}
    assert await endpoint.both(room="r", a=1) == {
        "joined": {"room": "R"},
        "added": {"sum": 3},
    }


def test_handlers_calling_each_other_answer_over_the_wire() -> None:
    with connect(Chained) as ws:
        ws.send_json({"type": "both", "room": "r", "a": 1})
        assert ws.receive_json() == {
            "type": "both",
            "joined": {"room": "R"},
            "added": {"sum": 3},
        }


class Punctuated(WebSocketHandlingEndpoint):
    """Event names that are not identifiers, or differ only in case."""

    @on_event("chat.message")
    async def chat(self, text: str) -> dict[str, Any]:
        return {"text": text}

    @on_event("ünïcode")
    async def unicode(self) -> dict[str, Any]:
        return {}

    @on_event("123")
    async def digits(self) -> dict[str, Any]:
        return {}

    @on_event("with space")
    async def spaced(self) -> dict[str, Any]:
        return {}

    @on_event("Case")
    async def upper(self) -> dict[str, Any]:
        return {"case": "upper"}

    @on_event("case")
    async def lower(self) -> dict[str, Any]:
        return {"case": "lower"}


def test_any_non_empty_string_is_an_event_name() -> None:
    with connect(Punctuated) as ws:
        ws.send_json({"type": "chat.message", "text": "hi"})
        assert ws.receive_json() == {"type": "chat.message", "text": "hi"}
        for event in ("ünïcode", "123", "with space"):
            ws.send_json({"type": event})
            assert ws.receive_json() == {"type": event}
        ws.send_json({"type": "Case"})
        assert ws.receive_json() == {"type": "Case", "case": "upper"}
        ws.send_json({"type": "case"})
        assert ws.receive_json() == {"type": "case", "case": "lower"}
        ws.send_json({"type": "chat.message"})
        assert ws.receive_json()["errors"][0]["loc"] == ["text"]
