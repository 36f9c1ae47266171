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

__all__ = [
    "bare_app",
    "emit_dict_app",
    "emit_model_app",
    "handwritten_app",
    "send_json_model_app",
    "socketsundso_app",
    "validate_then_send_app",
]


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


# --- Server events: emit against send_json (``bench/runtime.py --emit``) --------------------
# Each handler answers with one event frame of its own instead of a reply, the same fields.


class Echoed(BaseModel):
    """The event the emitting systems push: the echo reply's fields, ``type`` included."""

    type: Literal["echo"] = "echo"
    text: str
    n: int
    tags: list[str]


class SendJsonModel(WebSocketHandlingEndpoint):
    """The baseline: a model made in the handler, sent with ``send_json``."""

    @on_event
    async def echo(self, text: str, n: int, tags: list[str]) -> None:
        await self.send_json(Echoed(text=text, n=n, tags=tags))


class EmitModel(WebSocketHandlingEndpoint[Echoed]):
    """The same model sent with ``emit``: checked as declared, not validated again."""

    @on_event
    async def echo(self, text: str, n: int, tags: list[str]) -> None:
        await self.emit(Echoed(text=text, n=n, tags=tags))


class ValidateThenSend(WebSocketHandlingEndpoint):
    """The dict baseline: one validation (``model_validate``) and one serialization."""

    @on_event
    async def echo(self, text: str, n: int, tags: list[str]) -> None:
        await self.send_json(
            Echoed.model_validate({"type": "echo", "text": text, "n": n, "tags": tags})
        )


class EmitDict(WebSocketHandlingEndpoint[Echoed]):
    """A dict sent with ``emit``: validated against the declared events, then serialized."""

    @on_event
    async def echo(self, text: str, n: int, tags: list[str]) -> None:
        await self.emit({"type": "echo", "text": text, "n": n, "tags": tags})


async def send_json_model_app(scope: Scope, receive: Receive, send: Send) -> None:
    await SendJsonModel(scope, receive, send)


async def emit_model_app(scope: Scope, receive: Receive, send: Send) -> None:
    await EmitModel(scope, receive, send)


async def validate_then_send_app(scope: Scope, receive: Receive, send: Send) -> None:
    await ValidateThenSend(scope, receive, send)


async def emit_dict_app(scope: Scope, receive: Receive, send: Send) -> None:
    await EmitDict(scope, receive, send)
