"""The app each uvicorn worker process of ``test_workers.py`` serves.

A chat room whose group hub is ``RedisGroups`` on the Redis the test started: the test
names it in the environment variable ``REDIS_URL_VARIABLE`` of each worker process.
"""

from __future__ import annotations

import os

from socketsundso import WebSocketHandlingEndpoint, on_event
from socketsundso.groups import RedisGroups
from tests.hardening.apps import app_of

__all__ = ["REDIS_URL_VARIABLE", "Room", "app", "room_endpoint"]

#: The environment variable that holds the URL of the Redis the workers share.
REDIS_URL_VARIABLE = "SOCKETSUNDSO_TEST_REDIS_URL"


def room_endpoint(url: str) -> type[WebSocketHandlingEndpoint]:
    """A chat room class with a ``RedisGroups`` hub of its own on ``url``."""

    class Room(WebSocketHandlingEndpoint):
        """Clients enter rooms and say numbered things to everyone in a room, on any worker."""

        groups = RedisGroups(url)

        @on_event
        async def enter(self, room: str) -> dict[str, object]:
            """Join ``room``; the reply comes once every worker's broadcasts reach this one."""
            await self.join(room)
            return {"room": room}

        @on_event
        async def say(self, room: str, n: int) -> None:
            """Broadcast ``n`` to ``room`` (its sender, a member, gets it too); no reply."""
            await self.broadcast(room, {"type": "said", "room": room, "n": n})

        @on_event
        async def health(self) -> dict[str, object]:
            """Whether this worker's hub is connected to Redis and subscribed."""
            return {"healthy": type(self).groups.healthy}

    return Room


#: The room of this worker process, on the Redis the test named.
Room = room_endpoint(os.environ.get(REDIS_URL_VARIABLE, "redis://127.0.0.1:6379/0"))

app = app_of(Room)
