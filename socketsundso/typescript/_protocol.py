"""What a generated client knows of an endpoint: its events, replies and server events.

Everything comes from the class: each handler's message model (validation mode: what
the server accepts), its response model (serialization mode: what the server sends)
and the server events it declares, in one ``SchemaSet`` as the AsyncAPI document has
them. One difference: a field with a default is *required* in serialization mode here,
since pydantic always writes it (pydantic's own JSON Schema leaves it optional unless
a model says ``json_schema_serialization_defaults_required``). The protocol's
fingerprint is a hash of exactly this, so a client can tell which endpoint it was
made for.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import dataclass
from typing import Any

from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from .._server_events import type_values
from ..asyncapi._schemas import SchemaSet
from ..endpoints import WebSocketHandlingEndpoint

__all__ = ["EventEntry", "Protocol", "ServerEventEntry", "protocol_of"]


class WireJsonSchema(GenerateJsonSchema):
    """pydantic's JSON Schema, with every field a model writes required when it is sent."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization" and field["type"] != "typed-dict-field":
            return field.get("serialization_exclude_if") is None
        return super().field_is_required(field, total)


@dataclass(frozen=True)
class EventEntry:
    """One event a client may send: its message's schema and, if it replies, its reply's."""

    name: str
    doc: str | None
    message: dict[str, Any]
    reply: dict[str, Any] | None


@dataclass(frozen=True)
class ServerEventEntry:
    """One server event: its ``type`` values and its model's schema."""

    types: tuple[str, ...]
    doc: str | None
    schema: dict[str, Any]


@dataclass(frozen=True)
class Protocol:
    """An endpoint's protocol as its clients see it, and the fingerprint of that."""

    endpoint: str
    doc: str | None
    events: tuple[EventEntry, ...]
    server_events: tuple[ServerEventEntry, ...]
    schemas: dict[str, Any]
    #: Whether the endpoint's hub keeps a history: its broadcasts carry ``$position``.
    history: bool

    @property
    def fingerprint(self) -> str:
        """``sha256:`` and the hex digest of the protocol's canonical JSON (docs included)."""
        body = {
            "events": [vars(entry) for entry in self.events],
            "server_events": [vars(entry) for entry in self.server_events],
            "schemas": self.schemas,
            "history": self.history,
        }
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _doc(obj: object) -> str | None:
    doc = inspect.getdoc(obj)
    return inspect.cleandoc(doc) if doc else None


def protocol_of(endpoint: type[WebSocketHandlingEndpoint]) -> Protocol:
    """The protocol ``endpoint`` speaks, for a generated client."""
    if not (isinstance(endpoint, type) and issubclass(endpoint, WebSocketHandlingEndpoint)):
        raise TypeError(
            f"a client is generated from a WebSocketHandlingEndpoint subclass, not {endpoint!r}"
        )
    handlers = list(endpoint.handlers.values())
    pairs: list[tuple[Any, Any]] = []
    for handler in handlers:
        pairs += [(handler.model, "validation"), (handler.response_model, "serialization")]
    pairs += [(model, "serialization") for model in endpoint.server_events]
    schemas = SchemaSet(pairs, schema_generator=WireJsonSchema)
    events = tuple(
        EventEntry(
            name=handler.event,
            doc=_doc(handler.method),
            message=schemas.resolve(schemas.ref(handler.model, "validation")),
            reply=schemas.ref(handler.response_model, "serialization") if handler.replies else None,
        )
        for handler in handlers
    )
    server_events = tuple(
        ServerEventEntry(
            # Never None: the class checked its events when it was made.
            types=type_values(model) or (),
            doc=_doc(model) if model.__doc__ else None,
            schema=schemas.ref(model, "serialization"),
        )
        for model in endpoint.server_events
    )
    return Protocol(
        endpoint=f"{endpoint.__module__}:{endpoint.__qualname__}",
        doc=_doc(endpoint) if endpoint.__doc__ else None,
        events=events,
        server_events=server_events,
        schemas=schemas.schemas,
        history=endpoint.groups.history is not None,
    )
