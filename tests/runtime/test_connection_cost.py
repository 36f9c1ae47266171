"""What a connection costs doesn't grow with the API: nothing per handler is made per connection.

Handlers are shared by every connection of a class; ``self.handlers`` on an instance
is a bound copy made only when the connection's code reads it. Attaching functions
rebuilds the class's validators once, when they are next needed, not once per attach.
"""

from __future__ import annotations

from typing import Any

import pytest

import socketsundso.endpoints
from socketsundso import Handler, WebSocketHandlingEndpoint, on_event
from tests.runtime.support import Recorder, connect, unconnected


def _wide_endpoint(handlers: int, recorder: Recorder) -> type[WebSocketHandlingEndpoint]:
    """An endpoint of ``handlers`` handlers; ``peek`` records the instance's attributes."""

    async def peek(self: WebSocketHandlingEndpoint) -> dict[str, Any]:
        recorder.put(vars(self))
        return {}

    def filler() -> Any:
        async def echo(self: WebSocketHandlingEndpoint, text: str) -> dict[str, Any]:
            return {"text": text}

        return echo

    namespace: dict[str, Any] = {"peek": on_event(peek)}
    for index in range(handlers - 1):
        namespace[f"e{index}"] = on_event(f"e{index}")(filler())
    return type("Wide", (WebSocketHandlingEndpoint,), namespace)


def test_a_connection_copies_no_handler_until_its_code_reads_self_handlers() -> None:
    recorder = Recorder()
    wide = _wide_endpoint(50, recorder)
    with connect(wide) as ws:
        ws.send_json({"type": "e7", "text": "hi"})
        assert ws.receive_json() == {"type": "e7", "text": "hi"}
        ws.send_json({"type": "peek"})
        ws.receive_json()
    held = recorder.get().values()
    assert not any(isinstance(value, Handler) for value in held)
    assert not any(
        isinstance(value, dict) and any(isinstance(h, Handler) for h in value.values())
        for value in held
    )


def test_self_handlers_are_bound_to_the_instance_and_made_once() -> None:
    class Greeter(WebSocketHandlingEndpoint):
        prefix = "hello"

        @on_event
        async def greet(self, name: str) -> dict[str, Any]:
            return {"text": f"{self.prefix} {name}"}

        @on_event
        async def greet_twice(self, name: str) -> dict[str, Any]:
            message = self.handlers["greet"].model.model_validate({"type": "greet", "name": name})
            first = await self.handlers["greet"].handle(message)
            assert first is not None
            return {"text": first.model_dump()["text"] * 2}

    endpoint = unconnected(Greeter)
    handlers = endpoint.handlers
    assert handlers is endpoint.handlers  # cached on the instance: made once
    assert list(handlers) == list(Greeter.handlers) == ["greet", "greet_twice"]
    assert all(handlers[e] is not Greeter.handlers[e] for e in handlers)
    assert all(handlers[e].model is Greeter.handlers[e].model for e in handlers)

    with connect(Greeter) as ws:
        ws.send_json({"type": "greet_twice", "name": "ada"})
        assert ws.receive_json() == {"type": "greet_twice", "text": "hello adahello ada"}


def test_handlers_a_connection_assigns_itself_are_the_ones_it_dispatches_to() -> None:
    class Restricted(WebSocketHandlingEndpoint):
        async def on_connect(self) -> None:
            await super().on_connect()
            if self.websocket.query_params.get("role") != "admin":
                self.handlers = {"ping": type(self).handlers["ping"]}

        @on_event
        async def ping(self) -> dict[str, Any]:
            return {}

        @on_event
        async def shutdown(self) -> dict[str, Any]:
            return {"ok": True}

    with connect(Restricted) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "ping"}
        ws.send_json({"type": "shutdown"})
        reply = ws.receive_json()
        assert reply["errors"][0]["type"] == "union_tag_invalid"
        assert reply["errors"][0]["ctx"]["expected"] == ["ping"]


def test_attaching_many_functions_builds_the_validators_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds: list[type] = []
    build = socketsundso.endpoints._validator

    def counting(cls: type) -> Any:
        builds.append(cls)
        return build(cls)

    monkeypatch.setattr(socketsundso.endpoints, "_validator", counting)

    class Base(WebSocketHandlingEndpoint):
        @on_event
        async def ping(self) -> dict[str, Any]:
            return {}

    assert builds == [Base]  # made with the class: the first message doesn't wait
    for index in range(30):

        def function(x: int, index: int = index) -> dict[str, int]:
            return {"x": x + index}

        Base.on_event(f"add{index}")(function)
    assert builds == [Base]  # nothing rebuilt per attach
    assert len(Base.event_message_model.model_json_schema()["properties"]["type"]["enum"]) == 31

    with connect(Base) as ws:
        for index in (0, 17, 29):
            ws.send_json({"type": f"add{index}", "x": 1})
            assert ws.receive_json() == {"type": f"add{index}", "x": 1 + index}
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "ping"}
    assert builds == [Base, Base]  # once after all the attaching, when first needed


def test_a_subclass_made_after_an_attach_inherits_the_attached_handler() -> None:
    class Base(WebSocketHandlingEndpoint):
        @on_event
        async def ping(self) -> dict[str, Any]:
            return {}

    @Base.on_event
    def double(x: int) -> dict[str, int]:
        return {"x": 2 * x}

    class Sub(Base):
        @on_event
        async def pong(self) -> dict[str, Any]:
            return {}

    assert list(Sub.handlers) == ["ping", "double", "pong"]
    with connect(Sub) as ws:
        ws.send_json({"type": "double", "x": 4})
        assert ws.receive_json() == {"type": "double", "x": 8}


def test_assigning_a_class_s_handlers_rebuilds_its_validators() -> None:
    class Both(WebSocketHandlingEndpoint):
        @on_event
        async def ping(self) -> dict[str, Any]:
            return {}

        @on_event
        async def pong(self) -> dict[str, Any]:
            return {}

    Both.handlers = {"pong": Both.handlers["pong"]}
    assert list(Both.handlers) == ["pong"]
    assert Both.event_message_model.model_json_schema()["properties"]["type"]["const"] == "pong"
    with connect(Both) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["errors"][0]["ctx"]["expected"] == ["pong"]
        ws.send_json({"type": "pong"})
        assert ws.receive_json() == {"type": "pong"}


@pytest.mark.parametrize(
    ("value", "culprit"),
    [
        (["ping"], "list"),
        ({"ping": "not a handler"}, "'not a handler'"),
        ({"pong": None}, "None"),
    ],
)
def test_a_class_s_handlers_must_be_a_dict_of_handlers(value: object, culprit: str) -> None:
    class Chat(WebSocketHandlingEndpoint):
        @on_event
        async def ping(self) -> dict[str, Any]:
            return {}

    with pytest.raises(TypeError, match=rf"Chat\.handlers.*{culprit}"):
        Chat.handlers = value  # type: ignore[assignment]
    assert list(Chat.handlers) == ["ping"]


def test_a_handler_under_another_event_name_is_refused() -> None:
    class Chat(WebSocketHandlingEndpoint):
        @on_event
        async def ping(self) -> dict[str, Any]:
            return {}

    with pytest.raises(TypeError, match=r"Chat\.handlers\['pong'\] must be a Handler for event"):
        Chat.handlers = {"pong": Chat.handlers["ping"]}


def test_handlers_without_a_response_model_share_one_model_per_event_name() -> None:
    class One(WebSocketHandlingEndpoint):
        @on_event
        async def join(self, room: str) -> dict[str, Any]:
            return {}

    class Two(WebSocketHandlingEndpoint):
        @on_event
        async def join(self, room: str, name: str) -> dict[str, Any]:
            return {}

        @on_event
        async def leave(self) -> dict[str, Any]:
            return {}

    assert One.handlers["join"].response_model is Two.handlers["join"].response_model
    assert Two.handlers["leave"].response_model is not Two.handlers["join"].response_model
    assert One.handlers["join"].model is not Two.handlers["join"].model


@pytest.mark.anyio
async def test_handle_for_runs_a_class_s_handler_on_any_instance() -> None:
    class Counter(WebSocketHandlingEndpoint):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.count = 0

        @on_event
        async def add(self, by: int) -> dict[str, int]:
            self.count += by
            return {"count": self.count}

    handler: Handler = Counter.handlers["add"]
    first, second = unconnected(Counter), unconnected(Counter)
    message = handler.model.model_validate({"type": "add", "by": 2})
    await handler.handle_for(first, message)
    answer = await handler.handle_for(first, message)
    assert answer is not None
    assert answer.model_dump() == {"type": "add", "count": 4}
    assert (first.count, second.count) == (4, 0)
