"""The validator of an endpoint's messages: one pydantic-core call per frame, ids kept on failure.

It is a tagged union of the handlers' models (the ``"event"`` branch), so a valid frame
is parsed and validated in one call. When that branch fails, a second branch over the
same parsed input (the ``"envelope"`` branch, never a second parse of the frame) reads
the frame's ``id`` and always fails itself; the id waits in ``take_rejected_id()`` for
the error reply. Error locations come labelled with their branch (``"event"`` or
``"envelope"``); ``InvalidMessage.from_envelope`` strips the labels.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from typing import Annotated, Any, NoReturn, Union

from pydantic import AfterValidator, BaseModel, Field, TypeAdapter
from pydantic_core import PydanticCustomError, SchemaValidator, core_schema

from ._core_schemas import schemas_in, validator_of
from .models import RequestId, WebSocketEventMessage

__all__ = [
    "EVENT_BRANCH",
    "PROBE_BRANCH",
    "message_validator",
    "request_id_of",
    "take_rejected_id",
]

#: Label of the tagged union's errors in a failed validation's locations.
EVENT_BRANCH = "event"
#: Label of the request-id probe's one error.
PROBE_BRANCH = "envelope"

# Validation runs synchronously and its error is handled before the thread runs any
# other connection's code, so one slot per thread is enough.
_rejected = threading.local()


def take_rejected_id() -> RequestId | None:
    """The valid ``id`` of the frame whose validation failed last in this thread (once)."""
    request_id: RequestId | None = getattr(_rejected, "id", None)
    _rejected.id = None
    return request_id


def _valid_id(fields: dict[str, Any]) -> RequestId | None:
    """``fields["id"]`` if it is a valid request id (a string or an integer), else ``None``."""
    request_id = fields.get("id")
    if isinstance(request_id, str) or (
        isinstance(request_id, int) and not isinstance(request_id, bool)
    ):
        return request_id
    return None


def _keep_request_id(fields: dict[str, Any]) -> NoReturn:
    _rejected.id = _valid_id(fields)
    raise PydanticCustomError("request_id_probe", "The message was rejected")


#: A JSON object's ``id`` and nothing else: other keys are skipped by the parser, not built.
_ID_ONLY = core_schema.typed_dict_schema(
    {"id": core_schema.typed_dict_field(core_schema.any_schema(), required=False)},
    extra_behavior="ignore",
)
_PROBE = core_schema.no_info_after_validator_function(_keep_request_id, _ID_ONLY)
_ID_READER = SchemaValidator(_ID_ONLY)


def request_id_of(data: str | bytes) -> RequestId | None:
    """The valid ``id`` of a frame refused before validation (rate limited), if it has one."""
    try:
        return _valid_id(_ID_READER.validate_json(data))
    except ValueError:  # not JSON, not an object (ValidationError is a ValueError)
        return None


def _refuse_every_event(message: WebSocketEventMessage[str]) -> NoReturn:
    raise PydanticCustomError("union_tag_invalid", "Unknown event {tag!r}", {"tag": message.type})


def message_validator(models: Iterable[type[BaseModel]]) -> SchemaValidator:
    """The validator of the messages of the handlers whose input ``models`` are given.

    Inside it, the handlers' models keep unknown keys (in ``__pydantic_extra__``)
    instead of reporting each one: a frame of 70,000 unknown keys would otherwise cost
    70,000 errors, five times what a valid frame of its size costs. The endpoint
    refuses a message with unknown keys itself (``InvalidMessage.unknown_keys``); the models
    themselves, used directly, still forbid them.
    """
    models = tuple(models)
    if models:
        adapter: TypeAdapter[Any] = TypeAdapter(
            Annotated[Union[models], Field(discriminator="type")]  # type: ignore[arg-type]  # noqa: UP007
        )
    else:  # an endpoint without handlers refuses every message, as an unknown event
        adapter = TypeAdapter(
            Annotated[WebSocketEventMessage[str], AfterValidator(_refuse_every_event)]
        )
    schema: dict[str, Any] = copy.deepcopy(dict(adapter.core_schema))
    for inner in schemas_in(schema):
        if inner["type"] == "model" and inner["cls"] in models:
            inner["config"] = {**inner.get("config", {}), "extra_fields_behavior": "allow"}
            inner["schema"]["extra_behavior"] = "allow"
    if schema["type"] == "definitions":  # keep the definitions at the top
        schema["schema"] = _with_probe(schema["schema"])
    else:
        schema = dict(_with_probe(schema))
    return validator_of(schema, models)


def _with_probe(schema: Any) -> core_schema.CoreSchema:
    return core_schema.union_schema(
        [(schema, EVENT_BRANCH), (_PROBE, PROBE_BRANCH)], mode="left_to_right"
    )
