"""``HandlingEndpointMeta``: each class's own ``handlers``, inheritance, attached functions."""

from __future__ import annotations

import types
import typing
import warnings
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from socketsundso import Handler, WebSocketHandlingEndpoint, on_event
from tests.runtime.support import connect


def make_endpoint(body: dict[str, Any]) -> type[WebSocketHandlingEndpoint]:
    """A ``WebSocketHandlingEndpoint`` subclass with ``body``, as a class statement makes it."""
    endpoint: type[WebSocketHandlingEndpoint] = types.new_class(
        "Made", (WebSocketHandlingEndpoint,), exec_body=lambda namespace: namespace.update(body)
    )
    return endpoint


class Parent(WebSocketHandlingEndpoint):
    """Two events; the child overrides one."""

    @on_event
    async def on_greet(self, name: str) -> dict[str, Any]:
        return {"text": f"hello {name}", "by": "parent"}

    @on_event
    async def on_ping(self) -> dict[str, Any]:
        return {"by": "parent"}


PARENT_HANDLERS = dict(Parent.handlers)


class Child(Parent):
    """Overrides ``greet`` with another signature, adds ``wave``."""

    @on_event("greet")
    async def greet_loudly(self, name: str, times: int = 1) -> dict[str, Any]:
        return {"text": f"HELLO {name}" * times, "by": "child"}

    @on_event
    async def on_wave(self) -> dict[str, Any]:
        return {"by": "child"}


class GrandChild(Child):
    """Adds nothing: inherits everything."""


def test_every_class_has_its_own_handlers_dict() -> None:
    assert Parent.handlers is not Child.handlers
    assert Child.handlers is not GrandChild.handlers
    assert Parent.handlers is not WebSocketHandlingEndpoint.handlers
    assert "handlers" in vars(Parent)
    assert "handlers" in vars(Child)
    assert "handlers" in vars(GrandChild)


def test_handlers_are_handler_objects_for_their_event() -> None:
    for event, handler in Child.handlers.items():
        assert isinstance(handler, Handler)
        assert handler.event == event


def test_inherited_handlers_are_included_and_overrides_win() -> None:
    assert set(Child.handlers) == {"greet", "ping", "wave"}
    assert Child.handlers["ping"] is Parent.handlers["ping"]
    assert Child.handlers["greet"].method is Child.greet_loudly
    assert GrandChild.handlers == Child.handlers


def test_the_parents_dict_is_never_mutated() -> None:
    assert Parent.handlers == PARENT_HANDLERS
    assert set(Parent.handlers) == {"greet", "ping"}
    assert Parent.handlers["greet"].method is Parent.on_greet
    assert WebSocketHandlingEndpoint.handlers == {}


def test_over_the_wire_each_class_uses_its_own_handlers() -> None:
    with connect(Parent) as ws:
        ws.send_json({"type": "greet", "name": "ada"})
        assert ws.receive_json() == {"type": "greet", "text": "hello ada", "by": "parent"}
        ws.send_json({"type": "greet", "name": "ada", "times": 2})
        assert [e["loc"] for e in ws.receive_json()["errors"]] == [["times"]]
        ws.send_json({"type": "wave"})
        assert ws.receive_json()["errors"][0]["loc"] == ["type"]
    with connect(GrandChild) as ws:
        ws.send_json({"type": "greet", "name": "ada", "times": 2})
        assert ws.receive_json() == {"type": "greet", "text": "HELLO adaHELLO ada", "by": "child"}
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "ping", "by": "parent"}
        ws.send_json({"type": "wave"})
        assert ws.receive_json() == {"type": "wave", "by": "child"}


def test_two_handlers_for_one_event_in_one_body_are_refused() -> None:
    with pytest.raises(TypeError, match=r"'join'.*on_join.*handle_join"):

        class Twice(WebSocketHandlingEndpoint):
            @on_event
            async def on_join(self, room: str) -> None: ...

            @on_event
            async def handle_join(self, room: str) -> None: ...


def test_an_explicit_name_clashing_with_a_derived_one_is_refused() -> None:
    with pytest.raises(TypeError, match=r"'join'.*on_join.*enter"):

        class Twice(WebSocketHandlingEndpoint):
            @on_event
            async def on_join(self, room: str) -> None: ...

            @on_event("join")
            async def enter(self, room: str) -> None: ...


class Shouted(BaseModel):
    """A response model for an attached function."""

    text: str


def shout(text: str) -> dict[str, Any]:
    """A module-level sync function attached as a handler: fields only, no endpoint."""
    return {"text": text.upper()}


async def quiet(text: str) -> dict[str, Any]:
    """A module-level async function attached under another name, with a response model."""
    return {"text": text.lower(), "dropped": True}


def test_classmethod_on_event_attaches_a_function_to_that_class_and_later_subclasses() -> None:
    class Base(WebSocketHandlingEndpoint):
        @on_event
        async def on_ping(self) -> dict[str, Any]:
            return {}

    class Target(Base):
        pass

    class Earlier(Target):
        pass

    assert Target.on_event(shout) is shout
    assert Target.on_event("whisper", response_model=Shouted)(quiet) is quiet

    class Later(Target):
        pass

    assert set(Target.handlers) == {"ping", "shout", "whisper"}
    assert set(Later.handlers) == {"ping", "shout", "whisper"}
    assert set(Base.handlers) == {"ping"}
    assert set(Earlier.handlers) == {"ping"}
    for cls in (Target, Later):
        with connect(cls) as ws:
            ws.send_json({"type": "shout", "text": "hey"})
            assert ws.receive_json() == {"type": "shout", "text": "HEY"}
            ws.send_json({"type": "whisper", "text": "HEY"})
            assert ws.receive_json() == {"type": "whisper", "text": "hey"}
    with connect(Earlier) as ws:
        ws.send_json({"type": "shout", "text": "hey"})
        assert ws.receive_json()["errors"][0]["loc"] == ["type"]


def test_an_attached_function_overrides_an_inherited_handler_only_in_its_class() -> None:
    class Base(WebSocketHandlingEndpoint):
        @on_event
        async def on_shout(self, text: str) -> dict[str, Any]:
            return {"text": text}

    class Target(Base):
        pass

    Target.on_event(shout)
    with connect(Target) as ws:
        ws.send_json({"type": "shout", "text": "hey"})
        assert ws.receive_json() == {"type": "shout", "text": "HEY"}
    with connect(Base) as ws:
        ws.send_json({"type": "shout", "text": "hey"})
        assert ws.receive_json() == {"type": "shout", "text": "hey"}


def test_attaching_a_function_for_an_event_the_class_body_handles_is_refused() -> None:
    class Target(WebSocketHandlingEndpoint):
        @on_event
        async def on_shout(self, text: str) -> dict[str, Any]:
            return {"text": text}

    with pytest.raises(TypeError, match=r"'shout'.*on_shout"):
        Target.on_event(shout)
    assert Target.handlers["shout"].method is Target.on_shout


def test_an_attached_function_appears_in_the_event_message_model() -> None:
    class Target(WebSocketHandlingEndpoint):
        pass

    @Target.on_event
    async def echo(text: str) -> dict[str, Any]:
        return {"text": text}

    assert _events_of(Target) == {"echo"}


def _events_of(cls: type[WebSocketHandlingEndpoint]) -> set[str]:
    annotation = cls.event_message_model.model_fields["type"].annotation
    assert typing.get_origin(annotation) is typing.Literal
    return set(typing.get_args(annotation))


def test_event_message_model_is_a_class_attribute_typed_with_every_event() -> None:
    assert "event_message_model" in vars(Child)
    assert _events_of(Parent) == {"greet", "ping"}
    assert _events_of(Child) == {"greet", "ping", "wave"}
    assert Child.event_message_model.model_validate({"type": "wave"}).type == "wave"
    with pytest.raises(ValidationError):
        Parent.event_message_model.model_validate({"type": "wave"})


def test_validators_are_built_per_class_not_per_connection() -> None:
    """Every connection's models are the very objects the class made."""
    seen: list[tuple[object, object, object]] = []

    class Probe(WebSocketHandlingEndpoint):
        @on_event(response_model=Shouted)
        async def model(self) -> dict[str, Any]:
            own = self.handlers["model"]
            seen.append((type(self).event_message_model, own.model, own.response_model))
            return {"text": ""}

    for _ in range(2):
        with connect(Probe) as ws:
            ws.send_json({"type": "model"})
            ws.receive_json()
    made = Probe.handlers["model"]
    assert seen == [(Probe.event_message_model, made.model, made.response_model)] * 2


def test_each_handler_model_forbids_extra_fields_and_fixes_its_type() -> None:
    model = Parent.handlers["greet"].model
    assert model.model_validate({"type": "greet", "name": "a"}).name == "a"  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        model.model_validate({"type": "greet", "name": "a", "extra": 1})
    with pytest.raises(ValidationError):
        model.model_validate({"type": "ping", "name": "a"})


async def star_args(self: object, *args: Any) -> None: ...


async def star_kwargs(self: object, **kwargs: Any) -> None: ...


async def field_then_star_args(self: object, room: str, *rest: str) -> None: ...


async def type_field(self: object, type: str) -> None: ...


async def positional_only(self: object, room: str, /) -> None: ...


@pytest.mark.parametrize(
    "method", [star_args, star_kwargs, field_then_star_args, type_field, positional_only]
)
def test_signatures_a_message_cannot_fill_are_refused(method: Any) -> None:
    """The class is not made, and the error names the handler."""
    with pytest.raises(TypeError, match=method.__name__):
        make_endpoint({method.__name__: on_event(method)})


async def private_field(self: object, _private: int) -> None: ...


async def private_field_with_default(self: object, _private: int = 0) -> None: ...


async def model_config_field(self: object, model_config: int) -> None: ...


async def model_config_field_with_default(self: object, model_config: int = 0) -> None: ...


async def model_method_field(self: object, model_dump: int) -> None: ...


@pytest.mark.parametrize(
    "method",
    [
        private_field,
        private_field_with_default,
        model_config_field,
        model_config_field_with_default,
        model_method_field,
    ],
)
def test_parameters_pydantic_cannot_make_fields_of_are_refused(method: Any) -> None:
    """Names pydantic keeps for itself: the class is not made, the error names the handler."""
    with pytest.raises(TypeError, match=method.__name__):
        make_endpoint({method.__name__: on_event(method)})


def test_parameters_named_like_model_attributes_are_plain_fields() -> None:
    """``json``, ``copy``, ``schema``... are ordinary wire field names; no warning, they work."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class Shadowing(WebSocketHandlingEndpoint):
            @on_event
            async def save(self, json: str, copy: bool = False) -> dict[str, Any]:
                return {"json": json, "copy": copy}

    with connect(Shadowing) as ws:
        ws.send_json({"type": "save", "json": "{}", "copy": True})
        assert ws.receive_json() == {"type": "save", "json": "{}", "copy": True}


def test_an_attached_function_with_a_bad_signature_is_refused() -> None:
    class Target(WebSocketHandlingEndpoint):
        pass

    def bad(**fields: Any) -> None: ...

    with pytest.raises(TypeError, match="bad"):
        Target.on_event(bad)
    assert Target.handlers == {}


def test_annotations_naming_local_classes_resolve_for_methods_and_attached_functions() -> None:
    """With postponed annotations, a handler may name a class local to the enclosing function."""

    class Point(BaseModel):
        x: int

    class Target(WebSocketHandlingEndpoint):
        @on_event
        async def move(self, to: Point) -> dict[str, Any]:
            return {"x": to.x}

    @Target.on_event
    async def jump(to: Point) -> dict[str, Any]:
        return {"x": to.x * 2}

    @Target.on_event("hop")
    def hop(to: Point) -> dict[str, Any]:
        return {"x": to.x * 3}

    with connect(Target) as ws:
        for event, x in [("move", 1), ("jump", 2), ("hop", 3)]:
            ws.send_json({"type": event, "to": {"x": 1}})
            assert ws.receive_json() == {"type": event, "x": x}
        ws.send_json({"type": "jump", "to": {"x": "one"}})
        assert ws.receive_json()["errors"][0]["loc"] == ["to", "x"]


def make_wrapped_handlers(wrapper: Any) -> type[WebSocketHandlingEndpoint]:
    """A class whose handler is wrapped in ``wrapper`` after ``on_event``."""

    async def ping() -> dict[str, Any]:
        return {}

    return make_endpoint({"ping": wrapper(on_event(ping))})


@pytest.mark.parametrize("wrapper", [staticmethod, classmethod])
def test_a_handler_wrapped_after_on_event_is_refused(wrapper: Any) -> None:
    """Never silently dropped: the class is not made, and the error names the method."""
    with pytest.raises(TypeError, match=rf"ping.*{wrapper.__name__}"):
        make_wrapped_handlers(wrapper)


class Left(WebSocketHandlingEndpoint):
    """One side of a multiple inheritance."""

    @on_event
    async def which(self) -> dict[str, Any]:
        return {"by": "left"}


class Right(WebSocketHandlingEndpoint):
    """The other side; loses ``which`` to ``Left``, keeps ``only_right``."""

    @on_event
    async def which(self) -> dict[str, Any]:
        return {"by": "right"}

    @on_event
    async def only_right(self) -> dict[str, Any]:
        return {"by": "right"}


class Both(Left, Right):
    """Inherits from both: the method resolution order decides."""


def test_multiple_inheritance_follows_the_method_resolution_order() -> None:
    assert set(Both.handlers) == {"which", "only_right"}
    with connect(Both) as ws:
        ws.send_json({"type": "which"})
        assert ws.receive_json() == {"type": "which", "by": "left"}
        ws.send_json({"type": "only_right"})
        assert ws.receive_json() == {"type": "only_right", "by": "right"}


class PingMixin:
    """A plain mixin (not an endpoint) that brings a handler."""

    @on_event
    async def ping(self) -> dict[str, Any]:
        return {"by": "mixin"}


def test_handlers_of_a_plain_mixin_are_inherited() -> None:
    class WithMixin(PingMixin, WebSocketHandlingEndpoint):
        @on_event
        async def pong(self) -> dict[str, Any]:
            return {"by": "class"}

    class Overriding(PingMixin, WebSocketHandlingEndpoint):
        @on_event("ping")
        async def own_ping(self) -> dict[str, Any]:
            return {"by": "class"}

    assert set(WithMixin.handlers) == {"ping", "pong"}
    with connect(WithMixin) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "ping", "by": "mixin"}
    with connect(Overriding) as ws:
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "ping", "by": "class"}


def test_attaching_two_functions_for_one_event_is_refused() -> None:
    class Target(WebSocketHandlingEndpoint):
        pass

    Target.on_event(shout)

    def on_shout(text: str) -> dict[str, Any]:
        return {"text": text}

    with pytest.raises(TypeError, match="'shout'"):
        Target.on_event(on_shout)
    assert Target.handlers["shout"].method is shout
