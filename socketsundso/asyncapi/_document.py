"""Build an AsyncAPI 3.0 document from socketsundso endpoints and the routes that serve them."""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from pydantic import BaseModel
from starlette.routing import BaseRoute, Mount, WebSocketRoute

from .._server_events import type_values
from ..endpoints import WebSocketHandlingEndpoint
from ..handler import Handler
from ._schemas import JsonMode, SchemaSet, prune_schemas

__all__ = ["ASYNCAPI_VERSION", "Channel", "asyncapi_document", "channels_of"]

#: The AsyncAPI specification version of the documents made here.
ASYNCAPI_VERSION = "3.0.0"

#: Version of the AsyncAPI WebSockets bindings used for channels.
WS_BINDING_VERSION = "0.1.0"

#: ``{name}`` or ``{name:convertor}`` in a Starlette route path.
_PATH_PARAMETER = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::[A-Za-z_][A-Za-z0-9_]*)?}")

#: Characters kept in the keys of channels, operations and messages.
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")

_ERROR_MESSAGE = "#/components/messages/error"
_REQUEST_ID = "#/components/correlationIds/requestId"

#: The error reply every operation may answer with, in ``components.messages``.
_ERROR_REPLY: dict[str, Any] = {
    "name": "error",
    "title": "error reply",
    "summary": "The message could not be handled; the connection stays open.",
    "description": "Sent instead of a reply when a message is invalid (not JSON, too "
    "large, an unknown `type`, fields the handler rejects), over the rate limit, "
    "or when its handler timed out or failed to produce a valid answer. Each entry "
    "has pydantic's error shape.",
    "payload": SchemaSet.ERROR_REPLY,
    "correlationId": {"$ref": _REQUEST_ID},
}


@dataclass(frozen=True)
class Channel:
    """One route of an endpoint class: its Starlette path and the class that serves it."""

    path: str
    endpoint: type[WebSocketHandlingEndpoint]


def _is_endpoint(value: object) -> TypeGuard[type[WebSocketHandlingEndpoint]]:
    return isinstance(value, type) and issubclass(value, WebSocketHandlingEndpoint)


def channels_of(routes: Iterable[BaseRoute], prefix: str = "") -> list[Channel]:
    """Every ``WebSocketRoute`` to a socketsundso endpoint among ``routes``, mounts included."""
    found: list[Channel] = []
    for route in routes:
        if isinstance(route, WebSocketRoute) and _is_endpoint(route.endpoint):
            found.append(Channel(prefix + route.path, route.endpoint))
        elif isinstance(route, Mount):
            found.extend(channels_of(route.routes, prefix + route.path))
    return found


def _channels(source: object, path: str | None) -> list[Channel]:
    if _is_endpoint(source):
        if path is None:
            raise TypeError(
                f"asyncapi_document({source.__name__}) needs path=, the route path "
                "the endpoint is served on (e.g. path='/ws')"
            )
        return [Channel(path, source)]
    if path is not None:
        raise TypeError("path= is for an endpoint class; routes and apps carry their own paths")
    routes = getattr(source, "routes", source)
    if isinstance(routes, Iterable) and not isinstance(routes, (str, bytes, type)):
        routes = list(routes)
    if not isinstance(routes, list) or not all(isinstance(r, BaseRoute) for r in routes):
        raise TypeError(
            "asyncapi_document() takes a WebSocketHandlingEndpoint subclass (with path=), "
            f"a Starlette/FastAPI app, or a list of routes, not {_described(source)}"
        )
    channels = channels_of(routes)
    if not channels:
        raise ValueError(f"{source!r} routes no WebSocketHandlingEndpoint subclass")
    return channels


def _safe(name: str) -> str:
    """``name`` made fit for a key of the document: letters, digits, ``_`` and ``-``."""
    return _KEY_UNSAFE.sub("_", name).strip("_") or "root"


def _unique(stem: str, taken: Collection[str]) -> str:
    """``stem``, or ``stem_2``, ``stem_3``... whichever ``taken`` doesn't hold yet."""
    key, n = stem, 1
    while key in taken:
        n += 1
        key = f"{stem}_{n}"
    return key


def _docstring(obj: object) -> str | None:
    doc = obj.__doc__ if isinstance(obj, type) else inspect.getdoc(obj)
    return inspect.cleandoc(doc) if doc else None


def _pointer(*parts: str) -> str:
    escaped = (part.replace("~", "~0").replace("/", "~1") for part in parts)
    return "#/" + "/".join(escaped)


def _describe(target: dict[str, Any], doc: str | None) -> None:
    """Set ``summary`` (the docstring's first line) and ``description`` (all of it, if longer)."""
    if doc:
        target["summary"] = doc.splitlines()[0]
        if target["summary"] != doc:
            target["description"] = doc


def _message(handler: Handler, doc: str | None, payload: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"name": handler.event}
    _describe(message, doc)
    message["payload"] = payload
    message["correlationId"] = {"$ref": _REQUEST_ID}
    return message


def _event_parts(
    key: str, endpoint: type[WebSocketHandlingEndpoint], schemas: SchemaSet
) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The message and ``send`` operation of each event ``endpoint`` declares, by key.

    A key is ``<type>.event``, ``<type>`` the first value of the model's ``type``
    made safe (and unique among the class's events).
    """
    channel_ref = {"$ref": _pointer("channels", key)}
    parts: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    stems: list[str] = []
    for model in endpoint.server_events:
        # Never None: the class checked its events when it was made.
        values = type_values(model) or (model.__name__,)
        stems.append(_unique(_safe(values[0]), stems))
        event_key = f"{stems[-1]}.event"
        doc = _docstring(model)
        operation: dict[str, Any] = {"action": "send", "channel": channel_ref}
        _describe(operation, doc)
        operation["messages"] = [{"$ref": _pointer("channels", key, "messages", event_key)}]
        positioned = endpoint.groups.history is not None
        message = _event_message(values, doc, schemas.event(model, positioned=positioned))
        parts[event_key] = (message, operation)
    return parts


def _event_message(
    values: tuple[str, ...], doc: str | None, payload: dict[str, Any]
) -> dict[str, Any]:
    """The message of a server event: named by its ``type`` value(s), described by ``doc``."""
    message: dict[str, Any] = {"name": "|".join(values), "title": f"{' | '.join(values)} event"}
    if doc:
        message["description"] = doc
    message["payload"] = payload
    return message


def _channel_object(
    key: str, channel: Channel, schemas: SchemaSet
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The channel object of one route, and its operations by event key.

    Message keys: the event key (the event's name made safe and unique in the
    channel), ``<event key>.reply`` for its reply, ``error`` (or ``error_2``...) for
    the error reply, and ``<type>.event`` for each server event (no event key has a
    dot, so these never collide).
    """
    endpoint = channel.endpoint
    body: dict[str, Any] = {"address": _PATH_PARAMETER.sub(r"{\1}", channel.path)}
    body["title"] = endpoint.__name__
    doc = _docstring(endpoint)
    if doc:
        body["description"] = doc
    messages: dict[str, Any] = {}
    operations: dict[str, dict[str, Any]] = {}
    channel_ref = {"$ref": _pointer("channels", key)}
    event_keys: dict[str, str] = {}
    for event in endpoint.handlers:
        event_keys[event] = _unique(_safe(event), event_keys.values())
    error_key = _unique("error", event_keys.values())
    error_ref = {"$ref": _pointer("channels", key, "messages", error_key)}
    for handler in endpoint.handlers.values():
        event_key = event_keys[handler.event]
        doc = _docstring(handler.method)
        messages[event_key] = _message(handler, doc, schemas.message(handler.model))
        replies = []
        if handler.replies:
            reply_key = f"{event_key}.reply"
            messages[reply_key] = _message(
                handler,
                f"The answer to a `{handler.event}` message.",
                schemas.reply(handler.response_model),
            )
            replies.append({"$ref": _pointer("channels", key, "messages", reply_key)})
        operation: dict[str, Any] = {"action": "receive", "channel": channel_ref}
        _describe(operation, doc)
        operation["messages"] = [{"$ref": _pointer("channels", key, "messages", event_key)}]
        operation["reply"] = {"channel": channel_ref, "messages": [*replies, error_ref]}
        operations[event_key] = operation
    messages[error_key] = {"$ref": _ERROR_MESSAGE}
    for event_key, (message, operation) in _event_parts(key, endpoint, schemas).items():
        messages[event_key] = message
        operations[event_key] = operation
    body["messages"] = messages
    parameters = _PATH_PARAMETER.findall(channel.path)
    if parameters:
        body["parameters"] = {
            name: {"description": f"The `{name}` segment of the path."} for name in parameters
        }
    body["bindings"] = {"ws": {"bindingVersion": WS_BINDING_VERSION}}
    return body, operations


def _schema_pairs(channels: list[Channel]) -> Iterator[tuple[type[BaseModel], JsonMode]]:
    """Every model the channels receive or send, in its mode; server events last."""
    for channel in channels:
        for handler in channel.endpoint.handlers.values():
            yield handler.model, "validation"
            yield handler.response_model, "serialization"
    for channel in channels:
        for model in channel.endpoint.server_events:
            yield model, "serialization"


def asyncapi_document(
    source: object,
    *,
    path: str | None = None,
    title: str | None = None,
    version: str = "0.1.0",
    description: str | None = None,
    servers: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of a WebSocket API, as a JSON-ready dict.

    ``source`` is a ``WebSocketHandlingEndpoint`` subclass with the ``path`` it is
    routed on, or a Starlette/FastAPI app (or a list of its routes), whose
    ``WebSocketRoute`` entries to endpoint classes are found, inside ``Mount`` too.
    Each route becomes a channel; each handler a ``receive`` operation whose message
    is the handler's ``model`` (``type`` a ``const``), and whose reply is either the
    handler's response model or the error reply ``{"errors": [...]}``. A handler
    annotated ``-> None`` has only the error reply. Every message, reply and error
    reply may carry the request ``id``. Each event the class declares it pushes
    (``WebSocketHandlingEndpoint[Said | Left]``) is a ``send`` operation whose
    message is the event's model as it is serialized. Docstrings become summaries
    and descriptions; the schemas are pydantic's own, collected in
    ``components.schemas``.

    ``title`` defaults to the endpoint's class name (for one endpoint), ``servers``
    is copied as it is (AsyncAPI server objects by name). The result depends only
    on the classes, so it can be committed and diffed in CI.
    """
    channels = _channels(source, path)
    keys: list[str] = []
    for channel in channels:
        keys.append(_unique(_safe(_PATH_PARAMETER.sub(r"\1", channel.path)), keys))
    schemas = SchemaSet(_schema_pairs(channels))
    endpoints = list(dict.fromkeys(channel.endpoint for channel in channels))
    info: dict[str, Any] = {
        "title": title or (endpoints[0].__name__ if len(endpoints) == 1 else "WebSocket API"),
        "version": version,
    }
    doc = description or (_docstring(endpoints[0]) if len(endpoints) == 1 else None)
    if doc:
        info["description"] = doc
    document: dict[str, Any] = {"asyncapi": ASYNCAPI_VERSION, "info": info}
    if servers:
        document["servers"] = {name: dict(server) for name, server in servers.items()}
    document["defaultContentType"] = "application/json"
    document["channels"] = {}
    document["operations"] = {}
    for key, channel in zip(keys, channels, strict=True):
        body, operations = _channel_object(key, channel, schemas)
        document["channels"][key] = body
        for event_key, operation in operations.items():
            document["operations"][event_key if len(channels) == 1 else f"{key}.{event_key}"] = (
                operation
            )
    document["components"] = {
        "schemas": schemas.schemas,
        "messages": {"error": copy.deepcopy(_ERROR_REPLY)},
        "correlationIds": {
            "requestId": {
                "description": "The optional `id` a client puts in a message; the reply "
                "and any error reply it causes carry the same `id`.",
                "location": "$message.payload#/id",
            }
        },
    }
    prune_schemas(document)
    return document


def _described(value: object) -> str:
    """What ``value`` is, for an error message: its kind first, then its (short) repr."""
    kind = "class" if isinstance(value, type) else f"{type(value).__name__} object"
    shown = repr(value)
    return f"a {kind}: {shown[:80]}{'...' if len(shown) > 80 else ''}"
