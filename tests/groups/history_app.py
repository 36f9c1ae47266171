"""The app of the history tests: a room whose hub keeps history, served in a thread
(``MemoryGroups``) or by uvicorn worker processes (``RedisGroups`` on the test's Redis,
named in the environment variable ``REDIS_URL_VARIABLE``)."""

from __future__ import annotations

import os

from pydantic import BaseModel

from socketsundso import WebSocketHandlingEndpoint, on_event
from socketsundso.groups import Groups, History, Position, RedisGroups
from tests.hardening.apps import app_of

from .app import REDIS_URL_VARIABLE

__all__ = ["Entered", "app", "history_endpoint"]


class Entered(BaseModel):
    """The reply to ``enter``: what the join answered."""

    room: str
    position: Position | None
    recovered: bool
    reason: str | None


def history_endpoint(hub: Groups) -> type[WebSocketHandlingEndpoint]:
    """A room class on ``hub``: clients enter (resuming from a position) and say numbers."""

    class Room(WebSocketHandlingEndpoint):
        """Clients enter rooms, maybe since a position, and say numbered things to a room."""

        groups = hub

        @on_event
        async def enter(self, room: str, since: Position | None = None) -> Entered:
            """Join ``room`` (replaying what came after ``since``)."""
            joined = await self.join(room, since=since)
            return Entered(
                room=room,
                position=joined.position,
                recovered=joined.recovered,
                reason=joined.reason,
            )

        @on_event
        async def say(self, room: str, n: int) -> None:
            """Broadcast ``n`` to ``room``; no reply."""
            await self.broadcast(room, {"type": "said", "n": n})

        @on_event
        async def health(self) -> dict[str, object]:
            """Whether this worker's hub is connected to Redis and subscribed."""
            return {"healthy": type(self).groups.healthy}

    return Room


#: The app of a worker process: a room on the Redis the test named, 1,000 messages kept.
app = app_of(
    history_endpoint(
        RedisGroups(
            os.environ.get(REDIS_URL_VARIABLE, "redis://127.0.0.1:6379/0"),
            history=History(size=1000, ttl=float(os.environ.get("SOCKETSUNDSO_TEST_TTL", "60"))),
        )
    )
)
