"""Reading an AsyncAPI document in tests: resolve ``$ref``s, walk every reference."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def resolve(document: dict[str, Any], ref: str) -> Any:
    """The value the local JSON pointer ``ref`` (``#/a/b``) points to in ``document``."""
    assert ref.startswith("#/"), ref
    value: Any = document
    for part in ref[2:].split("/"):
        value = value[part.replace("~1", "/").replace("~0", "~")]
    return value


def deref(document: dict[str, Any], value: Any) -> Any:
    """``value``, or what it points to if it is a ``{"$ref": ...}`` (followed to the end)."""
    while isinstance(value, dict) and set(value) == {"$ref"}:
        value = resolve(document, value["$ref"])
    return value


def refs(value: Any) -> Iterator[str]:
    """Every ``$ref`` inside ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)
