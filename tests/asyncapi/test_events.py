"""Server events in the AsyncAPI document: one ``send`` operation and message per event."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient

from socketsundso import WebSocketHandlingEndpoint
from socketsundso.asyncapi import asyncapi_document

from .docs_helpers import deref, refs, resolve
from .endpoints import Bare, Moved, Odd, Room, Said, Shop

#: Documents of endpoints without events, made before server events were documented
#: (regenerate it only for an intended change to documents without events).
WITHOUT_EVENTS = Path(__file__).with_name("without_events.json")

DOCUMENT = asyncapi_document(Room, path="/room")
MESSAGES = DOCUMENT["channels"]["room"]["messages"]
EVENT_KEYS = ["said.event", "moved.event", "shipped.event"]


def test_each_declared_event_is_a_send_operation() -> None:
    operations = DOCUMENT["operations"]
    assert list(operations) == ["say", "said", "ship", *EVENT_KEYS]
    for key in EVENT_KEYS:
        operation = operations[key]
        assert operation["action"] == "send"
        assert operation["channel"] == {"$ref": "#/channels/room"}
        assert operation["messages"] == [{"$ref": f"#/channels/room/messages/{key}"}]
        assert "reply" not in operation
        assert key in MESSAGES


def test_handlers_named_like_events_keep_their_keys() -> None:
    said = DOCUMENT["operations"]["said"]
    assert said["action"] == "receive"
    assert said["messages"] == [{"$ref": "#/channels/room/messages/said"}]
    assert MESSAGES["said"]["name"] == "said"
    assert MESSAGES["said"]["payload"] == {"$ref": "#/components/schemas/SaidMessage"}
    assert "said.reply" in MESSAGES
    assert MESSAGES["said.event"]["payload"] == {"$ref": "#/components/schemas/Said"}


@pytest.mark.parametrize(("key", "model"), list(zip(EVENT_KEYS, Room.server_events, strict=True)))
def test_payload_is_the_models_serialization_schema(key: str, model: type[BaseModel]) -> None:
    message = MESSAGES[key]
    assert set(message) <= {"name", "title", "description", "payload"}
    assert "correlationId" not in message
    schema = deref(DOCUMENT, message["payload"])
    expected = model.model_json_schema(
        mode="serialization", ref_template="#/components/schemas/{model}"
    )
    expected.pop("$defs", None)
    assert schema == expected


def test_name_and_title_come_from_the_type() -> None:
    assert MESSAGES["said.event"]["name"] == "said"
    assert MESSAGES["said.event"]["title"] == "said event"
    type_field = deref(DOCUMENT, MESSAGES["said.event"]["payload"])["properties"]["type"]
    assert type_field["const"] == "said"


def test_a_multi_value_type_names_every_value() -> None:
    message = MESSAGES["moved.event"]
    assert message["name"] == "moved|renamed"
    assert message["title"] == "moved | renamed event"
    type_field = deref(DOCUMENT, message["payload"])["properties"]["type"]
    assert type_field["enum"] == ["moved", "renamed"]


def test_docstrings_describe_the_event() -> None:
    doc = inspect.cleandoc(Said.__doc__ or "")
    assert MESSAGES["said.event"]["description"] == doc
    assert DOCUMENT["operations"]["said.event"]["summary"] == "A line said in a room."
    assert DOCUMENT["operations"]["said.event"]["description"] == doc
    assert MESSAGES["shipped.event"]["description"] == "An order left the warehouse."
    assert DOCUMENT["operations"]["shipped.event"]["summary"] == "An order left the warehouse."
    assert "description" not in DOCUMENT["operations"]["shipped.event"]


def test_a_model_without_docstring_gets_no_description() -> None:
    assert Moved.__doc__ is None
    assert set(MESSAGES["moved.event"]) == {"name", "title", "payload"}
    operation = DOCUMENT["operations"]["moved.event"]
    assert "summary" not in operation
    assert "description" not in operation
    pydantic_doc = inspect.cleandoc(BaseModel.__doc__ or "").splitlines()[0]
    assert pydantic_doc
    assert pydantic_doc not in json.dumps(DOCUMENT)


def test_nested_models_of_an_event_resolve_in_components() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    shipped = deref(DOCUMENT, MESSAGES["shipped.event"]["payload"])
    assert shipped["properties"]["order"] == {"$ref": "#/components/schemas/Order"}
    order = resolve(DOCUMENT, shipped["properties"]["order"]["$ref"])
    assert order["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Item"}
    assert schemas["Size"]["enum"] == ["small", "large"]
    for ref in refs(DOCUMENT):
        resolve(DOCUMENT, ref)
    used = {ref.removeprefix("#/components/schemas/") for ref in refs(DOCUMENT)}
    assert set(schemas) <= used


def test_several_channels_prefix_event_operations() -> None:
    both = Starlette(routes=[WebSocketRoute("/a", Room), WebSocketRoute("/b", Room)])
    document = asyncapi_document(both)
    assert [key for key in document["operations"] if key.endswith(".event")] == [
        f"{channel}.{key}" for channel in ("a", "b") for key in EVENT_KEYS
    ]
    operation = document["operations"]["b.said.event"]
    assert operation["channel"] == {"$ref": "#/channels/b"}
    assert operation["messages"] == [{"$ref": "#/channels/b/messages/said.event"}]
    assert list(document["components"]["schemas"]).count("Said") == 1


class Spaced(BaseModel):
    type: Literal["a b"] = "a b"


class Underscored(BaseModel):
    type: Literal["a_b"] = "a_b"


class Colliding(WebSocketHandlingEndpoint[Spaced | Underscored]):
    """Two events whose types are one key once made safe."""


def test_event_types_colliding_once_made_safe_stay_apart() -> None:
    document = asyncapi_document(Colliding, path="/c")
    assert list(document["operations"]) == ["a_b.event", "a_b_2.event"]
    messages = document["channels"]["c"]["messages"]
    assert [messages[key]["name"] for key in ("a_b.event", "a_b_2.event")] == ["a b", "a_b"]


def test_endpoints_without_events_are_documented_as_before() -> None:
    assert Bare.server_events == Odd.server_events == ()
    before = json.loads(WITHOUT_EVENTS.read_text())  # made by the code before server events
    assert asyncapi_document(Shop, path="/shop", title="Shops", version="2") == before["shop"]
    assert asyncapi_document(Odd, path="/odd/{name}") == before["odd"]
    assert asyncapi_document(Bare, path="/bare") == before["bare"]


def test_emitted_events_match_their_schemas() -> None:
    jsonschema = pytest.importorskip("jsonschema")

    def check(key: str, instance: dict[str, Any]) -> None:
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": DOCUMENT["components"],
            **MESSAGES[key]["payload"],
        }
        jsonschema.Draft202012Validator(schema).validate(instance)

    order = {"number": 1, "items": [{"sku": "ABC-1234"}]}
    client = TestClient(Starlette(routes=[WebSocketRoute("/room", Room)]))
    with client.websocket_connect("/room") as ws:
        ws.send_json({"type": "say", "room": "lobby", "text": "hi"})
        check("said.event", ws.receive_json())
        ws.send_json({"type": "said", "room": "lobby"})
        check("moved.event", ws.receive_json())
        ws.receive_json()
        ws.send_json({"type": "ship", "order": order})
        shipped = ws.receive_json()
        check("shipped.event", shipped)
    assert shipped["order"]["items"][0]["size"] == "small"
    with pytest.raises(jsonschema.ValidationError):
        check("shipped.event", {**shipped, "type": "said"})


def test_events_of_a_hub_with_history_carry_their_position() -> None:
    from tests.typescript.endpoints import Desk, HistoryDesk

    plain = asyncapi_document(Desk, path="/desk")
    positioned = asyncapi_document(HistoryDesk, path="/history")
    message = positioned["channels"]["history"]["messages"]["posted.event"]
    assert message["payload"]["allOf"][1] == {
        "$ref": "#/components/schemas/socketsundso.Positioned"
    }
    mark = positioned["components"]["schemas"]["socketsundso.Positioned"]["properties"]["$position"]
    assert mark == {
        "$ref": "#/components/schemas/socketsundso.PositionMark",
        "title": "$position",
        "description": "Its position in the group's history (not sent with `emit`).",
    }
    assert set(positioned["components"]["schemas"]["socketsundso.PositionMark"]["required"]) == {
        "group",
        "epoch",
        "offset",
    }
    # Without history, nothing about positions (the document is as before).
    assert "socketsundso.Positioned" not in plain["components"]["schemas"]
    assert "allOf" not in plain["channels"]["desk"]["messages"]["posted.event"]["payload"]
