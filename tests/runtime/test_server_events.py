"""Typed server events: ``WebSocketHandlingEndpoint[Said | Left]``, ``emit`` and ``broadcast``.

Each kind of event ``emit`` can get (a declared model, a dict of one, a dict of none,
an undeclared model, neither), the checks made when a class is made, how subclasses
inherit the parameter, and the seed API without one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import UserDict
from typing import Any, Literal, TypeVar

import pytest
from pydantic import BaseModel, Field
from websockets.asyncio.client import ClientConnection, connect

from socketsundso import WebSocketHandlingEndpoint, on_event
from socketsundso.exceptions import EventError
from socketsundso.testing import AsyncEventSession, EventSession, UnexpectedReply
from tests.runtime.support import TIMEOUT, app_of
from tests.servers import serve

INTERNAL = [
    {"type": "internal_error", "loc": [], "msg": "The server could not process this message"}
]


class Said(BaseModel):
    """A line said in a room."""

    type: Literal["said"] = "said"
    room: str
    text: str


class Left(BaseModel):
    type: Literal["left", "gone"] = "left"
    name: str


class Other(BaseModel):
    type: Literal["other"] = "other"


class LoudSaid(Said):
    """A subclass of a declared event is that event too."""

    volume: int = 11


class Aliased(BaseModel):
    type: Literal["aliased"] = "aliased"
    user_name: str = Field(serialization_alias="userName")


class Chat(WebSocketHandlingEndpoint[Said | Left]):
    @on_event
    async def on_emit(self, kind: str) -> dict[str, str]:
        """Emit one thing of ``kind``, then reply: the emit arrives first."""
        events: dict[str, Any] = {
            "model": Said(room="r", text="hi"),
            "subclass": LoudSaid(room="r", text="HI"),
            "dict": {"type": "gone", "name": "ann"},
            "mapping": UserDict({"type": "left", "name": "bob"}),
            "invalid dict": {"type": "left"},
            "unknown type": {"type": "other"},
            "undeclared": Other(),
            "int": 3,
        }
        await self.emit(events[kind])
        return {"done": kind}

    @on_event
    async def on_announce(self, group: str, what: str) -> None:
        await self.join(group)
        message: Any = Said(room=group, text=what) if what != "other" else Other()
        await self.broadcast(group, message)


def test_a_declared_model_is_sent_as_it_is_before_the_reply() -> None:
    with EventSession.connect(Chat) as chat:
        chat.send_event("emit", kind="model")
        assert chat.receive_event(Said) == Said(room="r", text="hi")
        assert chat.receive_event() == {"type": "emit", "done": "model"}


def test_an_instance_of_a_declared_models_subclass_is_sent_with_its_fields() -> None:
    with EventSession.connect(Chat) as chat:
        chat.send_event("emit", kind="subclass")
        assert chat.receive_event() == {"type": "said", "room": "r", "text": "HI", "volume": 11}


@pytest.mark.parametrize(
    ("kind", "sent"),
    [
        ("dict", {"type": "gone", "name": "ann"}),
        ("mapping", {"type": "left", "name": "bob"}),
    ],
)
def test_a_dict_is_validated_into_the_event_its_type_names(kind: str, sent: object) -> None:
    with EventSession.connect(Chat) as chat:
        chat.send_event("emit", kind=kind)
        assert chat.receive_event() == sent
        assert chat.receive_event()["done"] == kind


@pytest.mark.parametrize(
    ("kind", "culprit"),
    [
        ("invalid dict", "a dict that is none of the events Chat declares (Said, Left)"),
        ("unknown type", "a dict that is none of the events Chat declares (Said, Left)"),
        ("undeclared", "a Other, which is not one of the events Chat declares (Said, Left)"),
        ("int", "or a dict of one, not int"),
    ],
)
def test_anything_else_is_logged_and_answered_with_internal_error(
    kind: str, culprit: str, caplog: pytest.LogCaptureFixture
) -> None:
    with EventSession.connect(Chat) as chat, caplog.at_level(logging.ERROR, "socketsundso"):
        chat.send_event("emit", kind=kind, id="r1")
        assert chat.receive_json() == {"errors": INTERNAL, "id": "r1"}
        chat.send_event("emit", kind="model")  # the connection goes on
        assert chat.receive_event(Said).text == "hi"
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.exc_info is not None
    error = record.exc_info[1]
    assert isinstance(error, EventError)
    assert culprit in str(error)
    assert str(error).startswith(f"Chat.emit {'takes' if kind == 'int' else 'got'}")


def test_the_client_never_sees_the_servers_message() -> None:
    with EventSession.connect(Chat) as chat:
        chat.send_event("emit", kind="undeclared")
        assert "Other" not in str(chat.receive_json())


def test_broadcast_takes_the_same_events() -> None:
    with EventSession.connect(Chat) as chat:
        chat.send_event("announce", group="g", what="hello")
        assert chat.receive_event(Said) == Said(room="g", text="hello")
        chat.send_event("announce", group="g", what="other", id=7)
        assert chat.receive_json() == {"errors": INTERNAL, "id": 7}


def test_broadcast_outside_a_connection_raises_for_an_undeclared_event() -> None:
    async def main() -> None:
        await Chat.broadcast("nobody", Said(room="nobody", text="fine"))
        await Chat.broadcast("nobody", {"type": "left", "name": "fine"})
        with pytest.raises(EventError, match=r"^Chat\.broadcast got a Other"):
            await Chat.broadcast("nobody", Other())  # type: ignore[arg-type]
        with pytest.raises(EventError, match=r"^Chat\.broadcast got a dict"):
            await Chat.broadcast("nobody", {"type": "said"})

    asyncio.run(main())


def test_models_are_serialized_by_alias() -> None:
    class Aliasing(WebSocketHandlingEndpoint[Aliased]):
        @on_event
        async def on_go(self) -> None:
            await self.emit(Aliased(user_name="ann"))
            await self.emit({"type": "aliased", "user_name": "bob"})

    with EventSession.connect(Aliasing) as session:
        session.send_event("go")
        assert session.receive_event() == {"type": "aliased", "userName": "ann"}
        assert session.receive_event() == {"type": "aliased", "userName": "bob"}


def test_the_seed_api_without_a_parameter_sends_any_model_or_dict() -> None:
    class Plain(WebSocketHandlingEndpoint):
        @on_event
        async def on_go(self) -> None:
            await self.emit(Other())
            await self.emit({"anything": [1, 2]})

    assert Plain.server_events == ()
    with EventSession.connect(Plain) as session:
        session.send_event("go")
        assert session.receive_json() == {"type": "other"}
        assert session.receive_json() == {"anything": [1, 2]}


@pytest.mark.parametrize("argument", [Any, BaseModel])
def test_any_and_basemodel_declare_nothing(argument: Any) -> None:
    class Open(WebSocketHandlingEndpoint[argument]):
        pass

    assert Open.server_events == ()


# --- What the class declares, and what subclasses inherit ----------------------------------

E = TypeVar("E", bound=BaseModel)


class ChatBase(WebSocketHandlingEndpoint[E]):
    """Generic in its events: each subclass fills them in."""

    @on_event
    async def on_go(self) -> None:
        await self.emit(Other())  # type: ignore[arg-type]


class Narrow(ChatBase[Said]):
    pass


class Wide(ChatBase[Said | Left | Other]):
    pass


def test_the_parameter_is_read_in_declaration_order() -> None:
    assert Chat.server_events == (Said, Left)
    assert Wide.server_events == (Said, Left, Other)


def test_a_subclass_without_a_parameter_inherits_it() -> None:
    class Sub(Chat):
        pass

    class SubSub(Sub):
        pass

    assert Sub.server_events == SubSub.server_events == (Said, Left)
    with EventSession.connect(SubSub) as session:
        session.send_event("emit", kind="undeclared")
        assert session.receive_json() == {"errors": INTERNAL}


def test_a_generic_base_declares_nothing_until_a_subclass_fills_it_in() -> None:
    assert ChatBase.server_events == ()
    assert Narrow.server_events == (Said,)
    with EventSession.connect(Wide) as wide, EventSession.connect(Narrow) as narrow:
        wide.send_event("go")
        assert wide.receive_event(Other) == Other()
        narrow.send_event("go")
        assert narrow.receive_json() == {"errors": INTERNAL}


def test_a_subclass_may_not_declare_other_events_than_its_concrete_base() -> None:
    with pytest.raises(TypeError, match=r"^Wider declares its events again, but its base Chat"):

        class Wider(Chat, WebSocketHandlingEndpoint[Said | Left | Other]):
            pass

    class Same(Chat, WebSocketHandlingEndpoint[Left | Said]):  # the same events: harmless
        pass

    assert set(Same.server_events) == {Said, Left}


class NoType(BaseModel):
    name: str


class StrType(BaseModel):
    type: str = "s"


class IntType(BaseModel):
    type: Literal[1] = 1


class AliasedType(BaseModel):
    type: Literal["a"] = Field("a", alias="kind")


class AlsoSaid(BaseModel):
    type: Literal["told", "said"] = "told"


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (NoType, r"Bad's event NoType needs a `type` field whose annotation is a Literal"),
        (Said | StrType, r"Bad's event StrType needs a `type` field"),
        (IntType, r"Bad's event IntType needs a `type` field"),
        (AliasedType, r"Bad's event AliasedType needs a `type` field"),
        (Said | AlsoSaid, r"Bad's events Said and AlsoSaid share the type 'said'"),
        (Said | int, r"Bad's events must be pydantic models .*; <class 'int'> is not a model"),
    ],
)
def test_a_class_with_bad_events_is_refused_naming_the_culprit(events: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):

        class Bad(WebSocketHandlingEndpoint[events]):
            pass


# --- receive_event(Model) in the test clients -----------------------------------------------


def test_receive_event_names_what_came_instead() -> None:
    with EventSession.connect(Chat) as chat:
        chat.send_event("emit", kind="dict")
        with pytest.raises(UnexpectedReply, match=r"^Expected a Said event \(type 'said'\), got"):
            chat.receive_event(Said)
        assert chat.receive_event() == {"type": "emit", "done": "dict"}
        chat.send_event("emit", kind="model")
        assert chat.receive_event(Said, timeout=2.0).room == "r"
        with pytest.raises(UnexpectedReply, match=r"got \{'type': 'emit', 'done': 'model'\}"):
            chat.receive_event(Said)
        chat.send_event("nope")
        with pytest.raises(UnexpectedReply, match=r"an event \(a JSON object with 'type'\)"):
            chat.receive_event(Said)


def test_receive_event_says_when_an_event_of_the_right_type_does_not_validate() -> None:
    class Loose(WebSocketHandlingEndpoint):
        @on_event
        async def on_go(self) -> None:
            await self.send_json({"type": "said", "room": "r"})

    with EventSession.connect(Loose) as session:
        session.send_event("go")
        with pytest.raises(UnexpectedReply, match=r"(?s)that validates .*text"):
            session.receive_event(Said)


def test_receive_event_refuses_what_is_not_a_model() -> None:
    with (
        EventSession.connect(Chat) as chat,
        pytest.raises(TypeError, match=r"pass a timeout by keyword"),
    ):
        chat.receive_event(2.0)  # type: ignore[call-overload]


def test_the_async_session_receives_events_as_models_too() -> None:
    async def main() -> None:
        async with AsyncEventSession.connect(Chat) as chat:
            await chat.send_event("emit", kind="dict")
            left: Left = await chat.receive_event(Left)
            assert left == Left(type="gone", name="ann")
            with pytest.raises(UnexpectedReply, match="Expected a Left event"):
                await chat.receive_event(Left)

    asyncio.run(main())


# --- Over real sockets ----------------------------------------------------------------------


async def received(ws: ClientConnection) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


def test_emit_and_broadcast_over_real_sockets() -> None:
    """uvicorn on 127.0.0.1 and two ``websockets`` clients: every kind, in order."""

    async def main(url: str) -> None:
        async with connect(f"{url}/ws") as ann, connect(f"{url}/ws") as bob:
            said = {"type": "said", "room": "g", "text": "joining"}
            await ann.send(json.dumps({"type": "announce", "group": "g", "what": "joining"}))
            assert await received(ann) == said
            await bob.send(json.dumps({"type": "announce", "group": "g", "what": "joining"}))
            assert await received(ann) == await received(bob) == said
            await ann.send(json.dumps({"type": "emit", "kind": "dict"}))
            await ann.send(json.dumps({"type": "emit", "kind": "undeclared", "id": 1}))
            await ann.send(json.dumps({"type": "emit", "kind": "model"}))
            assert [await received(ann) for _ in range(5)] == [
                {"type": "gone", "name": "ann"},
                {"type": "emit", "done": "dict"},
                {"errors": INTERNAL, "id": 1},
                {"type": "said", "room": "r", "text": "hi"},
                {"type": "emit", "done": "model"},
            ]

    with serve(app_of(Chat)) as url:
        asyncio.run(main(url))
