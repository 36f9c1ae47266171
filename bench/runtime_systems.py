"""The systems the runtime benchmark compares, each an ASGI app answering the echo message.

All answer ``{"type":"echo","text":"hello world","n":3,"tags":["a","b"]}`` with the
same fields. Imported in the project's venv (pydantic v2, current Starlette).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from socketsundso import WebSocketHandlingEndpoint, on_event

__all__ = ["bare_app", "handwritten_app", "socketsundso_app"]


class Echo(WebSocketHandlingEndpoint):
    """socketsundso: one handler; the message is validated from its signature, the reply too."""

    @on_event
    async def echo(self, text: str, n: int, tags: list[str]) -> dict[str, Any]:
        """Answer with the fields received."""
        return {"text": text, "n": n, "tags": tags}


async def socketsundso_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The endpoint as Starlette's ``WebSocketRoute`` runs it: instantiate, then await."""
    await Echo(scope, receive, send)


class EchoMessage(BaseModel):
    """The hand-written loop's model of the echo message (unknown fields rejected, as above)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["echo"]
    text: str
    n: int
    tags: list[str]


async def handwritten_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The fast hand-written loop: one ``model_validate_json`` in, one ``model_dump_json`` out.

    Starlette's ``WebSocket``; invalid input gets an ``{"errors": [...]}`` frame and the
    connection goes on; the validated message is the reply.
    """
    websocket = WebSocket(scope, receive=receive, send=send)
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] != "websocket.receive":
            return
        data = message.get("text")
        if data is None:
            data = message.get("bytes") or b""
        try:
            model = EchoMessage.model_validate_json(data)
        except ValidationError as exc:
            await websocket.send_text('{"errors":' + exc.json(include_url=False) + "}")
            continue
        await websocket.send_text(model.model_dump_json())


async def bare_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The floor: raw ASGI calls, the frame's text sent back unparsed."""
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        await send({"type": "websocket.send", "text": message["text"]})
