"""The events a server pushes on its own, declared by an endpoint class's type parameter.

``class Chat(WebSocketHandlingEndpoint[Said | Left])`` declares that ``Chat`` sends
``Said`` and ``Left`` events (``emit``, ``broadcast``). This module reads that parameter
when the class is made, checks the models once (each has a ``type`` ``Literal`` field, no
two share a value), and turns what ``emit`` and ``broadcast`` get into one JSON text: a
declared model as it is, a dict validated against the discriminated union of the events.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from types import UnionType
from typing import Annotated, Any, Literal, Union, final, get_args, get_origin

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from pydantic_core import to_json

from ._history import POSITION_KEY
from .exceptions import EventError

__all__ = ["ServerEvents", "declared_events", "type_values"]


def declared_events(
    class_name: str, orig_bases: tuple[Any, ...]
) -> tuple[tuple[type[BaseModel], ...], Any] | None:
    """What a class body's bases declare: ``(events, parameter)``, or ``None`` if nothing.

    ``orig_bases`` is the class's ``__orig_bases__``. A base such as
    ``WebSocketHandlingEndpoint[Said | Left]`` (or ``Generic`` endpoint subclass
    subscripted with its events) declares ``(Said, Left)``; one subscripted with a type
    variable (``WebSocketHandlingEndpoint[E]``) makes the class generic in its events:
    ``((), E)``, nothing declared until a subclass fills ``E`` in. ``Any`` and
    ``BaseModel`` declare nothing (any event goes, as without a parameter).
    """
    for base in orig_bases:
        origin = get_origin(base)
        parameter = getattr(origin, "_events_parameter", None)
        if parameter is None or parameter not in getattr(origin, "__parameters__", ()):
            continue
        argument = get_args(base)[origin.__parameters__.index(parameter)]
        if isinstance(argument, typing.TypeVar):
            return (), argument
        return _event_models(class_name, argument), None
    return None


def _event_models(class_name: str, argument: Any) -> tuple[type[BaseModel], ...]:
    """The models of ``argument`` (one model or a union of them), checked."""
    if argument is Any or argument is BaseModel:
        return ()
    members = get_args(argument) if get_origin(argument) in (Union, UnionType) else (argument,)
    models: list[type[BaseModel]] = []
    for member in members:
        if not (isinstance(member, type) and issubclass(member, BaseModel)):
            raise TypeError(
                f"{class_name}'s events must be pydantic models with a `type` Literal field; "
                f"{member!r} is not a model"
            )
        models.append(member)
    _check_type_fields(class_name, models)
    _check_position_key(class_name, models)
    return tuple(models)


def _check_position_key(class_name: str, models: list[type[BaseModel]]) -> None:
    """No event has a field sent as ``"$position"``: that key carries a broadcast's
    position in a group with history (``socketsundso.groups``)."""
    for model in models:
        for name, field in model.model_fields.items():
            if POSITION_KEY in (name, field.alias, field.serialization_alias):
                raise TypeError(
                    f"{class_name}'s event {model.__qualname__} has a field {name!r} sent as "
                    f"{POSITION_KEY!r}, the key of a broadcast's position in a group with "
                    "history: give it another alias"
                )


def _check_type_fields(class_name: str, models: list[type[BaseModel]]) -> None:
    """Each event has a ``type: Literal[...]`` field of strings, and no two share a value."""
    owners: dict[str, type[BaseModel]] = {}
    for model in models:
        values = type_values(model)
        if values is None:
            raise TypeError(
                f"{class_name}'s event {model.__qualname__} needs a `type` field whose "
                f"annotation is a Literal of strings, such as "
                f'type: Literal["{model.__name__.lower()}"] = "{model.__name__.lower()}"'
            )
        for value in values:
            other = owners.setdefault(value, model)
            if other is not model:
                raise TypeError(
                    f"{class_name}'s events {other.__qualname__} and {model.__qualname__} "
                    f"share the type {value!r}: a client could not tell them apart"
                )


def event_serializers(models: tuple[type[BaseModel], ...]) -> dict[type, Callable[..., bytes]]:
    """Each complete model's serializer's ``to_json``, bound: what ``emit`` calls per event.

    A model not complete yet (a forward reference not defined when the endpoint class
    is made) is left out: ``ServerEvents.text`` serializes it with whatever serializer
    it has when sent.
    """
    return {
        model: model.__pydantic_serializer__.to_json
        for model in models
        if model.__pydantic_complete__
    }


def type_values(model: type[BaseModel]) -> tuple[str, ...] | None:
    """The values of ``model``'s ``type: Literal[...]`` field, or ``None`` if it has none."""
    field = model.model_fields.get("type")
    if field is None or field.alias not in (None, "type"):
        return None
    if get_origin(field.annotation) is not Literal:
        return None
    values = get_args(field.annotation)
    if not values or not all(isinstance(value, str) for value in values):
        return None
    return values


@final
class ServerEvents:
    """The events one endpoint class declares, and how ``emit`` and ``broadcast`` send them.

    ``text`` sends an instance of a declared model as it is (it was validated when it
    was made), and validates a dict against the discriminated union of the events,
    built the first time a dict needs it: one pydantic-core validation and one
    serialization.
    """

    __slots__ = ("_validate_python", "models", "owner", "serializers")

    def __init__(self, owner: str, models: tuple[type[BaseModel], ...]) -> None:
        self.owner = owner
        self.models = models
        #: What ``text`` (and ``emit``, inline) tries first: a declared model's serializer.
        self.serializers = event_serializers(models)
        self._validate_python: Callable[[object], Any] | None = None

    def text(self, event: object, endpoint: type, method: str) -> str:
        """``event`` as one JSON text, or ``EventError`` if it is no declared event.

        ``endpoint`` and ``method`` (``Chat``, ``"emit"``) name the caller in the error.
        """
        to_json = self.serializers.get(type(event))
        if to_json is not None:  # a declared model: sent as it is
            return to_json(event, by_alias=True).decode()
        if type(event) is dict and self.models:  # one validation, one serialization
            validate = self._validate_python or self._build_validator()
            try:
                model = validate(event)
            except ValidationError as exc:
                raise self._invalid_dict(endpoint, method) from exc
            return model.__pydantic_serializer__.to_json(model, by_alias=True).decode()  # type: ignore[no-any-return]
        return self._other_text(event, endpoint, method)

    def parse(self, data: dict[str, Any]) -> BaseModel:
        """``data`` (an event as it arrived) as the declared model its ``type`` picks.

        A client's view (``socketsundso.client``); raises pydantic's ``ValidationError``
        when it fits no declared event, ``LookupError`` when the class declares none.
        """
        if not self.models:
            raise LookupError(f"{self.owner} declares no events")
        validate = self._validate_python or self._build_validator()
        model: BaseModel = validate(data)
        return model

    def _other_text(self, event: object, endpoint: type, method: str) -> str:
        """``text`` of anything but a dict (or of a dict, when nothing is declared)."""
        sender = f"{endpoint.__qualname__}.{method}"
        if isinstance(event, BaseModel):
            if not self.models or isinstance(event, self.models):
                return event.__pydantic_serializer__.to_json(event, by_alias=True).decode()
            raise EventError(
                f"{sender} got a {type(event).__qualname__}, which is not one of the events "
                f"{self.owner} declares ({self._names()})"
            )
        if not self.models:
            return to_json(event, by_alias=True).decode()
        if isinstance(event, Mapping):
            return self.text(dict(event), endpoint, method)
        raise EventError(
            f"{sender} takes one of the events {self.owner} declares ({self._names()}) "
            f"or a dict of one, not {type(event).__qualname__}"
        )

    def _invalid_dict(self, endpoint: type, method: str) -> EventError:
        return EventError(
            f"{endpoint.__qualname__}.{method} got a dict that is none of the events "
            f"{self.owner} declares ({self._names()}); the cause says why"
        )

    def _build_validator(self) -> Callable[[object], Any]:
        """The discriminated union of the events (by ``type``), built on first use."""
        if len(self.models) == 1:
            self._validate_python = self.models[0].__pydantic_validator__.validate_python
        else:
            members: Any = Union[self.models]  # noqa: UP007
            union: Any = Annotated[members, Field(discriminator="type")]
            self._validate_python = TypeAdapter(union).validator.validate_python
        return self._validate_python

    def _names(self) -> str:
        return ", ".join(model.__qualname__ for model in self.models)
