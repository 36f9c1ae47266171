"""TypeScript types from the JSON Schemas pydantic makes: what a message is on the wire.

Each named schema (a model) becomes an exported ``interface`` or ``type``; everything
else is written inline. The rules follow what JSON can carry: strings (a ``datetime``,
a UUID, a ``Decimal`` in JSON mode), numbers, booleans, ``null``, arrays, tuples and
objects; ``const`` and ``enum`` are literal unions; ``anyOf``/``oneOf`` are unions,
``allOf`` an intersection. An object lists its properties by their wire names;
``additionalProperties: false`` or no ``additionalProperties`` at all gives a closed
type, so that an object literal with an unknown key is refused, and ``true`` or a
schema an index signature. What a schema can't say (``{}``, ``not``) is ``unknown``,
never ``any``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["TypeWriter", "doc_comment", "property_key", "type_name"]

_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_NOT_NAME = re.compile(r"[^A-Za-z0-9]+")
_JSON_TYPES = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}


def type_name(schema_name: str, taken: Iterable[str]) -> str:
    """A TypeScript identifier for the schema called ``schema_name``, not one of ``taken``.

    pydantic's names may hold dots, dashes or double underscores (``Item-Input``,
    ``app__models__Item``): the parts between them are joined, each capitalised
    (``ItemInput``, ``AppModelsItem``).
    """
    parts = [part for part in _NOT_NAME.split(schema_name) if part]
    stem = "".join(part[0].upper() + part[1:] for part in parts) or "Schema"
    if stem[0].isdigit():
        stem = "_" + stem
    name, n, used = stem, 1, set(taken)
    while name in used:
        n += 1
        name = f"{stem}_{n}"
    return name


def property_key(name: str) -> str:
    """``name`` as a property key: bare when it is an identifier, else a string literal."""
    return name if _IDENTIFIER.match(name) else json.dumps(name, ensure_ascii=False)


def doc_comment(text: str | None, indent: str = "") -> str:
    """``text`` as a ``/** ... */`` comment (with a trailing newline), or ``""`` without text."""
    if not text:
        return ""
    lines = text.replace("*/", "*\\/").strip().splitlines()
    if len(lines) == 1:
        return f"{indent}/** {lines[0]} */\n"
    body = "".join(f"{indent} *{' ' + line if line.strip() else ''}\n" for line in lines)
    return f"{indent}/**\n{body}{indent} */\n"


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _union(parts: Iterable[str]) -> str:
    unique = list(dict.fromkeys(parts))
    if "unknown" in unique:
        return "unknown"
    if not unique:
        return "never"
    return " | ".join(unique)


def _grouped(expression: str) -> str:
    """``expression`` wrapped in parentheses when it would bind loosely (``A | B`` in ``[]``)."""
    return f"({expression})" if (" | " in expression or " & " in expression) else expression


class TypeWriter:
    """Writes TypeScript for the schemas of one ``$defs``-like table.

    ``definitions`` are the named schemas, ``prefix`` the start of every ``$ref`` to
    them. ``reserved`` are names the module uses otherwise. Named schemas are written
    once each, in the order first referred to, by ``declarations()``.
    """

    def __init__(
        self, definitions: Mapping[str, Any], prefix: str, reserved: Iterable[str]
    ) -> None:
        self._definitions = definitions
        self._prefix = prefix
        self._taken = set(reserved)
        self._names: dict[str, str] = {}
        self._order: list[str] = []

    def name_of(self, schema_name: str) -> str:
        """The TypeScript name of the named schema ``schema_name`` (declared when first asked)."""
        name = self._names.get(schema_name)
        if name is None:
            if schema_name not in self._definitions:
                raise KeyError(f"no schema called {schema_name!r} to refer to")
            name = type_name(schema_name, self._taken)
            self._taken.add(name)
            self._names[schema_name] = name
            self._order.append(schema_name)
        return name

    def declarations(self) -> str:
        """Every named schema referred to so far, as exported declarations."""
        written: list[str] = []
        index = 0
        # Writing one declaration may refer to more schemas: loop until none is new.
        while index < len(self._order):
            schema_name = self._order[index]
            index += 1
            schema = self._definitions[schema_name]
            name = self._names[schema_name]
            doc = doc_comment(schema.get("description"))
            if _is_object(schema):
                written.append(f"{doc}export interface {name} {self.object(schema)}\n")
            else:
                written.append(f"{doc}export type {name} = {self.expression(schema)};\n")
        return "\n".join(written)

    def expression(self, schema: Any, indent: str = "") -> str:
        """The TypeScript type of the values ``schema`` allows (nested lines at ``indent``)."""
        if schema is True or not isinstance(schema, Mapping):
            return "unknown" if schema is not False else "never"
        combined = self._combination(schema, indent)
        return combined if combined is not None else self._by_type(schema, indent)

    def _combination(self, schema: Mapping[str, Any], indent: str) -> str | None:
        """The type of a ``$ref``, ``const``, ``enum`` or combination of schemas, else ``None``."""
        if "$ref" in schema:
            return self._reference(schema["$ref"])
        if "const" in schema:
            return _literal(schema["const"])
        if "enum" in schema:
            return _union(_literal(value) for value in schema["enum"])
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return _union(self.expression(part, indent) for part in schema[key])
        if "allOf" in schema:
            parts = list(dict.fromkeys(self.expression(part, indent) for part in schema["allOf"]))
            return " & ".join(_grouped(part) for part in parts) if parts else "unknown"
        return None

    def _by_type(self, schema: Mapping[str, Any], indent: str) -> str:
        """The type of a schema by its ``type`` (one JSON type or a list of them)."""
        kind = schema.get("type")
        if isinstance(kind, list):
            return _union(self.expression({**schema, "type": one}, indent) for one in kind)
        if kind == "array":
            return self._array(schema, indent)
        if kind == "object" or (kind is None and _is_object(schema)):
            return self.object(schema, indent=indent)
        return _JSON_TYPES.get(kind, "unknown") if isinstance(kind, str) else "unknown"

    def object(
        self, schema: Mapping[str, Any], *, skip: Iterable[str] = (), indent: str = ""
    ) -> str:
        """An object type with ``schema``'s properties (but ``skip``), wire names as keys.

        A property is required when ``required`` lists it. Extra keys are typed only
        when the schema allows them (``additionalProperties`` ``true`` or a schema).
        """
        skipped = set(skip)
        required = set(schema.get("required", ()))
        inner = indent + "  "
        lines: list[str] = []
        for key, value in schema.get("properties", {}).items():
            if key in skipped:
                continue
            optional = "" if key in required else "?"
            lines.append(doc_comment(_described(value), inner))
            lines.append(
                f"{inner}{property_key(key)}{optional}: {self.expression(value, inner)};\n"
            )
        extra = schema.get("additionalProperties")
        if extra is not None and extra is not False:
            value = "unknown" if lines else self.expression(extra, inner)
            lines.append(f"{inner}[key: string]: {value};\n")
        if not lines:
            # An empty closed object: ``{}`` would take any object, excess keys included.
            return "{ [key: string]: never }"
        return "{\n" + "".join(lines) + indent + "}"

    def _reference(self, ref: str) -> str:
        if not ref.startswith(self._prefix):
            return "unknown"
        return self.name_of(ref[len(self._prefix) :])

    def _array(self, schema: Mapping[str, Any], indent: str) -> str:
        prefix = schema.get("prefixItems")
        if prefix is not None:
            items = [self.expression(part, indent) for part in prefix]
            rest = schema.get("items")
            if rest is not None and rest is not False:
                items.append(f"...{_grouped(self.expression(rest, indent))}[]")
            minimum = schema.get("minItems", len(prefix))
            items = [
                f"{item}?" if index >= minimum and not item.startswith("...") else item
                for index, item in enumerate(items)
            ]
            return f"[{', '.join(items)}]"
        return f"{_grouped(self.expression(schema.get('items', True), indent))}[]"


def _is_object(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "object" or "properties" in schema


def _described(schema: Any) -> str | None:
    if not isinstance(schema, Mapping):
        return None
    description = schema.get("description")
    return description if isinstance(description, str) else None
