"""The document tells the truth: what the runtime accepts and sends matches its schemas."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient

from socketsundso.asyncapi import asyncapi_document

from .docs_helpers import deref
from .endpoints import Shop

jsonschema = pytest.importorskip("jsonschema")

DOCUMENT = asyncapi_document(Shop, path="/shop")
ORDER = {
    "type": "place_order",
    "items": [{"sku": "ABC-1234", "quantity": 2, "size": "large"}],
    "ship_to": {"street": "Main St 1", "city": "Basel"},
    "priority": 2,
}


def check(message_key: str, instance: dict[str, Any]) -> None:
    """Validate ``instance`` against the payload of channel message ``message_key``."""
    message = deref(DOCUMENT, DOCUMENT["channels"]["shop"]["messages"][message_key])
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": DOCUMENT["components"],
        **message["payload"],
    }
    jsonschema.Draft202012Validator(schema).validate(instance)


@pytest.fixture
def client() -> TestClient:
    return TestClient(Starlette(routes=[WebSocketRoute("/shop", Shop)]))


@pytest.mark.parametrize("request_id", [None, "a-1", 7])
def test_messages_and_replies_match_their_schemas(
    client: TestClient, request_id: str | int | None
) -> None:
    echo = {} if request_id is None else {"id": request_id}
    exchanges: list[tuple[dict[str, Any], str]] = [
        ({**ORDER, **echo}, "place_order"),
        ({"type": "ping", **echo}, "ping"),
        ({"type": "price", "sku": "ABC-1234", **echo}, "price"),
        ({"type": "order status", "number": 1, **echo}, "order_status"),
        (
            {
                "type": "restock",
                "item": {"title": "Mug", "price_cents": 900},
                "categories": [{"name": "kitchen", "children": [{"name": "cups"}]}],
                **echo,
            },
            "restock",
        ),
    ]
    with client.websocket_connect("/shop") as ws:
        for message, key in exchanges:
            check(key, message)
            ws.send_json(message)
            reply = ws.receive_json()
            check(f"{key}.reply", reply)
            assert reply.get("id") == request_id


@pytest.mark.parametrize("request_id", [None, "a-1", 7])
def test_error_replies_match_the_error_schema(
    client: TestClient, request_id: str | int | None
) -> None:
    echo = {} if request_id is None else {"id": request_id}
    bad = [
        {"type": "place_order", "items": [{"sku": "nope", "quantity": 0}], **echo},
        {"type": "no_such_event", **echo},
        {"type": "ping", "extra": 1, **echo},
    ]
    with client.websocket_connect("/shop") as ws:
        for message in bad:
            ws.send_json(message)
            reply = ws.receive_json()
            check("error", reply)
            assert reply.get("id") == request_id
            assert reply["errors"]


def test_schemas_reject_what_the_runtime_rejects() -> None:
    with pytest.raises(jsonschema.ValidationError):
        check("ping", {"type": "ping", "extra": 1})
    with pytest.raises(jsonschema.ValidationError):
        check("place_order", {"type": "place_order", "items": [{"sku": "nope"}]})
    with pytest.raises(jsonschema.ValidationError):
        check("price", {"type": "price", "sku": "ABC-1234", "id": 1.5})
