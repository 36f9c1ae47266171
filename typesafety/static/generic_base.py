"""A base generic in its events; each concrete subclass declares its own."""

from __future__ import annotations

from chat import Left, Other, Said, events_of
from pydantic import BaseModel
from typing_extensions import TypeVar, assert_type

from socketsundso import WebSocketHandlingEndpoint

E = TypeVar("E", bound=BaseModel)


class Room(WebSocketHandlingEndpoint[E]):
    """Shared behaviour; the events are the subclass's."""

    async def announce(self, event: E) -> None:
        await self.emit(event)
        await self.broadcast("lobby", event)
        await self.emit(Said(room="a", text="hi"))  # rejected: E may be any model


class Talk(Room[Said | Other]):
    async def on_connect(self) -> None:
        await self.emit(Other())
        await self.announce(Said(room="a", text="hi"))
        await self.emit(Left(room="a"))  # rejected: Talk declares Said and Other


class Quiet(Room[Left]):
    async def on_connect(self) -> None:
        await self.announce(Left(room="a"))
        await self.announce(Said(room="a", text="hi"))  # rejected: Quiet declares Left only


class Loose(Room):  # rejected: a generic base needs its events (mypy --strict, pyright strict)
    pass


async def outside() -> None:
    await Talk.broadcast("lobby", Other())
    await Quiet.broadcast("lobby", Other())  # rejected: Quiet declares Left only


def inferred() -> None:
    assert_type(events_of(Talk), type[Said | Other])
    assert_type(events_of(Quiet), type[Left])
