"""What a handler's return value becomes on the wire: one validated, typed JSON frame."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import threading
import uuid
from typing import Any

import pytest
from pydantic import BaseModel, Field

from socketsundso import WebSocketHandlingEndpoint, on_event
from tests.runtime.support import connect

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


class Summary(BaseModel):
    """A response model without a ``type`` of its own."""

    total: int
    items: list[str] = Field(default_factory=list)


class FirstThings(WebSocketHandlingEndpoint):
    """Replies of every kind: a dict, a response model filled from a dict, a model."""

    @on_event
    async def plain(self) -> dict[str, Any]:
        return {"total": 1}

    @on_event(response_model=Summary)
    async def shaped(self) -> dict[str, Any]:
        return {"total": 2, "items": ["a"]}

    @on_event(response_model=Summary)
    async def model(self) -> Summary:
        return Summary(total=3)


@pytest.mark.parametrize("event", ["plain", "shaped", "model"])
def test_every_reply_starts_with_its_type_and_ends_with_its_id(event: str) -> None:
    with connect(FirstThings) as ws:
        ws.send_json({"type": event})
        bare = ws.receive_text()
        ws.send_json({"type": event, "id": "r1"})
        with_id = ws.receive_text()
    assert bare.startswith(f'{{"type":"{event}",')
    keys = list(json.loads(with_id))
    assert (keys[0], keys[-1]) == ("type", "id")
