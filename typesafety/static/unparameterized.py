"""Without a parameter (the seed API) an endpoint declares nothing: any model or dict goes."""

from __future__ import annotations

from typing import Any

from chat import Other, Said

from socketsundso import WebSocketHandlingEndpoint, on_event


class Plain(WebSocketHandlingEndpoint):
    @on_event
    async def on_say(self, room: str, text: str) -> None:
        await self.emit(Said(room=room, text=text))
        await self.emit(Other())
        await self.emit({"anything": [1, 2]})
        await self.broadcast(room, Other())


class Explicit(WebSocketHandlingEndpoint[Any]):
    async def on_connect(self) -> None:
        await self.emit(Other())


async def outside() -> None:
    await Plain.broadcast("lobby", Said(room="lobby", text="hi"))
    await Plain.broadcast("lobby", {"type": "other"})
