"""The endpoint the generated-client tests talk to: every kind of field, reply and event.

``Desk`` files tickets (aliases, datetimes, enums, nested models, tuples, dicts),
echoes, sleeps (for timeouts), fails on purpose (error replies), and lets a
connection enter a room and post to it (server events reaching other members).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from socketsundso import InvalidMessage, WebSocketHandlingEndpoint, on_event
from socketsundso.groups import History, MemoryGroups, Position

__all__ = ["Desk", "HistoryDesk", "app"]


class Priority(str, Enum):
    """How soon a ticket needs an answer."""

    LOW = "low"
    HIGH = "high"


class Item(BaseModel):
    """One line of a ticket."""

    name: str
    quantity: int = 1


class Ticket(BaseModel):
    """The reply to ``file``: the ticket as the desk keeps it."""

    model_config = ConfigDict(populate_by_name=True)

    ticket_id: int = Field(alias="ticketId")
    items: list[Item]
    priority: Priority
    due: datetime | None
    position: tuple[int, str]
    labels: dict[str, int]


class Posted(BaseModel):
    """A line posted to a room, pushed to everyone in it."""

    type: Literal["posted"] = "posted"
    room: str
    text: str
    at: datetime


class Moved(BaseModel):
    """A room that moved or was renamed."""

    type: Literal["moved", "renamed"]
    room: str


class Desk(WebSocketHandlingEndpoint[Posted | Moved]):
    """A help desk: tickets, echoes, slow answers, errors and rooms."""

    @on_event(response_model=Ticket)
    async def on_file(
        self,
        *,
        room_name: Annotated[str, Field(alias="roomName")],
        items: list[Item],
        priority: Priority = Priority.LOW,
        due: datetime | None = None,
        labels: dict[str, int] | None = None,
        kind: Literal["bug", "question"] = "question",
    ) -> Ticket:
        """File a ticket in room ``roomName``."""
        return Ticket(
            ticket_id=len(room_name),
            items=items,
            priority=priority,
            due=due,
            position=(len(items), kind),
            labels=labels or {},
        )

    @on_event
    async def on_echo(self, n: int) -> dict[str, int]:
        """Answer with ``n``."""
        return {"n": n}

    @on_event
    async def on_slow(self, seconds: float, n: int = 0) -> dict[str, int]:
        """Answer with ``n`` after ``seconds``."""
        await asyncio.sleep(seconds)
        return {"n": n}

    @on_event
    async def on_refuse(self, why: str) -> dict[str, str]:
        """Always an error reply, about field ``why``."""
        raise InvalidMessage([{"type": "refused", "loc": ["why"], "msg": f"refused: {why}"}])

    @on_event
    async def on_enter(self, room: str) -> None:
        """Join ``room``'s group; no reply."""
        await self.join(f"room:{room}")

    @on_event
    async def on_post(self, room: str, text: str) -> None:
        """Push ``text`` to everyone in ``room``; no reply."""
        await self.broadcast(
            f"room:{room}", Posted(room=room, text=text, at=datetime(2026, 12, 6, 12, 0))
        )

    @on_event
    async def on_move(self, room: str) -> None:
        """Push a ``moved`` event to everyone in ``room``; no reply."""
        await self.broadcast(f"room:{room}", Moved(type="moved", room=room))


class Resumed(BaseModel):
    """The reply to ``resume``: where the room stands, and whether what was missed came."""

    group: str
    position: Position | None
    recovered: bool
    reason: str | None


class HistoryDesk(Desk):
    """``Desk`` whose rooms keep their last 100 posts: a client that comes back resumes."""

    groups = MemoryGroups(history=History(size=100, ttl=60))

    @on_event(response_model=Resumed)
    async def on_resume(self, room: str, since: Position | None = None) -> Resumed:
        """Join ``room``; with ``since``, get every post after it first."""
        membership = await self.join(f"room:{room}", since=since)
        return Resumed(
            group=membership.group,
            position=membership.position,
            recovered=membership.recovered,
            reason=membership.reason,
        )


app = Starlette(routes=[WebSocketRoute("/desk", Desk), WebSocketRoute("/history", HistoryDesk)])
