"""The systems the connection benchmark compares: endpoints of 1, 10, 100 and 500 handlers.

Each answers the echo message ``{"type":"echo","text":"hello world","n":3,"tags":["a","b"]}``
with the same fields; the other handlers (``e1`` ... ``eN``) exist only to make the API
bigger. Also a hand-written Starlette ``WebSocketEndpoint`` with one pydantic model, the
bar for the lifecycle of a connection. ``uvicorn connection_systems:APP`` serves any of them
(the reconnect storm does, with ``--app-dir bench``).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from runtime_systems import EchoMessage
from starlette.endpoints import WebSocketEndpoint
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from socketsundso import WebSocketHandlingEndpoint, on_event

__all__ = ["endpoint_with", "filler_function", "handwritten_app", "socketsundso_app"]


async def _echo(self: Any, text: str, n: int, tags: list[str]) -> dict[str, Any]:
    return {"text": text, "n": n, "tags": tags}


def filler_function(index: int, *, method: bool) -> Any:
    """A distinct handler function for event ``e{index}``: two fields, one with a default."""

    async def handler(self: Any, text: str, count: int = 0) -> dict[str, Any]:
        return {"text": text, "count": count + index}

    async def function(text: str, count: int = 0) -> dict[str, Any]:
        return {"text": text, "count": count + index}

    chosen = handler if method else function
    chosen.__name__ = chosen.__qualname__ = f"e{index}"
    return chosen


def endpoint_with(handlers: int, name: str | None = None) -> type[WebSocketHandlingEndpoint]:
    """An endpoint class of ``handlers`` handlers: ``echo`` and ``handlers - 1`` fillers."""
    namespace: dict[str, Any] = {"echo": on_event("echo")(_echo)}
    for index in range(1, handlers):
        namespace[f"e{index}"] = on_event(f"e{index}")(filler_function(index, method=True))
    return type(name or f"Echo{handlers}", (WebSocketHandlingEndpoint,), namespace)


ENDPOINTS = {count: endpoint_with(count) for count in (1, 10, 100)}


def socketsundso_app(handlers: int) -> Any:
    """The ASGI app of the endpoint with ``handlers`` handlers, as ``WebSocketRoute`` runs it."""
    endpoint = ENDPOINTS[handlers]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await endpoint(scope, receive, send)

    return app


class HandwrittenEcho(WebSocketEndpoint):
    """Starlette's own endpoint, written by hand: one pydantic model in, the same model out."""

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        try:
            model = EchoMessage.model_validate_json(data)
        except ValidationError as exc:
            await websocket.send_text('{"errors":' + exc.json(include_url=False) + "}")
            return
        await websocket.send_text(model.model_dump_json())


async def handwritten_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The hand-written endpoint as ``WebSocketRoute`` runs it."""
    await HandwrittenEcho(scope, receive, send)


# What uvicorn serves in the reconnect storm (``connection_systems:<name>``).
socketsundso_1 = WebSocketRoute("/ws", ENDPOINTS[1])
socketsundso_100 = WebSocketRoute("/ws", ENDPOINTS[100])
handwritten = WebSocketRoute("/ws", HandwrittenEcho)
