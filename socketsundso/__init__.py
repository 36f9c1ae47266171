"""socketsundso: typed JSON WebSocket APIs on Starlette and FastAPI, validated by pydantic.

Write a ``WebSocketHandlingEndpoint`` subclass, decorate its methods with
``on_event``, and every incoming message is validated from the handler's own
signature, every answer validated and serialized, and every client error answered
without closing the connection.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .endpoints import HandlingEndpointMeta, WebSocketHandlingEndpoint
    from .exceptions import InvalidMessage, ResponseError
    from .handler import Handler, on_event
    from .models import WebSocketEventMessage

__all__ = [
    "Handler",
    "HandlingEndpointMeta",
    "InvalidMessage",
    "ResponseError",
    "WebSocketEventMessage",
    "WebSocketHandlingEndpoint",
    "on_event",
]

__version__ = "0.1.0"

#: The module defining each public name. They are imported on first use, so that
#: importing a submodule alone (``socketsundso.mypy``, which mypy loads as a plugin)
#: does not load Starlette and pydantic.
_MODULES = {
    "Handler": "handler",
    "HandlingEndpointMeta": "endpoints",
    "InvalidMessage": "exceptions",
    "ResponseError": "exceptions",
    "WebSocketEventMessage": "models",
    "WebSocketHandlingEndpoint": "endpoints",
    "on_event": "handler",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
