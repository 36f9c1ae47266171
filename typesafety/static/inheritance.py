"""A subclass without a parameter keeps its base's events."""

from __future__ import annotations

from chat import Chat, Left, Other, Said, events_of
from typing_extensions import assert_type


class Moderated(Chat):
    async def on_connect(self) -> None:
        await self.emit(Left(room="a"))
        await self.emit(Other())  # rejected: inherited events, Other is not one of them


async def broadcast() -> None:
    await Moderated.broadcast("lobby", Said(room="lobby", text="hi"))
    await Moderated.broadcast("lobby", Other())  # rejected: inherited events


def inferred() -> None:
    assert_type(events_of(Chat), type[Said | Left])
    assert_type(events_of(Moderated), type[Said | Left])
