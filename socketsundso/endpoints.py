"""The WebSocket endpoint: a Starlette ASGI endpoint that dispatches JSON messages to handlers."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Collection, Coroutine, Generator, Mapping
from typing import Any, ClassVar, Generic, Literal, cast, overload

import anyio
from pydantic import BaseModel, ValidationError
from pydantic_core import (
    PydanticSerializationError,
    SchemaValidator,
    to_json,
)
from starlette import status
from starlette.exceptions import WebSocketException
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from typing_extensions import TypeVar

from ._class_attributes import HandlerTable, LazyClassAttribute, install
from ._envelope import message_validator, request_id_of, take_rejected_id
from ._server_events import ServerEvents, declared_events
from .exceptions import (
    InvalidMessage,
    MessageError,
    ResponseError,
    TooManyGroups,
    errors_for_client,
)
from .groups import Groups, Membership, MemoryGroups, Position, check_group_name
from .handler import SPEC_ATTRIBUTE, EventDecorator, EventSpec, F, Handler, ResponseModelT
from .limits import RateLimit, TokenBucket
from .models import WebSocketEventMessage
from .outgoing import (
    DEFAULT_SEND_QUEUE_POLICY,
    DEFAULT_SEND_QUEUE_SIZE,
    DEFAULT_SEND_TIMEOUT,
    SLOW_CONSUMER_CLOSE,
    Outbox,
    OutgoingCounters,
    OutgoingSettings,
    SendQueuePolicy,
    check_send_settings,
)

__all__ = ["EventsT", "HandlingEndpointMeta", "WebSocketHandlingEndpoint"]

logger = logging.getLogger("socketsundso")


# Enum members cost a metaclass lookup per access on Python 3.11: the hot path reads these.
_CONNECTED = WebSocketState.CONNECTED

#: Seconds to wait for a departed client's close code before settling for 1006.
_CLOSE_CODE_WAIT = 1.0
#: Seconds a cancelled connection (a server's shutdown) waits for the close the server queued.
_CANCELLED_CLOSE_WAIT = 0.1
#: Seconds a connection given up on as a slow client waits for its close frame to be taken.
_SLOW_CLOSE_WAIT = 0.5


def _close_code_of(message: Message) -> int:
    """The close code of a ``websocket.disconnect`` message, as it really happened.

    A code of 1005 (no status) without a ``reason`` is how uvicorn's sans-I/O protocol
    reports a TCP connection lost without any close frame: that is 1006 (abnormal
    closure). A close frame that carried no status comes with a ``reason`` and stays 1005.
    """
    code = int(message.get("code") or status.WS_1000_NORMAL_CLOSURE)
    if code == status.WS_1005_NO_STATUS_RCVD and "reason" not in message:
        return status.WS_1006_ABNORMAL_CLOSURE
    return code


#: What ``on_receive`` may raise that is told to the client instead of closing with 1011.
_CLIENT_ERRORS = (MessageError, ValidationError, ResponseError, PydanticSerializationError)

DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024
"""Default ``max_message_size``: 1 MiB."""

DEFAULT_SYNC_HANDLER_THREADS = 8
"""Default ``sync_handler_threads``: well below the 40 threads Starlette's pool shares."""

DEFAULT_MAX_GROUPS_PER_CONNECTION = 100
"""Default ``max_groups_per_connection``: each membership costs about 400 bytes."""


def _collect_handlers(
    class_name: str, namespace: Mapping[str, Any], localns: Mapping[str, Any]
) -> dict[str, Handler]:
    """The handlers of the ``on_event``-marked functions in one class body, in source order."""
    handlers: dict[str, Handler] = {}
    for attribute, value in namespace.items():
        if isinstance(value, (staticmethod, classmethod)) and isinstance(
            getattr(value.__func__, SPEC_ATTRIBUTE, None), EventSpec
        ):
            raise TypeError(
                f"{class_name}.{attribute}: on_event handlers are methods; drop "
                f"@{type(value).__name__} (or attach a function with {class_name}.on_event)"
            )
        spec = getattr(value, SPEC_ATTRIBUTE, None)
        if not isinstance(spec, EventSpec):
            continue
        if spec.event in handlers:
            raise TypeError(
                f"{class_name} has two handlers for event {spec.event!r}: "
                f"{handlers[spec.event].method.__name__}() and {attribute}()"
            )
        handlers[spec.event] = Handler(
            spec.event, value, spec.response_model, takes_endpoint=True, localns=localns
        )
    return handlers


class HandlingEndpointMeta(type):
    """Metaclass of ``WebSocketHandlingEndpoint``: collects handlers, builds validators.

    Every class gets its own ``handlers`` dict: the handlers it inherits (in its
    bases' order) with the ones of its own body after them, a handler of its own
    overriding an inherited one for the same event. It also gets its
    ``event_message_model`` and the tagged-union validator that parses and validates
    a message in one pydantic-core call; all built here, once per class. Assigning a
    class's ``handlers`` (or attaching a function with ``on_event``) rebuilds them
    when they are next needed, not at once.
    """

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kwargs: Any
    ) -> HandlingEndpointMeta:
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        # Annotations of handlers in a function-local class may name the caller's locals.
        caller_locals = sys._getframe(1).f_locals
        inherited: dict[str, Handler] = {}
        for base in reversed(cls.__mro__[1:]):
            table = base.__dict__.get("_handler_table")
            if isinstance(base, HandlingEndpointMeta) and table is not None:
                inherited.update(table)
            else:  # a plain mixin: its marked methods are handlers of every endpoint using it
                inherited.update(_collect_handlers(base.__name__, base.__dict__, caller_locals))
        own = _collect_handlers(name, namespace, caller_locals)
        handlers = {event: h for event, h in inherited.items() if event not in own}
        handlers.update(own)
        _check_allowed_origins(name, getattr(cls, "allowed_origins", None))
        _check_sync_handler_threads(name, getattr(cls, "sync_handler_threads", 1))
        _check_max_groups(name, getattr(cls, "max_groups_per_connection", 1))
        _check_send_settings(cls)
        if "groups" in namespace:
            _check_groups(name, namespace["groups"])
            install(cls, "_default_groups", False)
        elif getattr(cls, "_default_groups", True):
            # A hub of its own, unless a base class chose one (which it then shares).
            install(cls, "groups", MemoryGroups())
        install(cls, "outgoing_counters", OutgoingCounters())
        _install_server_events(cls, name, namespace)
        install(cls, "_own_events", frozenset(own))
        cls._set_handlers(handlers)
        cls._build_validators()
        return cls

    def __setattr__(cls, name: str, value: Any) -> None:
        if name == "handlers":
            cls._set_handlers(_checked_handlers(cls, value))
            return
        if name == "allowed_origins":
            _check_allowed_origins(cls.__name__, value)
        if name == "sync_handler_threads":
            _check_sync_handler_threads(cls.__name__, value)
        if name == "max_groups_per_connection":
            _check_max_groups(cls.__name__, value)
        if name == "groups":
            _check_groups(cls.__name__, value)
            super().__setattr__("_default_groups", False)
        super().__setattr__(name, value)
        if name in _SEND_SETTINGS:
            _check_send_settings(cls)

    def _set_handlers(cls, table: dict[str, Handler]) -> None:
        """Make ``table`` this class's handlers; its validators are rebuilt when next read."""
        install(cls, "handlers", HandlerTable(table))
        install(cls, "_handler_table", table)
        cls._validators_changed()

    def _validators_changed(cls) -> None:
        """Rebuild what depends on every handler when it is next read (O(1) now)."""
        install(
            cls,
            "event_message_model",
            LazyClassAttribute(cls, "event_message_model", _event_message_model),
        )
        install(
            cls, "_message_validator", LazyClassAttribute(cls, "_message_validator", _validator)
        )

    def _build_validators(cls) -> None:
        """Build what depends on every handler now: the first message must not wait for it."""
        install(cls, "event_message_model", _event_message_model(cls))
        install(cls, "_message_validator", _validator(cls))


def _install_server_events(cls: type, name: str, namespace: Mapping[str, Any]) -> None:
    """Give ``cls`` the events it declares (its own parameter's, else its bases')."""
    declared = declared_events(name, namespace.get("__orig_bases__", ()))
    if declared is None:
        return  # inherited, with _events_parameter
    models, parameter = declared
    for base in cls.__mro__[1:]:
        if (
            isinstance(base, HandlingEndpointMeta)
            and base.__dict__.get("_events_parameter", False) is None
            and set(base.__dict__["server_events"]) != set(models)
        ):
            raise TypeError(
                f"{name} declares its events again, but its base {base.__name__} declares "
                f"{', '.join(m.__qualname__ for m in base.__dict__['server_events'])} already; "
                "to vary the events, make the base generic in them "
                '(class Base(WebSocketHandlingEndpoint[E]) with E = TypeVar("E", bound=BaseModel)) '
                "and subclass Base[...]"
            )
    events = ServerEvents(name, models)
    install(cls, "server_events", models)
    install(cls, "_server_events", events)
    install(cls, "_event_serializers", events.serializers)
    install(cls, "_events_parameter", parameter)


def _check_allowed_origins(class_name: str, allowed: object) -> None:
    """Refuse an ``allowed_origins`` that isn't ``None`` or a collection of exact origins.

    A ``str`` is a collection too, of its characters: ``origin in "https://a.example"``
    would be a substring test that lets ``https://a.exampl`` in. Nothing is normalised.
    """
    if allowed is None:
        return
    if isinstance(allowed, (str, bytes)) or not isinstance(allowed, Collection):
        raise TypeError(
            f"{class_name}.allowed_origins must be None or a collection of origins such as "
            f'{{"https://example.com"}}, not {type(allowed).__name__} {allowed!r}'
        )
    wrong = [origin for origin in allowed if not isinstance(origin, str)]
    if wrong:
        raise TypeError(
            f"{class_name}.allowed_origins must hold origins as strings; "
            f"{wrong[0]!r} is {type(wrong[0]).__name__}"
        )


def _check_sync_handler_threads(class_name: str, threads: object) -> None:
    """Refuse a ``sync_handler_threads`` that isn't a positive ``int``."""
    if not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
        raise TypeError(
            f"{class_name}.sync_handler_threads must be a positive int, not {threads!r}"
        )


def _check_max_groups(class_name: str, limit: object) -> None:
    """Refuse a ``max_groups_per_connection`` that isn't a positive ``int``."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise TypeError(
            f"{class_name}.max_groups_per_connection must be a positive int, not {limit!r}"
        )


_SEND_SETTINGS = frozenset({"send_queue_size", "send_queue_policy", "send_timeout"})


def _check_send_settings(cls: type) -> None:
    check_send_settings(
        cls.__name__,
        getattr(cls, "send_queue_size", DEFAULT_SEND_QUEUE_SIZE),
        getattr(cls, "send_queue_policy", DEFAULT_SEND_QUEUE_POLICY),
        getattr(cls, "send_timeout", DEFAULT_SEND_TIMEOUT),
    )


def _check_groups(class_name: str, groups: object) -> None:
    """Refuse a ``groups`` that isn't a hub (``MemoryGroups()``, ``RedisGroups(url)``)."""
    if not isinstance(groups, Groups):
        hint = " (an instance, not the class)" if isinstance(groups, type) else ""
        raise TypeError(
            f"{class_name}.groups must be a socketsundso.groups hub such as MemoryGroups() or "
            f"RedisGroups(url){hint}, not {groups!r}"
        )


def _checked_handlers(cls: type, value: object) -> dict[str, Handler]:
    """``value`` as a class's handlers dict, or a ``TypeError`` naming what is wrong."""
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{cls.__name__}.handlers must be a dict of event names to Handler objects, "
            f"not {type(value).__name__}"
        )
    for event, handler in value.items():
        if not isinstance(handler, Handler) or handler.event != event:
            raise TypeError(
                f"{cls.__name__}.handlers[{event!r}] must be a Handler for event {event!r}, "
                f"not {handler!r}"
            )
    return dict(value)


def _event_message_model(cls: type) -> type[WebSocketEventMessage[Any]]:
    """A model of any message ``cls`` accepts: ``type`` is the ``Literal`` of its events."""
    events = tuple(cls.__dict__["_handler_table"])
    if not events:
        return WebSocketEventMessage
    return WebSocketEventMessage[Literal[events]]  # type: ignore[valid-type]


def _validator(cls: type) -> SchemaValidator:
    """The tagged union of ``cls``'s handler models: one pydantic-core call per message."""
    handlers: dict[str, Handler] = cls.__dict__["_handler_table"]
    return message_validator(handler.model for handler in handlers.values())


EventsT = TypeVar("EventsT", bound=BaseModel, default=Any)
"""The events an endpoint pushes on its own (``emit``, ``broadcast``): a model or a union.

Without a parameter it is ``Any``: the endpoint declares nothing and sends any model
or dict. ``Any`` also keeps a bare ``WebSocketHandlingEndpoint`` annotation
compatible with every parameterized subclass.
"""


class WebSocketHandlingEndpoint(Generic[EventsT], metaclass=HandlingEndpointMeta):
    """A JSON WebSocket API: each message's ``type`` picks a handler, its fields the arguments.

    Subclass it, decorate methods with ``socketsundso.on_event``, and route it like any
    Starlette endpoint (``WebSocketRoute("/ws", Chat)``, in FastAPI too:
    ``FastAPI(routes=[WebSocketRoute("/ws", Chat)])``). One instance serves one
    connection; ``self.websocket`` is its Starlette ``WebSocket``.

    Each message is parsed and validated against the handler's model in one step,
    handled, and answered with the handler's validated return value. Invalid
    messages get an ``{"errors": [...]}`` reply and the connection goes on; a
    handler that fails unexpectedly closes the connection with 1011.

    The type parameter declares the events the server pushes on its own:
    ``WebSocketHandlingEndpoint[Said | Left]`` sends ``Said`` and ``Left`` with
    ``emit`` and ``broadcast``, each a pydantic model with a ``type`` ``Literal``
    field of its own (checked when the class is made). Subclasses inherit it.
    """

    handlers: dict[str, Handler] = {}  # noqa: RUF012 (replaced per class, bound per instance)
    """Every event this class handles, mapped to its handler.

    On an instance, the same handlers bound to it, copied when the connection's code
    first reads ``self.handlers`` (a connection that never reads it costs no copy).
    """
    event_message_model: ClassVar[type[WebSocketEventMessage[Any]]] = WebSocketEventMessage
    """A message of any of this class's events: ``type`` is the ``Literal`` of them all."""
    max_message_size: ClassVar[int] = DEFAULT_MAX_MESSAGE_SIZE
    """Largest message accepted, in bytes (UTF-8 for text frames); larger ones get an error."""
    allowed_origins: ClassVar[Collection[str] | None] = None
    """``Origin`` headers a handshake may carry (exact, e.g. ``"https://example.com"``);
    others are refused with HTTP 403. ``None`` allows every origin: unsafe for apps
    that authenticate with cookies (cross-site WebSocket hijacking). A handshake
    without ``Origin`` (not from a browser) is allowed.
    """
    rate_limit: ClassVar[RateLimit | None] = None
    """Messages per second one connection may send; ``None``: no limit."""
    handler_timeout: ClassVar[float | None] = None
    """Seconds a handler may run before it is cancelled and the client told; ``None``: no limit."""
    idle_timeout: ClassVar[float | None] = None
    """Seconds without a message after which the connection is closed (1000); ``None``: never."""
    sync_handler_threads: ClassVar[int] = DEFAULT_SYNC_HANDLER_THREADS
    """Most sync handlers of this class running at once, over all its connections.

    They run in worker threads of their own, not in Starlette's shared pool of 40
    (which sync routes and ``FileResponse`` use): a slow sync handler can't starve the
    rest of the application. Each class (a subclass too) has its own count.
    """
    groups: ClassVar[Groups]
    """Where this class's groups live (``join``, ``leave``, ``broadcast``).

    By default a ``MemoryGroups()`` of the class's own (a subclass gets another): groups
    within this process. ``RedisGroups(url)`` reaches every worker process sharing the
    Redis server. A hub set on a class is shared by its subclasses.
    """
    max_groups_per_connection: ClassVar[int] = DEFAULT_MAX_GROUPS_PER_CONNECTION
    """Most groups one connection may be a member of at once; ``join`` past it raises
    ``TooManyGroups`` (from a handler, the client gets ``too_many_groups``)."""
    send_queue_size: ClassVar[int] = DEFAULT_SEND_QUEUE_SIZE
    """Broadcast messages one connection may have queued before ``send_queue_policy`` acts."""
    send_queue_policy: ClassVar[SendQueuePolicy] = DEFAULT_SEND_QUEUE_POLICY
    """What a broadcast does to a connection whose queue is full: ``"close"`` it with 1013
    Try Again Later, or ``"drop_oldest"`` queued message. Logged once per connection, and
    counted in ``outgoing_counters``."""
    send_timeout: ClassVar[float] = DEFAULT_SEND_TIMEOUT
    """Seconds a client's socket may accept nothing before the connection is given up
    (closed with 1013, its groups left, ``on_disconnect`` called, its task ended)."""
    outgoing_counters: ClassVar[OutgoingCounters]
    """Drops and slow-client closes of this class's connections in this process."""
    server_events: ClassVar[tuple[type[BaseModel], ...]] = ()
    """The event models this class declares it pushes (its type parameter), in order.

    Empty when it declares none: then ``emit`` and ``broadcast`` send any model or dict.
    """

    _own_events: ClassVar[frozenset[str]] = frozenset()
    _server_events: ClassVar[ServerEvents] = ServerEvents("WebSocketHandlingEndpoint", ())
    #: ``_server_events.serializers``, for emit's hot path (each connection copies the
    #: reference: the quicker lookup).
    _event_serializers: Mapping[type, Callable[..., bytes]] = {}
    _events_parameter: ClassVar[Any] = None
    _default_groups: ClassVar[bool] = True
    _handler_table: dict[str, Handler]
    _message_validator: ClassVar[SchemaValidator]

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            raise TypeError(
                f"{type(self).__name__} is a WebSocket endpoint; it can't serve a "
                f"{scope['type']!r} scope (route it with WebSocketRoute or websocket_route)"
            )
        self.scope = scope
        self.receive = receive
        self.send = send
        self.websocket = WebSocket(scope, receive=receive, send=send)
        self._outbox = Outbox(send, cast("OutgoingSettings", type(self)))
        # The class's, read by every emit: from the instance, the quicker lookup.
        self._event_serializers = self._event_serializers

    def __await__(self) -> Generator[Any, None, None]:
        return self.dispatch().__await__()

    @overload
    @classmethod
    def on_event(cls, event: F, /) -> F: ...
    @overload
    @classmethod
    def on_event(
        cls, event: str | None = None, response_model: type[ResponseModelT] | None = None
    ) -> EventDecorator[ResponseModelT]: ...
    @classmethod
    def on_event(
        cls,
        event: Callable[..., Any] | str | None = None,
        response_model: type[BaseModel] | None = None,
    ) -> Callable[..., Any] | EventDecorator[Any]:
        """Attach a function to this class (and subclasses made later) as a handler.

        Same arguments as ``socketsundso.on_event``. The function is called with the
        message's fields only (no endpoint instance) and is returned unchanged.
        """
        decorator = EventDecorator(None if callable(event) else event, response_model)
        caller_locals = sys._getframe(1).f_locals

        def attach(function: F) -> F:
            spec: EventSpec = getattr(decorator(function), SPEC_ATTRIBUTE)
            if spec.event in cls._own_events:
                raise TypeError(
                    f"{cls.__name__} already has its own handler for event {spec.event!r}: "
                    f"{cls.handlers[spec.event].method.__name__}()"
                )
            handler = Handler(spec.event, function, spec.response_model, localns=caller_locals)
            # In place and O(1): the validators are rebuilt once, when next needed.
            cls._handler_table[spec.event] = handler
            cls._own_events = cls._own_events | {spec.event}
            type(cls)._validators_changed(cls)
            return function

        return attach(event) if callable(event) else attach

    async def dispatch(self) -> None:
        """Run the connection: ``on_connect``, then each message in turn, then ``on_disconnect``.

        Starlette calls this; you shouldn't need to. A handshake from an ``Origin`` not
        in ``allowed_origins`` is refused (HTTP 403) before ``on_connect``. Messages are
        handled one at a time, in arrival order. A message that is invalid JSON, too
        large, over the rate limit, of an unknown event, with fields its handler
        rejects, or whose handler runs past ``handler_timeout`` is answered through
        ``send_exception`` and the connection goes on. ``WebSocketException`` from a
        handler closes with its code; any other exception is logged and closes with
        1011, and the client is told nothing about it. A client that doesn't keep up
        with what is sent to it (see ``send_queue_size`` and ``send_timeout``) is given
        up: closed with 1013, out of its groups at once. However the connection ends,
        it leaves every group it joined before ``on_disconnect`` runs.
        """
        if not self._origin_allowed():
            await self.websocket.close(code=status.WS_1008_POLICY_VIOLATION)
            return
        outbox = self._outbox
        outbox.watch()
        close_code = status.WS_1000_NORMAL_CLOSURE
        try:
            outbox.running = True
            try:
                close_code = await self._run()
            except asyncio.CancelledError:
                if not outbox.cancelled_run():
                    close_code = await self._close_code_after_cancel()
                    raise
            finally:
                outbox.running = False
            if outbox.gave_up:
                # A slow client, given up on by its outgoing path: close, briefly, and end.
                close_code = SLOW_CONSUMER_CLOSE
                with anyio.move_on_after(_SLOW_CLOSE_WAIT):
                    await self._close(close_code, outbox.end_reason)
                self.websocket.application_state = WebSocketState.DISCONNECTED
        finally:
            outbox.close(close_code)  # before on_disconnect: nothing can cancel us after this
            await self.on_disconnect(close_code)

    async def _run(self) -> int:
        """``on_connect`` and the message loop; return the close code however they end."""
        websocket = self.websocket
        try:
            await self.on_connect()
            if websocket.application_state is WebSocketState.DISCONNECTED:
                return status.WS_1000_NORMAL_CLOSURE
            return await self._message_loop()
        except WebSocketDisconnect as exc:
            return await self._close_code_after_disconnect(exc.code)
        except WebSocketException as exc:
            await self._close(exc.code, exc.reason)
            return exc.code
        except Exception:
            return await self._fail()

    async def _close_code_after_disconnect(self, code: int) -> int:
        """The close code when a send raised ``WebSocketDisconnect`` (with ``code``)."""
        outbox = self._outbox
        if outbox.gave_up:  # given up on as a slow client: dispatch() closes
            return SLOW_CONSUMER_CLOSE
        if outbox.end_code is None and not self._disconnected():
            # A send to some other connection failed: a bug of the handler, not ours.
            return await self._fail()
        return await self._client_close_code(code)

    async def _message_loop(self) -> int:
        """Receive and handle messages until the client leaves; return the close code.

        This is the hot path: the common case (a valid message) costs one
        pydantic-core call to parse and validate, ``on_receive``, and nothing else;
        the rarer cases live in helpers.
        """
        # The raw ASGI receive: Starlette's WebSocket.receive re-checks its state machine
        # on every call; this loop keeps self.websocket's state up to date itself.
        receive = self.receive if self.idle_timeout is None else self._receive_or_idle
        validate_json = self._message_validator.validate_json
        on_receive = self.on_receive
        handler_timeout = self.handler_timeout
        bucket = TokenBucket(self.rate_limit) if self.rate_limit is not None else None
        # A str of n code points is n to 4n bytes of UTF-8: measure only when in doubt.
        size_in_doubt = self.max_message_size // 4
        while True:
            if bucket is not None:
                bucket.waiting()
            message = await receive()
            if message["type"] != "websocket.receive":
                if message["type"] == "websocket.disconnect":
                    self.websocket.client_state = WebSocketState.DISCONNECTED
                    return _close_code_of(message)
                continue
            data = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            if bucket is not None and not bucket.take():
                if bucket.abusive:
                    await self._close(status.WS_1008_POLICY_VIOLATION, "rate limit exceeded")
                    return status.WS_1008_POLICY_VIOLATION
                error = MessageError.rate_limited(bucket.limit.per_second)
                error.request_id = request_id_of(data)
                await self.send_exception(error)
                continue
            if len(data) > size_in_doubt and await self._reject_if_too_large(data):
                continue
            try:
                event_message = validate_json(data)
            except ValidationError as exc:
                error = InvalidMessage.from_envelope(exc, self._handler_table)
                error.request_id = take_rejected_id()
                await self.send_exception(error)
                continue
            if event_message.__pydantic_extra__:  # kept by the validator, refused here
                error = InvalidMessage.unknown_keys(event_message.__pydantic_extra__)
                error.request_id = event_message.id
                await self.send_exception(error)
                continue
            if handler_timeout is not None:
                await self._handle_with_timeout(event_message, handler_timeout)
                continue
            try:
                await on_receive(event_message)
            except _CLIENT_ERRORS as exc:
                await self._answer_error(exc, event_message)

    async def _receive_or_idle(self) -> Message:
        """The next ASGI message; after ``idle_timeout`` seconds without one, close (1000)."""
        with anyio.move_on_after(self.idle_timeout):
            return await self.websocket.receive()
        await self._close(status.WS_1000_NORMAL_CLOSURE, "idle timeout")
        return {"type": "websocket.disconnect", "code": status.WS_1000_NORMAL_CLOSURE}

    async def _handle_with_timeout(
        self, event_message: WebSocketEventMessage[Any], seconds: float
    ) -> None:
        """``on_receive`` under ``handler_timeout``: past it, cancel and tell the client."""
        try:
            with anyio.move_on_after(seconds) as deadline:
                await self.on_receive(event_message)
            if deadline.cancelled_caught:
                raise MessageError.handler_timeout(event_message.type, seconds)
        except _CLIENT_ERRORS as exc:
            await self._answer_error(exc, event_message)

    async def _answer_error(
        self, exc: Exception, event_message: WebSocketEventMessage[Any]
    ) -> None:
        """Answer a message whose handling raised one of ``_CLIENT_ERRORS``."""
        error: MessageError | ResponseError
        if isinstance(exc, MessageError):
            error = exc
        elif isinstance(exc, ValidationError):
            error = InvalidMessage.from_validation_error(exc)
        else:
            logger.error(
                "%s could not answer a %r message",
                type(self).__qualname__,
                event_message.type,
                exc_info=exc,
            )
            error = ResponseError()
        if self.websocket.application_state is WebSocketState.CONNECTED:
            error.request_id = event_message.id
            await self.send_exception(error)

    async def _reject_if_too_large(self, data: str | bytes) -> bool:
        """Answer ``message_too_large`` for a frame over ``max_message_size``; say if it was."""
        size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
        if size <= self.max_message_size:
            return False
        await self.send_exception(InvalidMessage.too_large(size, self.max_message_size))
        return True

    async def _client_close_code(self, fallback: int) -> int:
        """The code the client closed with, after a send found it gone (else ``fallback``).

        The server queues the client's close behind the messages not yet read; drain
        them, briefly, to tell ``on_disconnect`` the real code.
        """
        websocket = self.websocket
        with anyio.move_on_after(_CLOSE_CODE_WAIT):
            while websocket.client_state is WebSocketState.CONNECTED:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return _close_code_of(message) if message.get("code") else fallback
        return fallback

    async def _close_code_after_cancel(self) -> int:
        """The close code of a connection cancelled from outside, as the server reported it.

        A server that gives up waiting for its connections at shutdown (uvicorn's
        graceful-shutdown timeout) cancels them after queueing a close (1012 Service
        Restart for uvicorn): read it, briefly and shielded. Without one, 1001 (going
        away): the server, not the client, ended the connection.
        """
        with anyio.CancelScope(shield=True), anyio.move_on_after(_CANCELLED_CLOSE_WAIT):
            while True:
                message = await self.receive()
                if message["type"] == "websocket.disconnect":
                    self.websocket.client_state = WebSocketState.DISCONNECTED
                    return _close_code_of(message)
        return status.WS_1001_GOING_AWAY

    def _origin_allowed(self) -> bool:
        allowed = self.allowed_origins
        if allowed is None:
            return True
        origin = self.websocket.headers.get("origin")
        return origin is None or origin in allowed

    def _disconnected(self) -> bool:
        websocket = self.websocket
        return (
            websocket.application_state is WebSocketState.DISCONNECTED
            or websocket.client_state is WebSocketState.DISCONNECTED
        )

    async def _fail(self) -> int:
        """Log the exception being handled and close with 1011; return that code."""
        logger.exception("%s failed while handling a message", type(self).__qualname__)
        await self._close(status.WS_1011_INTERNAL_ERROR)
        return status.WS_1011_INTERNAL_ERROR

    async def _close(self, code: int, reason: str | None = None) -> None:
        if self.websocket.application_state is WebSocketState.DISCONNECTED:
            return
        try:
            await self.websocket.close(code=code, reason=reason)
        except Exception:  # the peer is gone already: nothing left to tell it
            logger.debug("Closing %s with %s failed", type(self).__qualname__, code, exc_info=True)

    async def on_connect(self) -> None:
        """Called when a client connects; accepts the connection.

        Override to authenticate or pick a subprotocol. To refuse, raise
        ``starlette.exceptions.WebSocketException(code)`` (or close the websocket
        without accepting it).
        """
        await self.websocket.accept()

    async def on_receive(self, message: WebSocketEventMessage[Any]) -> None:
        """Called for each valid message: run its handler and send what it returns.

        ``message`` is an instance of the handler's ``model`` on the dispatch path.
        Override to wrap every message (logging, metrics, authorization by event).
        """
        # The instance's own table if its code read or assigned self.handlers, else the class's.
        handlers = self._handler_table
        handler = handlers.get(message.type)
        if handler is None:
            raise InvalidMessage.unknown_event(message.type, handlers)
        # handle_for(), without its coroutine: this runs for every message.
        response = handler.answer(await handler.call(self, message))
        if response is None or self.websocket.application_state is not _CONNECTED:
            return
        if message.id is None:
            await self.send_json(response)
        else:
            reply = response.model_dump(mode="json", by_alias=True)
            reply["id"] = message.id
            await self.send_json(reply)

    async def on_disconnect(self, close_code: int) -> None:
        """Called once when the connection ends, with its close code. Override to clean up."""

    def send_json(self, response: Any) -> Coroutine[Any, Any, None]:
        """Serialize ``response`` with pydantic's JSON serializer and send it as one text frame.

        Models are dumped by alias; anything else pydantic can serialize (dicts,
        dataclasses, datetimes, enums, UUIDs) goes too. Await it (``await
        self.send_json(...)``); an override may be an ``async def``. It serializes at
        once and returns the send's coroutine: one coroutine per message, not two.
        """
        # A model's own serializer: model_dump_json() without its Python-level argument
        # handling, found without isinstance(), which pydantic's metaclass makes costly
        # (and read off the instance: on the class, the metaclass slows the lookup too).
        try:
            text = response.__pydantic_serializer__.to_json(response, by_alias=True).decode()
        except AttributeError:  # not a model (a dict, a dataclass, ...)
            text = to_json(response, by_alias=True).decode()
        return self._send_text(text)

    def emit(self, event: EventsT | Mapping[str, object]) -> Coroutine[Any, Any, None]:
        """Send ``event``, one of the events this class declares, to this connection.

        An instance of a declared model is serialized as it is (no second validation);
        a dict is validated against the declared events (by its ``type``) first. Anything
        else (a model the class doesn't declare, a dict that fits no event) is a bug on
        the server: ``socketsundso.exceptions.EventError``, which from a handler is
        logged and answered with a generic ``internal_error`` entry while the
        connection goes on. Without declared events, any model or dict goes, as with
        ``send_json``. Ordered with replies and broadcasts, like ``send_json``; await it
        (it checks and serializes at once and returns the send's coroutine).
        """
        # ServerEvents.text's first step, inline: this runs for every event.
        to_json = self._event_serializers.get(type(event))
        if to_json is not None:  # a declared model: its own serializer, bound
            text = to_json(event, by_alias=True).decode()
        else:
            text = self._server_events.text(event, type(self), "emit")
        return self._send_text(text)

    async def _send_text(self, text: str) -> None:
        """Send one JSON text frame, in turn with what the outbox has queued."""
        websocket = self.websocket
        if websocket.application_state is not _CONNECTED:
            await websocket.send({"type": "websocket.send", "text": text})  # raises as Starlette
            return
        outbox = self._outbox
        if not outbox.free:
            try:
                await outbox.send_in_turn(text)  # behind the broadcasts queued before it
            except OSError:  # the writer found the socket gone
                websocket.application_state = WebSocketState.DISCONNECTED
                raise WebSocketDisconnect(code=status.WS_1006_ABNORMAL_CLOSURE) from None
            return
        # The outbox's direct send (see socketsundso.outgoing.Outbox), inline: it runs for
        # every reply. What WebSocket.send does for a connected socket, without its dispatch.
        outbox.free = False
        try:
            await outbox.asgi_send({"type": "websocket.send", "text": text})
        except OSError:
            websocket.application_state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(code=status.WS_1006_ABNORMAL_CLOSURE) from None
        finally:
            outbox.free = True
            outbox.progress = True
        if outbox.queue:
            outbox.write_queued()
        if outbox.sends_left > 1:  # outbox.step(), without a coroutine
            outbox.sends_left -= 1
        else:
            await outbox.step()

    async def join(self, group: str, *, since: Position | None = None) -> Membership:
        """Make this connection a member of ``group`` of this class's ``groups`` hub.

        From a handler or ``on_connect`` (after the connection is accepted). Joining a
        group twice is joining it once. The connection leaves every group when it ends,
        however it ends. Returns a ``socketsundso.groups.Membership``: when the hub
        keeps history, the group's position, and with ``since`` (the last position the
        client got) whether every message after it was replayed to this connection
        first (``recovered``), or why not (``reason``). A name of the wrong length raises
        ``socketsundso.groups.InvalidGroupName``, a join past
        ``max_groups_per_connection`` raises ``socketsundso.groups.TooManyGroups``: from
        a handler, the client gets ``group_name_invalid`` or ``too_many_groups`` and the
        connection goes on. Every ``YIELD_EVERY`` joins (and sends) yield to the event loop.
        """
        outbox = self._outbox
        if self.websocket.application_state is not _CONNECTED or outbox.end_code is not None:
            raise RuntimeError(
                f"{type(self).__qualname__}.join({group!r:.80}): the connection is not open "
                "(join from a handler, or from on_connect after accepting)"
            )
        check_group_name(group)
        if since is not None and not isinstance(since, Position):
            raise TypeError(
                f"{type(self).__qualname__}.join: since must be a socketsundso.groups.Position "
                f"or None, not {type(since).__name__}"
            )
        joined = outbox.groups
        if joined is None:
            joined = outbox.groups = set()
        hub = outbox.settings.groups
        if group in joined:  # a member already: it has had every message since it joined
            return await hub.join(group, outbox)
        if len(joined) >= self.max_groups_per_connection:
            raise TooManyGroups(self.max_groups_per_connection)
        # Known before the hub's join (which may wait for a broker): a connection that ends
        # meanwhile leaves it too.
        joined.add(group)
        try:
            membership = await hub.join(group, outbox, since=since)
        except BaseException:
            if outbox.groups is not None:
                outbox.groups.discard(group)
            hub.leave_all((group,), outbox)
            raise
        if outbox.end_code is not None:  # ended while joining: its groups were left already
            hub.leave_all((group,), outbox)
        await outbox.step()
        return membership

    async def leave(self, group: str) -> None:
        """Stop being a member of ``group``; leaving a group one isn't in does nothing.

        A name of the wrong length raises ``socketsundso.groups.InvalidGroupName``, as
        ``join`` does.
        """
        check_group_name(group)
        outbox = self._outbox
        if outbox.groups and group in outbox.groups:
            outbox.groups.discard(group)
            await outbox.settings.groups.leave(group, outbox)

    @property
    def joined_groups(self) -> frozenset[str]:
        """The groups this connection is a member of."""
        return frozenset(self._outbox.groups or ())

    @classmethod
    async def broadcast(cls, group: str, message: EventsT | Mapping[str, object]) -> None:
        """Send ``message`` to every member of ``group``, on every worker the hub reaches.

        ``message`` is what ``emit`` takes: one of the events this class declares (any
        model or dict when it declares none), checked as ``emit`` checks it (else
        ``socketsundso.exceptions.EventError``). It is serialized once, whatever the
        number of members. The call never waits for a member's
        socket: each member's outgoing queue gets the text (see ``send_queue_size``).
        Works from a handler (``self.broadcast(...)``) and outside any connection (an
        HTTP route, a background task). When the hub can't reach other workers it
        raises ``socketsundso.groups.BroadcastUnavailable`` (from a handler, the client
        gets a ``broadcast_unavailable`` error reply); members in this process got the
        message all the same. A group name of the wrong length raises
        ``socketsundso.groups.InvalidGroupName`` (``group_name_invalid``), as ``join`` does.
        """
        group = check_group_name(group)
        text = cls._server_events.text(message, cls, "broadcast")
        await cls.groups.broadcast(group, text)

    async def send_exception(self, exc: Exception) -> None:
        """Tell the client about ``exc`` as ``{"errors": [...]}``, via ``send_json``.

        Validation errors go in pydantic's shape (``type``, ``loc``, ``msg``, maybe
        ``ctx``), without URLs or the input; any other exception as a generic
        ``internal_error`` entry, never its text. The message's request id, if it had
        one, goes along as ``id``. Override to format differently.
        """
        reply: dict[str, Any] = {"errors": errors_for_client(exc)}
        request_id = getattr(exc, "request_id", None)
        if request_id is not None:
            reply["id"] = request_id
        await self.send_json(reply)


# The type variable subclasses fill in: what declared_events() reads a parameter of.
install(WebSocketHandlingEndpoint, "_events_parameter", WebSocketHandlingEndpoint.__parameters__[0])  # type: ignore[attr-defined]
