"""Validation by the official AsyncAPI parser (``@asyncapi/parser`` from npm, run by Node)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from examples.chat import Chat
from examples.chat import app as chat_app
from socketsundso.asyncapi import asyncapi_document

from .conftest import Validate
from .endpoints import Odd, Room, Shop, app

VALID = "valid AsyncAPI 3.0.0 document"


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {
        "chat": asyncapi_document(Chat, path="/ws", title="Chat", version="1.0.0"),
        "chat_app": asyncapi_document(chat_app),
        "shop": asyncapi_document(
            Shop,
            path="/shop",
            servers={"local": {"host": "127.0.0.1:8000", "protocol": "ws"}},
        ),
        "shops_app": asyncapi_document(app),
        "odd": asyncapi_document(Odd, path="/odd/{name}"),
        "room": asyncapi_document(Room, path="/rooms/{room}"),
        "rooms_app": asyncapi_document(
            Starlette(routes=[WebSocketRoute("/a", Room), WebSocketRoute("/b", Shop)])
        ),
    }


@pytest.fixture(scope="module")
def verdicts(validate: Validate, documents: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """The validator's output for every document, from one Node process."""
    return validate(**documents)


@pytest.mark.parametrize(
    "name", ["chat", "chat_app", "shop", "shops_app", "odd", "room", "rooms_app"]
)
def test_official_parser_accepts(verdicts: dict[str, list[str]], name: str) -> None:
    output = verdicts[name]
    assert output[-1] == VALID, "\n".join(output)
    assert not [line for line in output if line.startswith(("error", "warning"))], output


def test_official_parser_rejects_broken_documents(
    validate: Validate, documents: dict[str, dict[str, Any]]
) -> None:
    dangling = copy.deepcopy(documents["shop"])
    dangling["channels"]["shop"]["messages"]["ping"]["payload"] = {
        "$ref": "#/components/schemas/Nowhere"
    }
    foreign = copy.deepcopy(documents["shop"])
    del foreign["channels"]["shop"]["messages"]["ping"]
    bad_schema = copy.deepcopy(documents["chat"])
    bad_schema["components"]["schemas"]["JoinMessage"]["properties"]["room"]["type"] = "text"
    lost_event = copy.deepcopy(documents["room"])
    del lost_event["channels"]["rooms_room"]["messages"]["said.event"]
    output = validate(
        dangling=dangling, foreign=foreign, bad_schema=bad_schema, lost_event=lost_event
    )
    for name, lines in output.items():
        assert lines[-1] == "invalid AsyncAPI document", (name, lines)
    assert any("Nowhere" in line for line in output["dangling"])
    assert any("properties.room.type" in line for line in output["bad_schema"])
    assert any("said.event" in line for line in output["lost_event"])
