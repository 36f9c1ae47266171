"""socketsundso: typed JSON WebSocket APIs on Starlette and FastAPI, validated by pydantic.

Write a ``WebSocketHandlingEndpoint`` subclass, decorate its methods with
``on_event``, and every incoming message is validated from the handler's own
signature, every answer validated and serialized, and every client error answered
without closing the connection.
"""

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
