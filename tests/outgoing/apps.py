"""Endpoints and apps the outgoing-path tests serve: a room whose members broadcast.

``room_class(**settings)`` makes a fresh endpoint class per test, so each test has
its own hub (``MemoryGroups``), its own ``outgoing_counters`` and its own record of
close codes. ``app_of(cls)`` routes it at ``/ws`` beside ``POST /broadcast/{group}``
(a broadcast from outside any connection) and counts the ASGI calls still running.
"""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from socketsundso import WebSocketHandlingEndpoint, on_event

__all__ = ["Room", "app_of", "room_class"]


class Room(WebSocketHandlingEndpoint):
    """Members enter and exit groups, broadcast bursts, stream to themselves, and ping."""

    send_timeout = 1.0
    #: Close codes ``on_disconnect`` got, in order (each subclass made by
    #: ``room_class`` has its own list).
    closed: ClassVar[list[int]] = []
    #: ASGI calls of this class still running (``app_of`` counts them).
    running: ClassVar[int] = 0

    @on_event
    async def on_enter(self, group: str) -> dict[str, Any]:
        await self.join(group)
        return {"group": group, "joined": sorted(self.joined_groups)}

    @on_event
    async def on_exit(self, group: str) -> dict[str, Any]:
        await self.leave(group)
        return {"group": group, "joined": sorted(self.joined_groups)}

    @on_event
    async def on_burst(self, group: str, count: int, size: int = 0) -> dict[str, Any]:
        """Broadcast ``count`` numbered items of about ``size`` bytes to ``group``."""
        pad = "x" * size
        for n in range(count):
            await self.broadcast(group, {"type": "item", "n": n, "pad": pad})
        return {"sent": count}

    @on_event
    async def on_stream(self, count: int, size: int = 0) -> dict[str, Any]:
        """Send ``count`` numbered items of about ``size`` bytes to this connection."""
        pad = "x" * size
        for n in range(count):
            await self.send_json({"type": "item", "n": n, "pad": pad})
        return {"sent": count}

    @on_event
    async def on_ping(self) -> dict[str, Any]:
        return {}

    async def on_disconnect(self, close_code: int) -> None:
        type(self).closed.append(close_code)


def room_class(**settings: Any) -> type[Room]:
    """A fresh ``Room`` subclass with ``settings`` as class attributes."""
    return type("Room", (Room,), {"closed": [], "running": 0, **settings})


class Counted:
    """``cls`` as an ASGI app that counts its calls still running in ``cls.running``."""

    def __init__(self, cls: type[Room]) -> None:
        self.cls = cls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.cls.running += 1
        try:
            await self.cls(scope, receive, send)
        finally:
            self.cls.running -= 1


def app_of(cls: type[Room]) -> Starlette:
    """``cls`` at ``/ws`` (its running calls counted) and ``POST /broadcast/{group}``."""

    async def broadcast(request: Request) -> JSONResponse:
        group = request.path_params["group"]
        await cls.broadcast(group, {"type": "news", "text": await request.json()})
        return JSONResponse({"members": cls.groups.members(group)})

    return Starlette(
        routes=[
            WebSocketRoute("/ws", Counted(cls)),
            Route("/broadcast/{group}", broadcast, methods=["POST"]),
        ]
    )


#: An app for server subprocesses (``tests.outgoing.apps:app``): the room alone at ``/ws``,
#: routed directly so that ``python -m socketsundso serve`` finds its endpoint.
app = Starlette(routes=[WebSocketRoute("/ws", room_class(send_timeout=1.0))])
