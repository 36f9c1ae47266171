"""JSON Schema to TypeScript: each rule on its own, and names and comments for any input."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socketsundso.typescript._schema_types import TypeWriter, doc_comment, property_key, type_name

PREFIX = "#/components/schemas/"
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def ts(schema: Any, definitions: dict[str, Any] | None = None) -> str:
    return TypeWriter(definitions or {}, PREFIX, ()).expression(schema)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "format": "date-time"}, "string"),
        ({"type": "integer"}, "number"),
        ({"type": "boolean"}, "boolean"),
        ({"type": "null"}, "null"),
        ({"type": ["string", "null"]}, "string | null"),
        ({"const": "join"}, '"join"'),
        ({"enum": ["low", "high"]}, '"low" | "high"'),
        ({"enum": [1, 2, None]}, "1 | 2 | null"),
        (
            {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "string"}]},
            "string | number",
        ),
        ({"anyOf": [{"type": "string"}, {}]}, "unknown"),
        ({}, "unknown"),
        (True, "unknown"),
        (False, "never"),
        ({"not": {"type": "string"}}, "unknown"),
        (
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
            "(string | null)[]",
        ),
        ({"type": "array"}, "unknown[]"),
        (
            {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "minItems": 2,
            },
            "[number, string]",
        ),
        (
            {"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "string"}},
            "[number, ...string[]]",
        ),
        (
            {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "minItems": 1,
            },
            "[number, string?]",
        ),
        (
            {"type": "object", "additionalProperties": {"type": "integer"}},
            "{\n  [key: string]: number;\n}",
        ),
        ({"type": "object"}, "{ [key: string]: never }"),
        ({"type": "object", "additionalProperties": True}, "{\n  [key: string]: unknown;\n}"),
        ({"$ref": "#/elsewhere/Thing"}, "unknown"),
    ],
)
def test_each_json_schema_form_has_its_typescript_type(schema: Any, expected: str) -> None:
    assert ts(schema) == expected


def test_an_object_lists_wire_names_required_or_optional_and_stays_closed() -> None:
    schema = {
        "type": "object",
        "properties": {
            "roomName": {"type": "string", "description": "Where."},
            "due-date": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
        "required": ["roomName"],
    }
    assert ts(schema) == (
        '{\n  /** Where. */\n  roomName: string;\n  "due-date"?: string | null;\n}'
    )
    opened = {**schema, "additionalProperties": True}
    assert ts(opened).endswith('  "due-date"?: string | null;\n  [key: string]: unknown;\n}')


def test_named_schemas_are_declared_once_each_in_the_order_first_referred_to() -> None:
    definitions = {
        "Order-Input": {
            "type": "object",
            "description": "An order.",
            "properties": {"item": {"$ref": PREFIX + "Item"}, "again": {"$ref": PREFIX + "Item"}},
            "required": ["item"],
        },
        "Item": {"type": "object", "properties": {"name": {"type": "string"}}},
        "Colour": {"enum": ["red", "blue"], "type": "string"},
    }
    writer = TypeWriter(definitions, PREFIX, reserved=("Item",))
    assert writer.expression({"$ref": PREFIX + "Order-Input"}) == "OrderInput"
    assert writer.expression({"allOf": [{"$ref": PREFIX + "Colour"}]}) == "Colour"
    assert writer.declarations() == (
        "/** An order. */\nexport interface OrderInput {\n  item: Item_2;\n  again?: Item_2;\n}\n"
        '\nexport type Colour = "red" | "blue";\n'
        "\nexport interface Item_2 {\n  name?: string;\n}\n"
    )
    with pytest.raises(KeyError, match="no schema called 'Missing'"):
        writer.expression({"$ref": PREFIX + "Missing"})


@pytest.mark.parametrize(
    ("schema_name", "expected"),
    [
        ("Item-Input", "ItemInput"),
        ("app__models__Item", "AppModelsItem"),
        ("socketsundso.ErrorReply", "SocketsundsoErrorReply"),
        ("3D", "_3D"),
        ("---", "Schema"),
    ],
)
def test_type_names_are_identifiers(schema_name: str, expected: str) -> None:
    assert type_name(schema_name, ()) == expected
    assert type_name(schema_name, (expected,)) == f"{expected}_2"


@given(st.text())
def test_any_property_name_becomes_a_key_that_reads_back_as_itself(name: str) -> None:
    key = property_key(name)
    assert (_IDENTIFIER.match(key) and key == name) or json.loads(key) == name


@given(st.text())
def test_any_schema_name_becomes_an_identifier(name: str) -> None:
    assert _IDENTIFIER.match(type_name(name, ()))


@given(st.text())
def test_no_description_can_end_its_comment_early(text: str) -> None:
    comment = doc_comment(text)
    if not comment:
        assert not text.strip() or not text
        return
    assert comment.startswith("/**")
    assert comment.rstrip().endswith("*/")
    assert "*/" not in comment.rstrip()[: -len("*/")]
