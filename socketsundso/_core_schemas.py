"""Rebuilding pydantic-core validators from changed core schemas of models we made.

Two changes need it: a handler's model whose sequences stop at their first bad item
(``_models``), and the endpoint's message validator in which the handlers' models keep
unknown keys (``_envelope``). Both walk a core schema and build a validator from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import SchemaValidator

__all__ = ["schemas_in", "validator_of"]

#: Keys whose values are not validation schemas (or are classes): never walked.
_NOT_WALKED = frozenset({"metadata", "serialization", "cls"})


def schemas_in(schema: object) -> Iterator[dict[str, Any]]:
    """Every schema dict in ``schema``, itself included, outermost first."""
    if isinstance(schema, dict):
        if isinstance(schema.get("type"), str):
            yield schema
        for key, value in schema.items():
            if key not in _NOT_WALKED:
                yield from schemas_in(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from schemas_in(item)


def validator_of(schema: Any, models: Iterable[type[BaseModel]]) -> SchemaValidator:
    """A validator of ``schema``, built from it even where it names ``models``.

    pydantic-core reuses a complete model's own validator for a schema naming the model
    ("prebuilt") and ignores the schema given: while this one is built, ``models`` must
    not look complete.
    """
    models = tuple(models)
    for model in models:
        model.__pydantic_complete__ = False
    try:
        return SchemaValidator(schema)
    finally:
        for model in models:
            model.__pydantic_complete__ = True
