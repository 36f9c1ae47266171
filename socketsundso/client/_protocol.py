"""The client's protocol, without I/O: what a call sends, and what an answer means.

``EndpointProtocol.of(Chat)`` is built once per endpoint class and holds what the
class already declares: each handler method's event, the wire name of each of its
parameters, the model its reply is parsed into, and the union of its server events.
``message`` turns a call (``Chat.on_join, room="lobby"``) into the JSON text of the
message; ``reply`` parses an answer into what the handler's return annotation says;
``event`` parses a message the server pushed. Nothing here waits or touches a socket:
``socketsundso.client`` feeds it.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic_core import to_json

from .._server_events import type_values
from ..endpoints import WebSocketHandlingEndpoint
from ..handler import Handler

__all__ = ["Call", "EndpointProtocol", "UndeclaredEvent"]


class UndeclaredEvent(BaseModel):
    """A message the server pushed whose ``type`` the endpoint doesn't declare as an event.

    Its fields are kept as extra fields (``event.model_extra``): nothing is dropped.
    """

    model_config = ConfigDict(extra="allow")

    type: str


@dataclass(frozen=True)
class Call:
    """How to call one handler: its event, its parameters' wire names, its reply's model."""

    handler: Handler
    signature: inspect.Signature
    wire_names: Mapping[str, str]
    #: The model the reply is parsed into; ``None``: the reply stays a dict.
    reply_model: type[BaseModel] | None

    @property
    def event(self) -> str:
        """The event the handler handles."""
        return self.handler.event

    def fields(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The message's fields for a call with ``args`` and ``kwargs``, by wire names.

        Raises ``TypeError`` as Python would for the method itself (a missing or an
        unknown argument), naming the handler.
        """
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.handler.method.__qualname__}(): {exc}") from None
        return {self.wire_names.get(name, name): value for name, value in bound.arguments.items()}

    def message(self, fields: Mapping[str, Any], request_id: int | None) -> str:
        """The JSON text of the message (models by alias, datetimes as ISO 8601, ...)."""
        envelope: dict[str, Any] = {"type": self.event}
        if request_id is not None:
            envelope["id"] = request_id
        return to_json({**envelope, **fields}, by_alias=True).decode()

    def reply(self, answer: dict[str, Any]) -> Any:
        """``answer`` (a reply, its ``id`` removed) as the handler's return annotation says.

        A handler whose reply is a model gives an instance of it (validated from what
        the server sent, by alias); any other reply is the dict the server sent, without
        ``type`` when that is the event's name (what the server adds to every reply).
        """
        if self.reply_model is not None:
            return self.reply_model.model_validate(answer)
        if answer.get("type") == self.event:
            del answer["type"]
        return answer


def _reply_model(handler: Handler) -> type[BaseModel] | None:
    """The model a reply of ``handler`` is parsed into, if its reply is a model."""
    if not handler._response_is_default:
        return handler.response_model
    try:
        returned = typing.get_type_hints(handler.method).get("return")
    except (NameError, TypeError):
        return None
    if isinstance(returned, type) and issubclass(returned, BaseModel):
        return returned
    return None


def _call(handler: Handler) -> Call:
    signature = inspect.signature(handler.method)
    if handler.takes_endpoint:
        parameters = list(signature.parameters.values())[1:]
        signature = signature.replace(parameters=parameters)
    fields = handler.model.model_fields
    wire_names = {
        name: field.alias for name, field in fields.items() if field.alias not in (None, name)
    }
    return Call(handler, signature, wire_names, _reply_model(handler))


class EndpointProtocol:
    """What a client of ``endpoint`` needs to know of it, built once per class (``of``)."""

    def __init__(self, endpoint: type[WebSocketHandlingEndpoint]) -> None:
        self.endpoint = endpoint
        self._calls: dict[object, Call] = {
            handler.method: _call(handler) for handler in endpoint.handlers.values()
        }
        self._events = endpoint._server_events
        self._event_types = {
            value for model in endpoint.server_events for value in type_values(model) or ()
        }

    @staticmethod
    @cache
    def of(endpoint: type[WebSocketHandlingEndpoint]) -> EndpointProtocol:
        """The protocol of ``endpoint``, made the first time it is asked for."""
        return EndpointProtocol(endpoint)

    def call(self, method: Callable[..., Any]) -> Call:
        """The call of handler ``method`` (``Chat.on_join``); ``TypeError`` if not a handler."""
        call = self._calls.get(method)
        if call is None:
            name = getattr(method, "__qualname__", repr(method))
            raise TypeError(
                f"{name} is not a handler of {self.endpoint.__qualname__}: pass one of "
                f"{sorted(c.handler.method.__qualname__ for c in self._calls.values())}"
            )
        return call

    def event(self, message: dict[str, Any]) -> BaseModel:
        """A message the server pushed, as its declared event model (else ``UndeclaredEvent``)."""
        if message.get("type") in self._event_types:
            return self._events.parse(message)
        return UndeclaredEvent.model_validate(message)
