"""Build the pydantic models of a handler from its signature (once, at class creation)."""

from __future__ import annotations

import copy
import functools
import inspect
import re
import typing
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, PydanticUserError, create_model
from pydantic_core import core_schema

from ._core_schemas import schemas_in, validator_of
from ._injected_parameters import check_not_injected
from .models import DefaultResponse, HandlerMessage

#: The warning pydantic gives for a field named like a BaseModel attribute.
_SHADOW_WARNING = r"Field name .* shadows an attribute in parent"

#: Message fields that belong to the envelope, not to a handler, and what each one is.
_ENVELOPE_FIELDS = {"type": "the message's event name", "id": "the message's request id"}

#: Parameter kinds a message can fill: messages carry named fields only.
_NAMED_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def camel_case(event: str) -> str:
    """``"join_room"`` → ``"JoinRoom"``: the stem of the model names built for an event."""
    stem = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", event))
    return stem if stem[:1].isalpha() else f"Event{stem}"


def message_fields(
    method: Callable[..., Any],
    *,
    takes_endpoint: bool,
    localns: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The fields of a handler's message model, from the method's parameters.

    ``takes_endpoint`` skips the first parameter (``self``). Raises ``TypeError``
    naming the handler for what a message can't fill: ``*args``, ``**kwargs``,
    positional-only parameters, a parameter named ``type`` (the discriminator) or
    ``id`` (the request id), an annotation that can't be resolved, or a parameter
    that expects FastAPI to inject it (``Depends``, ``Header``..., see
    ``socketsundso._injected_parameters``).
    """
    name = getattr(method, "__qualname__", repr(method))
    parameters = list(inspect.signature(method).parameters.values())
    if takes_endpoint:
        if not parameters or parameters[0].kind not in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            raise TypeError(f"Handler {name}() is a method but takes no 'self' parameter")
        parameters = parameters[1:]
    try:
        hints = typing.get_type_hints(method, localns=dict(localns or {}), include_extras=True)
    except NameError as exc:
        raise TypeError(f"Cannot resolve the annotations of handler {name}(): {exc}") from exc

    fields: dict[str, Any] = {}
    for parameter in parameters:
        if parameter.kind not in _NAMED_KINDS:
            raise TypeError(
                f"Handler {name}() has parameter {parameter}: a message has named fields "
                "only, so *args, **kwargs and positional-only parameters can't be filled"
            )
        if parameter.name in _ENVELOPE_FIELDS:
            raise TypeError(
                f"Handler {name}() has a parameter named {parameter.name!r}, which is "
                f"{_ENVELOPE_FIELDS[parameter.name]}; rename the parameter"
            )
        annotation = hints.get(parameter.name, Any)
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        check_not_injected(name, parameter.name, annotation, default)
        fields[parameter.name] = (annotation, default)
    return fields


def build_message_model(
    event: str, method: Callable[..., Any], fields: dict[str, Any]
) -> type[HandlerMessage[Any]]:
    """The input model of one handler: ``type: Literal[event]`` plus its fields, nothing else.

    Raises ``TypeError`` naming the handler for a parameter pydantic makes no field of
    (a leading underscore, ``model_config``, ``model_*`` names).
    """
    name = getattr(method, "__qualname__", repr(method))
    try:
        with warnings.catch_warnings():
            # "json", "copy", "schema"... are BaseModel methods, but here they are wire
            # names the client sends: shadowing them on a message model is intended.
            warnings.filterwarnings("ignore", _SHADOW_WARNING, UserWarning)
            model: type[HandlerMessage[Any]] = create_model(
                f"{camel_case(event)}Message",
                # The base's ``type: str`` narrowed by a field, not by parametrizing the
                # generic base: a parametrization is one more model class per handler.
                __base__=HandlerMessage,
                __module__=getattr(method, "__module__", __name__),
                type=(Literal[event], ...),  # type: ignore[arg-type]
                **fields,
            )
    except (PydanticUserError, NameError, TypeError, ValueError) as exc:
        raise TypeError(f"Cannot build the message model of handler {name}(): {exc}") from exc
    stop_sequences_at_first_error(model)
    unusable = [field for field in fields if field not in model.model_fields]
    if unusable:
        raise TypeError(
            f"Handler {name}() has parameters a message can't carry: {', '.join(unusable)} "
            "(names with a leading underscore or pydantic's model_ prefix); rename them"
        )
    return model


#: Core schemas of collections that can stop at their first invalid item (``fail_fast``):
#: sequences, and dicts where the installed pydantic-core can (recent ones).
_SEQUENCE_SCHEMAS = frozenset(
    {"list", "tuple", "set", "frozenset"}
    | ({"dict"} if "fail_fast" in core_schema.DictSchema.__annotations__ else set())
)


def stop_sequences_at_first_error(model: type[BaseModel]) -> None:
    """Rebuild ``model``'s validator so that each of its sequences and dicts stops at its
    first bad item.

    Without it one message of 250,000 wrong list items costs 250,000 error entries
    (seconds of CPU and a reply of megabytes), and one of 60,000 wrong dict values
    60,000 errors built inside pydantic-core: a client could make the server do far
    more work for an invalid message than for a valid one. Collections inside other
    pydantic models the handler takes keep those models' own behaviour.
    """
    schema = copy.deepcopy(model.__pydantic_core_schema__)
    sequences = [inner for inner in schemas_in(schema) if inner["type"] in _SEQUENCE_SCHEMAS]
    if not sequences:
        return
    for sequence in sequences:
        sequence["fail_fast"] = True
    validator = validator_of(schema, [model])
    model.__pydantic_core_schema__ = schema
    model.__pydantic_validator__ = validator


def build_response_model(event: str, response_model: type[BaseModel] | None) -> type[BaseModel]:
    """The model a handler's return value is validated into; it always has a ``type``.

    Without a ``response_model`` that is a model allowing any field but ``id``. A
    given model that declares ``type`` itself is used as it is; otherwise a subclass
    adds ``type``, first, with the event name as default, so every answer says first
    what it answers. A model declaring ``id`` raises ``TypeError``: a reply's ``id`` is the
    echoed request id.
    """
    if response_model is None:
        return default_response_model(event)
    if _wire_name_taken(response_model, "id"):
        raise TypeError(
            f"response_model {response_model.__name__} of event {event!r} has a field 'id', "
            "which in a reply is the echoed request id; rename the field"
        )
    if _wire_name_taken(response_model, "type"):
        return response_model
    # _EventType last among the bases puts ``type`` first in the fields, so replies
    # start with it (pydantic orders inherited fields from the last base up).
    return create_model(
        response_model.__name__,
        __base__=(response_model, _EventType),
        __module__=response_model.__module__,
        type=(str, event),
    )


class _EventType(BaseModel):
    """The ``type`` every reply starts with (its default, the event, is set per handler)."""

    type: str


@functools.lru_cache(maxsize=4096)
def default_response_model(event: str) -> type[BaseModel]:
    """The response model of an event's handlers that declare none; one per event name.

    Shared by every class with a handler for ``event`` (the model depends on the
    name alone), so a second endpoint with a ``"join"`` handler costs no second model.
    """
    return create_model(f"{camel_case(event)}Response", __base__=DefaultResponse, type=(str, event))


def _wire_name_taken(model: type[BaseModel], name: str) -> bool:
    """Whether some field of ``model`` is written as ``name`` on the wire (by name or alias)."""
    return any(
        field_name == name or name in (field.alias, field.serialization_alias)
        for field_name, field in model.model_fields.items()
    )
