"""The chat example, driven as its page drives it: join, say, whisper, leave, mistakes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import pytest
import websockets
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.types import Message
from starlette.websockets import WebSocketState

from examples.chat import Chat, app, rooms
from tests.examples.support import call_with_timeout
from tests.servers import serve

#: Seconds a test waits for a message before failing (instead of hanging).
TIMEOUT = 10.0


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A TestClient whose connections share one event loop, as a server's do."""
    with TestClient(app) as client:
        yield client


def receive(ws: WebSocketTestSession) -> Any:
    """The next JSON message on ``ws``; fails the test if none comes within ``TIMEOUT``."""
    return call_with_timeout(ws.receive_json, TIMEOUT, "receive_json")


@contextmanager
def join(client: TestClient, room: str, name: str) -> Iterator[WebSocketTestSession]:
    """A connection that has joined ``room`` as ``name`` (its join reply consumed)."""
    with client.websocket_connect("/ws") as ws:
        ws.send_json({"type": "join", "room": room, "name": name})
        assert receive(ws)["type"] == "join"
        yield ws


def test_page_is_served_with_its_local_assets(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for element in ('id="name"', 'id="room"', 'id="join"', 'id="text"', 'id="say"'):
        assert element in page.text
    for element in ('id="messages"', 'id="errors"', 'id="whisper"', 'id="leave"'):
        assert element in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text
    script = client.get("/static/chat.js")
    assert script.status_code == 200
    assert "new WebSocket(`ws://${location.host}/ws`)" in script.text
    assert client.get("/static/chat.css").status_code == 200


def test_join_replies_with_the_members_and_tells_the_others(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ann:
        ann.send_json({"type": "join", "room": "join-room", "name": "ann"})
        assert receive(ann) == {
            "type": "join",
            "room": "join-room",
            "name": "ann",
            "members": ["ann"],
        }
        with client.websocket_connect("/ws") as bob:
            bob.send_json({"type": "join", "room": "join-room", "name": " bob "})
            assert receive(bob)["members"] == ["ann", "bob"]
            assert receive(ann) == {"type": "joined", "room": "join-room", "name": "bob"}


def test_say_reaches_everyone_in_the_room_and_no_one_else(client: TestClient) -> None:
    with (
        join(client, "say-room", "ann") as ann,
        join(client, "say-room", "bob") as bob,
        join(client, "elsewhere", "cat") as cat,
    ):
        assert receive(ann)["type"] == "joined"
        ann.send_json({"type": "say", "text": "hello"})
        line = {
            "type": "message",
            "room": "say-room",
            "sender": "ann",
            "text": "hello",
            "to": None,
        }
        assert receive(ann) == line
        assert receive(bob) == line
        cat.send_json({"type": "say", "text": "anyone?"})
        assert receive(cat)["room"] == "elsewhere"
        bob.send_json({"type": "say", "text": "hi ann"})
        assert receive(ann)["text"] == "hi ann"  # not cat's line: rooms are apart


def test_whisper_reaches_its_recipient_only(client: TestClient) -> None:
    with (
        join(client, "whisper-room", "ann") as ann,
        join(client, "whisper-room", "bob") as bob,
        join(client, "whisper-room", "cat") as cat,
    ):
        assert receive(ann)["name"] == "bob"
        assert receive(ann)["name"] == "cat"
        assert receive(bob)["name"] == "cat"
        ann.send_json({"type": "whisper", "to": "cat", "text": "psst"})
        line = {
            "type": "message",
            "room": "whisper-room",
            "sender": "ann",
            "text": "psst",
            "to": "cat",
        }
        assert receive(ann) == line
        assert receive(cat) == line
        ann.send_json({"type": "say", "text": "all"})
        assert receive(ann)["text"] == "all"
        assert receive(bob)["text"] == "all"  # the whisper never came to bob


def test_whisper_to_an_unknown_member_is_an_error_reply(client: TestClient) -> None:
    with join(client, "lonely-room", "ann") as ann:
        ann.send_json({"type": "whisper", "to": "zed", "text": "hi"})
        assert receive(ann) == {
            "errors": [
                {
                    "type": "unknown_member",
                    "loc": ["to"],
                    "msg": "Nobody else called 'zed' is in room 'lonely-room'",
                }
            ]
        }
        ann.send_json({"type": "whisper", "to": "ann", "text": "me?"})
        assert receive(ann)["errors"][0]["type"] == "unknown_member"
        ann.send_json({"type": "say", "text": "still here"})
        assert receive(ann)["text"] == "still here"


@pytest.mark.parametrize(
    ("message", "error_type", "loc"),
    [
        ({"type": "say", "text": ""}, "string_too_short", ["text"]),
        ({"type": "say"}, "missing", ["text"]),
        ({"type": "say", "text": "hi", "loud": True}, "extra_forbidden", ["loud"]),
        ({"type": "shout", "text": "hi"}, "union_tag_invalid", ["type"]),
        ({"type": "join", "room": "x", "name": "n" * 33}, "string_too_long", ["name"]),
        ({"type": "join", "room": "bad-room", "name": "ann"}, "already_joined", []),
        ({"type": "say", "text": "x" * 20_000}, "message_too_large", []),
    ],
)
def test_a_bad_message_gets_an_error_and_the_connection_goes_on(
    client: TestClient, message: dict[str, Any], error_type: str, loc: list[str]
) -> None:
    with join(client, "bad-room", "ann") as ann:
        ann.send_json(message)
        reply = receive(ann)
        assert [(error["type"], error["loc"]) for error in reply["errors"]] == [(error_type, loc)]
        ann.send_json({"type": "say", "text": "ok"})
        assert receive(ann)["text"] == "ok"


def test_invalid_json_gets_an_error(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        ws.send_text("{not json")
        assert receive(ws)["errors"][0]["type"] == "json_invalid"


def test_saying_before_joining_and_a_taken_name_are_errors(client: TestClient) -> None:
    with join(client, "taken-room", "ann"), client.websocket_connect("/ws") as other:
        other.send_json({"type": "say", "text": "hi"})
        assert receive(other)["errors"][0]["type"] == "not_joined"
        other.send_json({"type": "leave"})
        assert receive(other)["errors"][0]["type"] == "not_joined"
        other.send_json({"type": "join", "room": "taken-room", "name": "ann"})
        assert receive(other)["errors"] == [
            {"type": "name_taken", "loc": ["name"], "msg": "'ann' is already in room 'taken-room'"}
        ]
        other.send_json({"type": "join", "room": "taken-room", "name": "ann2"})
        assert receive(other)["members"] == ["ann", "ann2"]


@pytest.mark.parametrize(
    ("look_alike", "error"),
    [
        ("ann\u200b", "control or format characters"),  # a zero-width space after it
        ("\u202eann", "control or format characters"),  # a right-to-left override
        ("\u0430nn", "mix scripts (CYRILLIC, LATIN)"),  # a Cyrillic a
        ("ANN", "'ann' is already in room"),  # names are unique regardless of case
        ("\uff41\uff4e\uff4e", "'ann' is already in room"),  # fullwidth: NFKC makes it ann
    ],
)
def test_a_look_alike_of_a_member_s_name_is_refused(
    client: TestClient, look_alike: str, error: str
) -> None:
    with join(client, "look-alikes", "ann"), client.websocket_connect("/ws") as other:
        other.send_json({"type": "join", "room": "look-alikes", "name": look_alike})
        (entry,) = receive(other)["errors"]
        assert entry["loc"] == ["name"]
        assert error in entry["msg"]


def test_leave_tells_the_others_and_frees_the_name(client: TestClient) -> None:
    with join(client, "leave-room", "ann") as ann, join(client, "leave-room", "bob") as bob:
        assert receive(ann)["type"] == "joined"
        bob.send_json({"type": "leave"})
        assert receive(bob) == {"type": "leave", "room": "leave-room"}
        assert receive(ann) == {"type": "left", "room": "leave-room", "name": "bob"}
        assert rooms.members("leave-room") == ["ann"]
        bob.send_json({"type": "join", "room": "leave-room", "name": "bob"})
        assert receive(bob)["members"] == ["ann", "bob"]


def test_disconnect_leaves_the_room(client: TestClient) -> None:
    with join(client, "gone-room", "ann") as ann, join(client, "gone-room", "bob") as bob:
        assert receive(ann)["type"] == "joined"
        bob.close()
        assert receive(ann) == {"type": "left", "room": "gone-room", "name": "bob"}
        assert rooms.members("gone-room") == ["ann"]


def test_a_peer_that_went_away_does_not_hurt_the_sender(client: TestClient) -> None:
    async def never() -> Message:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def broken_pipe(message: Message) -> None:
        raise OSError("connection reset")

    ghost = Chat({"type": "websocket"}, receive=never, send=broken_pipe)
    ghost.websocket.application_state = WebSocketState.CONNECTED
    with join(client, "ghost-room", "ann") as ann:
        rooms.add("ghost-room", "ghost", ghost)
        try:
            ann.send_json({"type": "say", "text": "anyone?"})
            assert receive(ann)["text"] == "anyone?"
            ann.send_json({"type": "whisper", "to": "ghost", "text": "boo"})
            assert receive(ann)["errors"][0]["type"] == "unknown_member"
        finally:
            rooms.remove("ghost-room", "ghost", ghost)


@pytest.mark.anyio
async def test_chat_over_uvicorn_with_a_real_client() -> None:
    with serve(app) as base:
        async with (
            websockets.connect(f"{base}/ws") as ann,
            websockets.connect(f"{base}/ws") as bob,
        ):

            async def ask(ws: websockets.ClientConnection, message: dict[str, Any]) -> Any:
                await ws.send(json.dumps(message))
                return await next_message(ws)

            async def next_message(ws: websockets.ClientConnection) -> Any:
                with anyio.fail_after(TIMEOUT):
                    return json.loads(await ws.recv())

            assert (await ask(ann, {"type": "join", "room": "net", "name": "ann"}))["members"] == [
                "ann"
            ]
            await ask(bob, {"type": "join", "room": "net", "name": "bob"})
            assert (await next_message(ann))["name"] == "bob"
            said = await ask(bob, {"type": "say", "text": "over the wire"})
            assert said == await next_message(ann)
            assert said["text"] == "over the wire"
            error = await ask(ann, {"type": "whisper", "to": "nobody", "text": "x"})
            assert error["errors"][0]["loc"] == ["to"]
            await bob.close()
            assert await next_message(ann) == {"type": "left", "room": "net", "name": "bob"}
