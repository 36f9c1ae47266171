"""Routing: Starlette's ``WebSocketRoute``, in Starlette and FastAPI apps and routers.

FastAPI annotates ``add_websocket_route``'s endpoint as a function taking a
``WebSocket``: an endpoint class works there at run time, but the documented forms
(a ``WebSocketRoute`` in ``routes``, or the ``websocket_route`` decorator) are the
ones that type-check (``typesafety/test_routing``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.testclient import TestClient

from socketsundso import WebSocketHandlingEndpoint, on_event


class Rooms(WebSocketHandlingEndpoint):
    """Answers with the route's path parameters and its own class name."""

    @on_event
    async def where(self) -> dict[str, Any]:
        return {"room": self.websocket.path_params.get("room"), "by": type(self).__name__}


def assert_serves(app: Any, path: str, room: str | None = None) -> None:
    """A connection to ``path`` reaches ``Rooms`` and is answered."""
    with TestClient(app) as client, client.websocket_connect(path) as ws:
        ws.send_json({"type": "where"})
        assert ws.receive_json() == {"type": "where", "room": room, "by": "Rooms"}


def test_starlette_websocket_route() -> None:
    app = Starlette(routes=[WebSocketRoute("/rooms/{room}", Rooms)])
    assert_serves(app, "/rooms/lobby", "lobby")


def test_starlette_mounted_router() -> None:
    app = Starlette(routes=[Mount("/api", routes=[WebSocketRoute("/ws", Rooms)])])
    assert_serves(app, "/api/ws")


def test_fastapi_app_with_a_websocket_route() -> None:
    app = FastAPI(routes=[WebSocketRoute("/rooms/{room}", Rooms)])
    assert_serves(app, "/rooms/kitchen", "kitchen")


def test_fastapi_router_routes_appended() -> None:
    app = FastAPI()
    app.router.routes.append(WebSocketRoute("/rooms/{room}", Rooms))
    assert_serves(app, "/rooms/pantry", "pantry")


def test_fastapi_router_add_websocket_route_works_at_run_time() -> None:
    app = FastAPI()
    app.router.add_websocket_route("/rooms/{room}", Rooms)  # type: ignore[arg-type]
    assert_serves(app, "/rooms/kitchen", "kitchen")


def test_fastapi_websocket_route_decorator() -> None:
    app = FastAPI()
    decorated = app.websocket_route("/ws")(Rooms)
    assert decorated is Rooms
    assert_serves(app, "/ws")


def test_fastapi_websocket_route_decorator_on_a_class_statement() -> None:
    app = FastAPI()

    @app.websocket_route("/rooms/{room}")
    class Decorated(Rooms):
        pass

    with TestClient(app) as client, client.websocket_connect("/rooms/hall") as ws:
        ws.send_json({"type": "where"})
        assert ws.receive_json() == {"type": "where", "room": "hall", "by": "Decorated"}


def test_fastapi_included_router() -> None:
    router = APIRouter(routes=[WebSocketRoute("/ws/{room}", Rooms)])
    app = FastAPI()
    app.include_router(router, prefix="/v1")
    assert_serves(app, "/v1/ws/attic", "attic")
