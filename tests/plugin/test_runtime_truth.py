"""What the runtime collects for the shapes typesafety/test_endpoints/test_class_identity.yml types.

Each test mirrors one typesafety case (same name): the plugin's answer must be the
runtime's, or wider (``str``) where it cannot prove the runtime's.
"""

from __future__ import annotations

import datetime
import enum
import functools
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from socketsundso import WebSocketHandlingEndpoint, on_event
from socketsundso.testing import EventSession

E = TypeVar("E", bound=type[WebSocketHandlingEndpoint])


def test_an_attachment_reaches_only_the_class_it_names() -> None:
    class Chat(WebSocketHandlingEndpoint):
        @on_event
        async def on_ping(self) -> None: ...

    class Admin:
        class Chat(WebSocketHandlingEndpoint):
            @on_event
            async def on_ping(self) -> None: ...

    @Chat.on_event("late")
    async def late() -> None: ...

    assert list(Chat.handlers) == ["ping", "late"]
    assert list(Admin.Chat.handlers) == ["ping"]


def test_a_decorator_above_on_event_widens_the_literal() -> None:
    def logged(function: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return await function(*args, **kwargs)

        return wrapper

    class Chat(WebSocketHandlingEndpoint):
        @logged
        @on_event
        async def on_hidden(self) -> None: ...

        @on_event
        async def on_join(self) -> None: ...

    # The wrapper hides the mark: the plugin can't know, so it widens to str.
    assert list(Chat.handlers) == ["join"]


def test_a_subclass_made_before_an_attachment_lacks_its_event() -> None:
    class Chat(WebSocketHandlingEndpoint):
        @on_event
        async def on_join(self) -> None: ...

    class Early(Chat):
        pass

    @Chat.on_event("late")
    async def late() -> None: ...

    class Later(Chat):
        pass

    assert list(Early.handlers) == ["join"]
    assert list(Later.handlers) == ["join", "late"]


def test_a_class_decorator_widens_the_literal() -> None:
    def with_ping(cls: E) -> E:
        @cls.on_event("ping")
        async def ping() -> None: ...

        return cls

    @with_ping
    class Chat(WebSocketHandlingEndpoint):
        @on_event
        async def on_join(self) -> None: ...

    assert list(Chat.handlers) == ["join", "ping"]


def test_a_mixin_of_another_module_with_an_assigned_handler_widens_the_literal() -> None:
    async def _ping(self: object) -> None: ...

    class Pinging:
        ping = on_event("ping")(_ping)

    class Chat(Pinging, WebSocketHandlingEndpoint):
        @on_event
        async def on_join(self) -> None: ...

    # ``ping`` is a handler: the plugin widens to str rather than leave it out.
    assert list(Chat.handlers) == ["ping", "join"]


def test_an_attribute_bound_to_a_decorated_function_of_another_module_widens_the_literal() -> None:
    @functools.cache
    def helper() -> int:
        return 1

    class Chat(WebSocketHandlingEndpoint):
        util = helper

        @on_event
        async def on_join(self) -> None: ...

    assert list(Chat.handlers) == ["join"]


def test_a_plain_class_of_another_module_without_on_event_adds_nothing() -> None:
    class Helpers:
        limit: int = 3

        def helper(self) -> None: ...

        @functools.cached_property
        def cached(self) -> int:
            return 1

    class Chat(Helpers, WebSocketHandlingEndpoint):
        @on_event
        async def on_join(self) -> None: ...

    assert list(Chat.handlers) == ["join"]


def test_a_class_handlers_assignment_after_the_class_takes_a_mapping_and_widens() -> None:
    class Chat(WebSocketHandlingEndpoint):
        @on_event
        async def on_join(self) -> None: ...

        @on_event
        async def on_leave(self) -> None: ...

    class NoLeave(Chat):
        pass

    NoLeave.handlers = {"join": Chat.handlers["join"]}
    assert list(NoLeave.handlers) == ["join"]
    assert list(Chat.handlers) == ["join", "leave"]


def test_handlers_in_the_class_body_keep_the_literal() -> None:
    class Chat(WebSocketHandlingEndpoint):
        @on_event
        async def on_join(self) -> None: ...

    class NoLeave(Chat):
        handlers = {"join": Chat.handlers["join"]}  # noqa: RUF012

        @on_event
        async def on_say(self) -> None: ...

    # The metaclass replaces the body's dict: the class's events are exactly these.
    assert list(NoLeave.handlers) == ["join", "say"]


def test_send_event_takes_what_travels() -> None:
    """typesafety/test_testing/test_send_event_wire.yml: aliases and JSON forms reach handlers."""

    class Color(str, enum.Enum):
        RED = "red"

    class Point(BaseModel):
        x: int

    class Chat(WebSocketHandlingEndpoint):
        @on_event
        async def on_join(self, room: str = Field(alias="roomName")) -> dict[str, str]:
            return {"room": room}

        @on_event
        async def on_draw(  # noqa: PLR0917
            self,
            point: Point,
            color: Color,
            at: datetime.datetime,
            key: uuid.UUID,
            price: Decimal,
            path: list[Point],
        ) -> dict[str, bool]:
            return {
                "ok": isinstance(point, Point)
                and color is Color.RED
                and at.year == 2026
                and isinstance(key, uuid.UUID)
                and price == Decimal("1.5")
                and all(isinstance(step, Point) for step in path)
            }

    with EventSession.connect(Chat) as session:
        session.send_event("join", roomName="lobby")
        assert session.receive_event() == {"type": "join", "room": "lobby"}
        session.send_event(
            "draw",
            point={"x": 1},
            color="red",
            at="2026-12-01T00:00:00",
            key="6a1f0c1e-8a3e-4a51-9a37-2f3c1b1f0c1e",
            price="1.5",
            path=[{"x": 1}, Point(x=2)],
        )
        assert session.receive_event() == {"type": "draw", "ok": True}
        session.send_json({"type": "join", "room": "lobby"})
        assert session.receive_json()["errors"][0]["loc"] == ["roomName"]


def test_a_return_type_that_is_no_reply_is_an_error() -> None:
    class Chat(WebSocketHandlingEndpoint):
        @on_event
        async def on_count(self) -> int:  # type: ignore[socketsundso-response-type]
            return 1

    with EventSession.connect(Chat) as session:
        session.send_event("count")
        assert session.receive_json()["errors"][0]["type"] == "internal_error"
