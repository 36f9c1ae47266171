"""The events and the endpoint the other sources share: ``Chat`` pushes ``Said`` and ``Left``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from typing_extensions import TypeVar

from socketsundso import WebSocketHandlingEndpoint, on_event

E = TypeVar("E", bound=BaseModel)


class Said(BaseModel):
    """Someone said something in a room."""

    type: Literal["said"] = "said"
    room: str
    text: str


class Left(BaseModel):
    """Someone left a room."""

    type: Literal["left"] = "left"
    room: str


class Other(BaseModel):
    """An event ``Chat`` does not declare."""

    type: Literal["other"] = "other"


class Chat(WebSocketHandlingEndpoint[Said | Left]):
    """Pushes ``Said`` and ``Left``; handles ``say``."""

    @on_event
    async def on_say(self, room: str, text: str) -> None:
        await self.broadcast(room, Said(room=room, text=text))


def events_of(endpoint: type[WebSocketHandlingEndpoint[E]]) -> type[E]:
    """What a checker infers an endpoint class's events to be (only its type matters)."""
    raise NotImplementedError
