"""Handlers: the ``on_event`` decorator and the ``Handler`` that validates, calls and answers."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, overload

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python
from starlette.concurrency import run_in_threadpool
from typing_extensions import TypeVar

from ._models import build_message_model, build_response_model, message_fields
from ._threads import limiter_for, run_sync_bounded
from .exceptions import ResponseError
from .models import HandlerMessage, WebSocketEventMessage

__all__ = ["EventDecorator", "EventSpec", "Handler", "event_name", "on_event"]

F = TypeVar("F", bound=Callable[..., Any])
ResponseModelT = TypeVar("ResponseModelT", bound=BaseModel, default=BaseModel)

#: Attribute ``on_event`` sets on a decorated function; the metaclass reads it.
SPEC_ATTRIBUTE = "__socketsundso_event__"

#: Prefixes stripped from a method's name to get its event name.
_PREFIXES = ("on_", "handle_")


def event_name(method_name: str) -> str:
    """The event a method handles by default: its name without a leading ``on_``/``handle_``."""
    for prefix in _PREFIXES:
        if method_name.startswith(prefix):
            return method_name[len(prefix) :]
    return method_name


@dataclasses.dataclass(frozen=True)
class EventSpec:
    """What ``on_event`` recorded on a function: its event name and response model."""

    event: str
    response_model: type[BaseModel] | None


class Handler:
    """One event's handler: its input ``model``, the method it calls, its ``response_model``.

    ``handle(msg)`` validates the message against ``model`` (unless it already is an
    instance of it, as on the endpoint's dispatch path), calls the method with the
    message's fields (sync methods in Starlette's threadpool), and validates what the
    method returned into ``response_model``. The models are built once, here.

    ``takes_endpoint`` says the method is an endpoint method that needs ``self``:
    such a handler must be ``bind()``-ed to an endpoint instance before ``handle``.
    """

    __slots__ = (
        "_call",
        "_endpoint",
        "_response_is_default",
        "_validate_response",
        "event",
        "is_async",
        "method",
        "model",
        "response_model",
        "takes_endpoint",
    )

    def __init__(
        self,
        event: str,
        method: Callable[..., Any],
        response_model: type[BaseModel] | None = None,
        *,
        takes_endpoint: bool = False,
        localns: Mapping[str, Any] | None = None,
    ) -> None:
        check_event(event, method)
        check_response_model(response_model, method)
        fields = message_fields(method, takes_endpoint=takes_endpoint, localns=localns)
        self.event = event
        self.method = method
        self.takes_endpoint = takes_endpoint
        self.is_async = inspect.iscoroutinefunction(method)
        self.model: type[HandlerMessage[Any]] = build_message_model(event, method, fields)
        self.response_model: type[BaseModel] = build_response_model(event, response_model)
        self._response_is_default = response_model is None
        # model_validate() without its Python-level argument handling: this runs per message.
        self._validate_response = self.response_model.__pydantic_validator__.validate_python
        #: The endpoint a ``bind()``-ed copy calls its method on; ``None`` for the original.
        self._endpoint: object | None = None
        self._call = argument_passer(method, takes_endpoint=takes_endpoint)

    def __repr__(self) -> str:
        name = getattr(self.method, "__qualname__", repr(self.method))
        return f"<Handler {self.event!r} -> {name}()>"

    @property
    def replies(self) -> bool:
        """Whether a message to this handler may get a reply: its method isn't ``-> None``.

        What the AsyncAPI document and the generated clients say of the event: a
        handler annotated ``-> None`` only ever answers with an error reply.
        """
        try:
            annotation = inspect.signature(self.method).return_annotation
        except (TypeError, ValueError):
            return True
        return not (annotation is None or annotation is type(None) or annotation == "None")

    def bind(self, endpoint: object) -> Handler:
        """This handler, calling its method on ``endpoint`` (a copy; ``self`` is unchanged).

        The endpoint itself never needs this: it passes itself to ``handle_for``. It
        is what ``self.handlers`` on an endpoint instance holds, made when first read.
        """
        if not self.takes_endpoint:
            return self
        bound = object.__new__(Handler)
        for slot in Handler.__slots__:
            setattr(bound, slot, getattr(self, slot))
        bound._endpoint = endpoint
        return bound

    async def handle(self, msg: WebSocketEventMessage[Any]) -> BaseModel | None:
        """Validate ``msg``, call the method with its fields, return the validated answer.

        Raises pydantic's ``ValidationError`` for a message that doesn't fit ``model``,
        ``ResponseError`` for a return value that doesn't fit ``response_model``, and
        whatever the method raises. A method of an endpoint class must be ``bind()``-ed
        to an endpoint first (or called through ``handle_for``).
        """
        endpoint = self._endpoint
        if endpoint is None and self.takes_endpoint:
            raise TypeError(f"{self!r} is an endpoint method: bind() it to an endpoint first")
        return await self.handle_for(endpoint, msg)

    async def handle_for(
        self, endpoint: object, msg: WebSocketEventMessage[Any]
    ) -> BaseModel | None:
        """``handle(msg)`` with the method called on ``endpoint``; no bound copy is made.

        This is how an endpoint runs its handlers: one ``Handler`` per event and
        class, shared by every connection. For a function handler (attached with
        ``Endpoint.on_event``, or made without ``takes_endpoint``) ``endpoint`` is
        ignored. It is ``answer(await call(endpoint, msg))``.
        """
        return self.answer(await self.call(endpoint, msg))

    def call(self, endpoint: object, msg: WebSocketEventMessage[Any]) -> Awaitable[Any]:
        """Call the method with ``msg``'s fields (on ``endpoint``); await it for the result.

        For an async method this is the method's own coroutine (no wrapper per
        message); a sync method runs in a worker thread. ``msg`` is validated
        against ``model`` first unless it already is an instance of it.
        """
        if msg.__class__ is not self.model:
            msg = self.model.model_validate(msg.model_dump(by_alias=True))
        if self.is_async:
            return self._call(endpoint, msg.__dict__)  # type: ignore[no-any-return]
        return self._call_in_thread(endpoint, msg.__dict__)

    async def _call_in_thread(self, endpoint: object, fields: dict[str, Any]) -> Any:
        # An endpoint's sync handlers get threads of their own (``sync_handler_threads``).
        threads: int | None = getattr(endpoint, "sync_handler_threads", None)
        if threads is None:
            return await run_in_threadpool(self._call, endpoint, fields)
        limiter = limiter_for(type(endpoint), threads)
        return await run_sync_bounded(limiter, self._call, endpoint, fields)

    def answer(self, result: Any) -> BaseModel | None:
        """What the method returned as the reply: ``None``, or validated into ``response_model``.

        Raises ``ResponseError`` for a result ``response_model`` rejects.
        """
        if result is None:
            return None
        if type(result) is dict:  # the common case, without make_response's checks
            try:
                return self._validate_response(result)  # type: ignore[no-any-return]
            except ValidationError as exc:
                raise self._response_error(exc) from exc
        return self.make_response(result)

    def make_response(self, result: Any) -> BaseModel:
        """Validate a handler's return value into ``response_model``.

        Accepts a mapping, a pydantic model or a dataclass (any object, for a given
        ``response_model``, read by attribute). Anything else, or data the response
        model rejects, raises ``ResponseError``.
        """
        response_model = self.response_model
        try:
            if isinstance(result, response_model):
                return result
            if isinstance(result, dict):
                return self._validate_response(result)  # type: ignore[no-any-return]
            if self._response_is_default:
                data = to_jsonable_python(result, by_alias=True)
                if not isinstance(data, dict):
                    raise ResponseError(
                        f"Handler for {self.event!r} returned {type(result).__name__}; "
                        "return a dict, a pydantic model, a dataclass or None"
                    )
                return self._validate_response(data)  # type: ignore[no-any-return]
            return response_model.model_validate(result, from_attributes=True)
        except (ValidationError, PydanticSerializationError) as exc:
            raise self._response_error(exc) from exc

    def _response_error(self, exc: Exception) -> ResponseError:
        return ResponseError(
            f"Handler for {self.event!r} returned data that "
            f"{self.response_model.__name__} rejects: {exc}"
        )


def argument_passer(
    method: Callable[..., Any], *, takes_endpoint: bool
) -> Callable[[object, dict[str, Any]], Any]:
    """A function ``(endpoint, fields)`` calling ``method`` with a message's fields.

    Compiled once per handler from the method's parameters, so a message's fields go
    straight from its ``__dict__`` into the call: no copy of the fields, no tuple of
    arguments built per message (positional-or-keyword parameters are passed by
    position, keyword-only ones by name; the endpoint first if ``takes_endpoint``).
    The names come from ``inspect.signature``, which only admits identifiers.
    """
    parameters = list(inspect.signature(method).parameters.values())[1 if takes_endpoint else 0 :]
    arguments = ["endpoint"] if takes_endpoint else []
    for parameter in parameters:
        value = f"fields[{parameter.name!r}]"
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            arguments.append(value)
        else:
            arguments.append(f"{parameter.name}={value}")
    source = f"lambda endpoint, fields: _method({', '.join(arguments)})"
    passer: Callable[[object, dict[str, Any]], Any] = eval(source, {"_method": method})
    return passer


def check_event(event: object, culprit: object) -> None:
    """Raise for an event name that is not a non-empty string."""
    if not isinstance(event, str):
        raise TypeError(f"Event name of {culprit!r} must be a str, not {type(event).__name__}")
    if not event:
        raise ValueError(
            f"Event name of {culprit!r} is empty: name the event explicitly, "
            "or name the method more than 'on_' or 'handle_'"
        )


def check_response_model(response_model: object, culprit: object) -> None:
    """Raise unless ``response_model`` is ``None`` or a pydantic model class."""
    if response_model is not None and not (
        isinstance(response_model, type) and issubclass(response_model, BaseModel)
    ):
        raise TypeError(
            f"response_model of {culprit!r} must be a pydantic BaseModel subclass, "
            f"not {response_model!r}"
        )


class EventDecorator(Generic[ResponseModelT]):
    """What ``on_event(event, response_model)`` returns: marks a function as a handler.

    The function is returned unchanged, so a handler stays callable as written; the
    endpoint's metaclass turns the mark into a ``Handler``. ``ResponseModelT``
    carries the response model's type for static checkers.
    """

    __slots__ = ("event", "response_model")

    def __init__(self, event: str | None, response_model: type[ResponseModelT] | None) -> None:
        if event is not None:
            check_event(event, "on_event()")
        check_response_model(response_model, "on_event()")
        self.event = event
        self.response_model = response_model

    def __call__(self, method: F) -> F:
        """Mark ``method`` as the handler of this decorator's event and return it."""
        if not callable(method) or isinstance(method, (staticmethod, classmethod)):
            raise TypeError(f"on_event must decorate a function, not {method!r}")
        event = self.event if self.event is not None else event_name(method.__name__)
        check_event(event, method)
        setattr(method, SPEC_ATTRIBUTE, EventSpec(event, self.response_model))
        return method


@overload
def on_event(event: F, /) -> F: ...
@overload
def on_event(
    event: str | None = None, response_model: type[ResponseModelT] | None = None
) -> EventDecorator[ResponseModelT]: ...
def on_event(
    event: Callable[..., Any] | str | None = None,
    response_model: type[BaseModel] | None = None,
) -> Callable[..., Any] | EventDecorator[Any]:
    """Declare a method of a ``WebSocketHandlingEndpoint`` as the handler of an event.

    ``@on_event`` names the event after the method (``on_join`` and ``handle_join``
    handle ``"join"``); ``@on_event("join")`` names it explicitly;
    ``response_model`` validates and shapes what the method returns. The method is
    returned unchanged: the endpoint's metaclass registers it when the class is made.
    """
    if callable(event):
        return EventDecorator(None, response_model)(event)
    return EventDecorator(event, response_model)
