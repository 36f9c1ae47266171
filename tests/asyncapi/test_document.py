"""The AsyncAPI document's structure: every handler, const types, resolvable refs, request ids."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from examples.chat import Chat
from socketsundso import WebSocketHandlingEndpoint
from socketsundso.asyncapi import ASYNCAPI_VERSION, asyncapi_document

from .docs_helpers import deref, refs, resolve
from .endpoints import Bare, Odd, Shop, app

ENDPOINTS = [(Chat, "/ws"), (Shop, "/shop"), (Bare, "/bare")]


def document_of(endpoint: type[WebSocketHandlingEndpoint], path: str) -> dict[str, Any]:
    return asyncapi_document(endpoint, path=path, title="Test API", version="1.2.3")


def received(document: dict[str, Any]) -> dict[str, Any]:
    """The document's ``receive`` operations: one per handler (events are ``send`` ones)."""
    return {
        key: operation
        for key, operation in document["operations"].items()
        if operation["action"] == "receive"
    }


def payload(document: dict[str, Any], message_ref: dict[str, str]) -> dict[str, Any]:
    """The payload schema of a message, with a top-level ``$ref`` followed."""
    message = deref(document, message_ref)
    return deref(document, message["payload"])  # type: ignore[no-any-return]


@pytest.mark.parametrize(("endpoint", "path"), ENDPOINTS)
def test_one_receive_operation_per_handler(
    endpoint: type[WebSocketHandlingEndpoint], path: str
) -> None:
    document = document_of(endpoint, path)
    assert document["asyncapi"] == ASYNCAPI_VERSION == "3.0.0"
    assert document["info"]["title"] == "Test API"
    assert document["info"]["version"] == "1.2.3"
    [(key, channel)] = document["channels"].items()
    assert channel["address"] == path
    operations = received(document)
    assert len(operations) == len(endpoint.handlers)
    for event, operation in zip(endpoint.handlers, operations.values(), strict=True):
        assert operation["action"] == "receive"
        assert operation["channel"] == {"$ref": f"#/channels/{key}"}
        [message_ref] = operation["messages"]
        assert message_ref["$ref"].startswith(f"#/channels/{key}/messages/")
        message = resolve(document, message_ref["$ref"])
        assert message["name"] == event
        assert operation["reply"]["channel"] == {"$ref": f"#/channels/{key}"}


@pytest.mark.parametrize(("endpoint", "path"), ENDPOINTS)
def test_message_type_is_a_const_of_the_event(
    endpoint: type[WebSocketHandlingEndpoint], path: str
) -> None:
    document = document_of(endpoint, path)
    for event, operation in zip(endpoint.handlers, received(document).values(), strict=True):
        schema = payload(document, operation["messages"][0])
        assert schema["properties"]["type"]["const"] == event
        assert "type" in schema["required"]
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) == set(endpoint.handlers[event].model.model_fields)


@pytest.mark.parametrize(("endpoint", "path"), ENDPOINTS)
def test_every_ref_resolves(endpoint: type[WebSocketHandlingEndpoint], path: str) -> None:
    document = document_of(endpoint, path)
    found = list(refs(document))
    assert found
    for ref in found:
        resolve(document, ref)


@pytest.mark.parametrize(("endpoint", "path"), ENDPOINTS)
def test_no_unused_schemas(endpoint: type[WebSocketHandlingEndpoint], path: str) -> None:
    document = document_of(endpoint, path)
    used = {ref.removeprefix("#/components/schemas/") for ref in refs(document)}
    assert set(document["components"]["schemas"]) <= used


def test_reply_is_the_response_model_plus_the_request_id() -> None:
    document = document_of(Shop, "/shop")
    operation = document["operations"]["place_order"]
    reply, error = operation["reply"]["messages"]
    reply_payload = deref(document, reply)["payload"]
    placed, reply_id = (deref(document, part) for part in reply_payload["allOf"])
    assert placed["title"] == "OrderPlaced"
    assert set(placed["required"]) == {"order", "total_cents"}
    assert "id" not in placed.get("required", [])
    assert reply_id["properties"]["id"]["anyOf"] == [{"type": "string"}, {"type": "integer"}]
    assert "required" not in reply_id
    assert error == {"$ref": "#/channels/shop/messages/error"}


def test_reply_of_a_closed_response_model_declares_the_id_itself() -> None:
    document = document_of(Shop, "/shop")
    reply, _ = document["operations"]["ping"]["reply"]["messages"]
    schema = deref(document, reply)["payload"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"type", "ok", "id"}


def test_handler_returning_none_has_only_the_error_reply() -> None:
    document = document_of(Shop, "/shop")
    assert document["operations"]["forget"]["reply"]["messages"] == [
        {"$ref": "#/channels/shop/messages/error"}
    ]
    assert "forget.reply" not in document["channels"]["shop"]["messages"]


def test_messages_carry_an_optional_request_id() -> None:
    document = document_of(Chat, "/ws")
    for operation in received(document).values():
        schema = payload(document, operation["messages"][0])
        request_id = schema["properties"]["id"]
        assert {"type": "string"} in request_id["anyOf"]
        assert {"type": "integer"} in request_id["anyOf"]
        assert "request id" in request_id["description"]
        assert "id" not in schema["required"]
        message = deref(document, operation["messages"][0])
        correlation = deref(document, message["correlationId"])
        assert correlation["location"] == "$message.payload#/id"


def test_error_reply_schema() -> None:
    document = document_of(Chat, "/ws")
    error = document["components"]["messages"]["error"]
    schema = deref(document, error["payload"])
    assert schema["required"] == ["errors"]
    assert set(schema["properties"]) == {"errors", "id"}
    entry = deref(document, schema["properties"]["errors"]["items"])
    assert entry["required"] == ["type", "loc", "msg"]
    assert set(entry["properties"]) == {"type", "loc", "msg", "ctx"}
    for operation in received(document).values():
        assert operation["reply"]["messages"][-1] == {"$ref": "#/channels/ws/messages/error"}


def test_docstrings_become_summaries_and_descriptions() -> None:
    document = document_of(Shop, "/shop")
    place_order = document["operations"]["place_order"]
    assert place_order["summary"] == "Place an order."
    assert place_order["description"].endswith("the reply carries its total.")
    assert document["operations"]["ping"]["summary"] == "Check the connection."
    assert "description" not in document["operations"]["ping"]
    assert "summary" not in document["operations"]["order_status"]
    assert document["operations"]["price"]["summary"] == "What an item costs, in cents."
    assert document["info"]["description"].startswith("An order desk over one WebSocket.")
    assert document["channels"]["shop"]["description"] == document["info"]["description"]


def test_a_class_without_docstring_gets_no_inherited_description() -> None:
    document = document_of(Bare, "/bare")
    assert "description" not in document["info"]
    assert "description" not in document["channels"]["bare"]


def test_nested_models_and_enums_land_in_components() -> None:
    document = document_of(Shop, "/shop")
    schemas = document["components"]["schemas"]
    assert schemas["Size"]["enum"] == ["small", "large"]
    assert schemas["Priority"]["enum"] == [1, 2]
    assert schemas["Address"]["required"] == ["street", "city"]
    category = schemas["Category"]
    assert category["properties"]["children"]["items"] == {"$ref": "#/components/schemas/Category"}
    items = [
        name for name, schema in schemas.items() if schema.get("title") == "Item" and name != "Item"
    ]
    assert len(items) >= 2
    titles = {json.dumps(sorted(schemas[name]["properties"])) for name in items}
    assert '["price_cents", "title"]' in titles
    assert '["quantity", "size", "sku"]' in titles


def test_odd_event_names_get_safe_keys() -> None:
    document = document_of(Shop, "/shop")
    operation = document["operations"]["order_status"]
    message = resolve(document, operation["messages"][0]["$ref"])
    assert operation["messages"][0]["$ref"] == "#/channels/shop/messages/order_status"
    assert message["name"] == "order status"


def test_document_is_deterministic_json() -> None:
    first = json.dumps(asyncapi_document(app))
    assert json.dumps(asyncapi_document(app)) == first
    assert json.loads(first) == asyncapi_document(app)


def test_app_routes_become_channels() -> None:
    document = asyncapi_document(app, title="Shops", version="2")
    channels = document["channels"]
    assert list(channels) == ["shops_shop_id", "v1_chat", "v1_shop"]
    assert channels["shops_shop_id"]["address"] == "/shops/{shop_id}"
    assert set(channels["shops_shop_id"]["parameters"]) == {"shop_id"}
    assert channels["v1_chat"]["address"] == "/v1/chat"
    assert channels["v1_shop"]["title"] == "Shop"
    assert len(received(document)) == 2 * len(Shop.handlers) + len(Chat.handlers)
    assert len(document["operations"]) == len(received(document)) + len(Chat.server_events)
    assert document["operations"]["v1_chat.join"]["channel"] == {"$ref": "#/channels/v1_chat"}
    assert document["info"]["title"] == "Shops"


def test_fastapi_app() -> None:
    api = FastAPI()
    api.router.routes.append(WebSocketRoute("/chat", Chat))
    document = asyncapi_document(api)
    assert document["channels"]["chat"]["address"] == "/chat"
    assert document["info"]["title"] == "Chat"
    assert list(received(document)) == list(Chat.handlers)
    assert list(document["operations"])[len(Chat.handlers) :] == ["message.event", "joined.event"]


def test_servers_are_copied() -> None:
    servers = {"local": {"host": "127.0.0.1:8000", "protocol": "ws"}}
    document = asyncapi_document(Chat, path="/ws", servers=servers)
    assert document["servers"] == servers


def test_bad_sources_are_named() -> None:
    with pytest.raises(TypeError, match=r"asyncapi_document\(Chat\) needs path="):
        asyncapi_document(Chat)
    with pytest.raises(TypeError, match="path= is for an endpoint class"):
        asyncapi_document(app, path="/ws")
    with pytest.raises(ValueError, match="routes no WebSocketHandlingEndpoint"):
        asyncapi_document(Starlette(routes=[WebSocketRoute("/x", lambda ws: None)]))
    with pytest.raises(TypeError, match="not a str object: 'Chat'"):
        asyncapi_document("Chat")


def test_colliding_event_keys_stay_apart() -> None:
    document = document_of(Odd, "/odd")
    messages = document["channels"]["odd"]["messages"]
    assert list(messages) == [
        "error",
        "error_2",
        "x_y",
        "x_y.reply",
        "x_y_2",
        "x_y_2.reply",
        "error_3",
    ]
    assert list(document["operations"]) == ["error", "error_2", "x_y", "x_y_2"]
    for key, event in zip(document["operations"], Odd.handlers, strict=True):
        operation = document["operations"][key]
        assert resolve(document, operation["messages"][0]["$ref"])["name"] == event
        assert operation["reply"]["messages"][-1] == {"$ref": "#/channels/odd/messages/error_3"}
    for ref in refs(document):
        resolve(document, ref)


def test_documents_share_no_mutable_parts() -> None:
    first = document_of(Chat, "/ws")
    first["components"]["messages"]["error"]["summary"] = "changed"
    first["components"]["schemas"]["socketsundso.ErrorReply"]["title"] = "changed"
    second = document_of(Chat, "/ws")
    assert second["components"]["messages"]["error"]["summary"] != "changed"
    assert second["components"]["schemas"]["socketsundso.ErrorReply"]["title"] == "ErrorReply"
