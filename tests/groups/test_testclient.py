"""RedisGroups under Starlette's TestClient, whose every ``with`` block runs a new event loop."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient

from socketsundso.testing import EventSession

from .app import room_endpoint
from .redis_server import RedisServer


def test_each_testclient_loop_reopens_the_hubs_and_its_end_closes_them(
    redis_server: RedisServer,
) -> None:
    # Two classes, two hubs: what one says reaches the other through Redis.
    one, two = room_endpoint(redis_server.url), room_endpoint(redis_server.url)
    app = Starlette(routes=[WebSocketRoute("/one", one), WebSocketRoute("/two", two)])
    for n in range(3):
        with (
            TestClient(app) as client,
            client.websocket_connect("/one") as session_one,
            client.websocket_connect("/two") as session_two,
        ):
            listener, speaker = EventSession(session_one, one), EventSession(session_two, two)
            listener.send_event("enter", room="lobby")
            assert listener.receive_event() == {"type": "enter", "room": "lobby"}
            speaker.send_event("enter", room="lobby")
            assert speaker.receive_event() == {"type": "enter", "room": "lobby"}
            speaker.send_event("say", room="lobby", n=n)
            assert speaker.receive_event() == {"type": "said", "room": "lobby", "n": n}
            assert listener.receive_event() == {"type": "said", "room": "lobby", "n": n}
        assert redis_server.clients_soon() == 0
