"""The chat example, driven as its page drives it: join, say, whisper, leave, mistakes.

Rooms are groups of ``Chat.groups`` (the in-memory hub here: no ``REDIS_URL``), so
the tests count their members with ``Chat.groups.members(...)``. The last tests run
the app under uvicorn with real clients, one of which never reads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import pytest
import websockets
from starlette.testclient import TestClient, WebSocketTestSession
from websockets.asyncio.client import ClientConnection

from examples.chat import Chat, app, member_group, room_group, rooms
from socketsundso.groups import Groups
from tests.examples.support import TIMEOUT, ask, call_with_timeout, content, next_message
from tests.servers import serve
from tests.stalled_client import stalled_client

#: Seconds within which a line must reach the healthy members while one member stalls.
PROMPTLY = 0.5
#: Seconds a test may take to stall a member (filling its server's buffers) and drop it.
STALL_DEADLINE = 60.0


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
    assert 'import { connect, RequestError } from "./chat_client.js";' in script.text
    assert "connect(`${location.protocol" in script.text
    generated = client.get("/static/chat_client.js")
    assert generated.status_code == 200
    assert "export function connect(url, options)" in generated.text
    assert client.get("/static/chat.css").status_code == 200


def test_the_page_has_an_icon_where_browsers_look_for_it(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg")


def test_join_replies_with_the_members_and_tells_the_others(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ann:
        ann.send_json({"type": "join", "room": "join-room", "name": "ann"})
        joined = receive(ann)
        position = joined.pop("position")
        assert joined == {
            "type": "join",
            "room": "join-room",
            "name": "ann",
            "members": ["ann"],
            "group": "room:join-room",
            "recovered": False,
            "reason": None,
        }
        assert set(position) == {"epoch", "offset"}
        with client.websocket_connect("/ws") as bob:
            bob.send_json({"type": "join", "room": "join-room", "name": " bob "})
            assert receive(bob)["members"] == ["ann", "bob"]
            assert content(receive(ann)) == {"type": "joined", "room": "join-room", "name": "bob"}
            assert Chat.groups.members(room_group("join-room")) == 2
            assert Chat.groups.members(member_group("join-room", "bob")) == 1


def test_say_reaches_everyone_in_the_room_its_sender_too_and_no_one_else(
    client: TestClient,
) -> None:
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
        assert content(receive(ann)) == line  # once: by the broadcast, as to the others
        assert content(receive(bob)) == line
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
        assert content(receive(ann)) == line
        assert content(receive(cat)) == line
        ann.send_json({"type": "say", "text": "all"})
        assert receive(ann)["text"] == "all"
        assert receive(bob)["text"] == "all"  # the whisper never came to bob


def test_say_has_no_reply_of_its_own(client: TestClient) -> None:
    with join(client, "id-room", "ann") as ann:
        ann.send_json({"type": "say", "text": "numbered", "id": 7})
        line = receive(ann)
        assert line["text"] == "numbered"
        assert "id" not in line  # the broadcast line, the same for every member
        ann.send_json({"type": "say", "text": "", "id": 8})
        assert receive(ann)["id"] == 8  # an error reply carries the id


def test_whisper_finds_its_recipient_regardless_of_case(client: TestClient) -> None:
    with join(client, "case-room", "ann") as ann, join(client, "case-room", "Bob") as bob:
        assert receive(ann)["name"] == "Bob"
        ann.send_json({"type": "whisper", "to": "BOB", "text": "psst"})
        line = {
            "type": "message",
            "room": "case-room",
            "sender": "ann",
            "text": "psst",
            "to": "Bob",
        }
        assert content(receive(ann)) == line
        assert content(receive(bob)) == line
        bob.send_json({"type": "whisper", "to": "bob", "text": "me?"})
        assert receive(bob)["errors"][0]["type"] == "unknown_member"


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


def test_with_groups_beyond_this_process_a_whisper_to_a_stranger_is_sent_anyway(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Any hub but MemoryGroups may have members on other workers, unknown here.
    monkeypatch.setattr(Chat, "groups", Groups())
    with join(client, "wide-room", "ann") as ann:
        ann.send_json({"type": "whisper", "to": "zed", "text": "there?"})
        assert content(receive(ann)) == {
            "type": "message",
            "room": "wide-room",
            "sender": "ann",
            "text": "there?",
            "to": "zed",
        }
        ann.send_json({"type": "whisper", "to": "ANN", "text": "me?"})
        assert receive(ann)["errors"][0]["type"] == "unknown_member"  # that much it knows


@pytest.mark.parametrize(
    ("message", "error_type", "loc"),
    [
        ({"type": "say", "text": ""}, "string_too_short", ["text"]),
        ({"type": "say"}, "missing", ["text"]),
        ({"type": "say", "text": "hi", "loud": True}, "extra_forbidden", ["loud"]),
        ({"type": "shout", "text": "hi"}, "union_tag_invalid", ["type"]),
        ({"type": "join", "room": "x", "name": "n" * 33}, "string_too_long", ["name"]),
        ({"type": "join", "room": "bad-room", "name": "ann"}, "already_joined", []),
        # NFKC makes U+FDFA 18 letters: a name is held to 32 characters once normalised.
        ({"type": "join", "room": "bad-room", "name": "\ufdfa" * 2}, "value_error", ["name"]),
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


@pytest.mark.parametrize(
    ("member", "look_alike"),
    [
        ("ace", "\u0430\u0441\u0435"),  # the case: all Cyrillic
        ("ace", "\u0410\u0421\u0415"),  # all Cyrillic, in capitals
        ("abe", "\u0391\u0392\u0395"),  # all Greek capitals
        ("pop", "\u0440\u043e\u0440"),  # all Cyrillic
        ("ian", "Ian"),  # case alone
        ("lan", "Ian"),  # a capital I is drawn as an l
        ("bob", "b0b"),  # a zero is drawn as an O
        ("m", "rn"),  # r and n side by side look like an m
    ],
)
def test_names_are_compared_by_their_confusable_skeleton_and_casefold(
    client: TestClient, member: str, look_alike: str
) -> None:
    with join(client, "skeletons", member), client.websocket_connect("/ws") as other:
        other.send_json({"type": "join", "room": "skeletons", "name": look_alike})
        assert receive(other)["errors"] == [
            {
                "type": "name_taken",
                "loc": ["name"],
                "msg": f"{member!r} is already in room 'skeletons'",
            }
        ]
        other.send_json({"type": "join", "room": "skeletons", "name": "zed"})  # not alike
        assert receive(other)["members"] == [member, "zed"]


def test_leave_tells_the_others_and_frees_the_name(client: TestClient) -> None:
    with join(client, "leave-room", "ann") as ann, join(client, "leave-room", "bob") as bob:
        assert receive(ann)["type"] == "joined"
        bob.send_json({"type": "leave"})
        assert receive(bob) == {"type": "leave", "room": "leave-room"}
        assert content(receive(ann)) == {"type": "left", "room": "leave-room", "name": "bob"}
        assert rooms.members("leave-room") == ["ann"]
        assert Chat.groups.members(room_group("leave-room")) == 1
        assert Chat.groups.members(member_group("leave-room", "bob")) == 0
        ann.send_json({"type": "say", "text": "bob?"})
        assert receive(ann)["text"] == "bob?"
        bob.send_json({"type": "join", "room": "leave-room", "name": "bob"})
        assert receive(bob)["members"] == ["ann", "bob"]


def test_disconnect_leaves_the_room(client: TestClient) -> None:
    with join(client, "gone-room", "ann") as ann, join(client, "gone-room", "bob") as bob:
        assert receive(ann)["type"] == "joined"
        bob.close()
        assert content(receive(ann)) == {"type": "left", "room": "gone-room", "name": "bob"}
        assert rooms.members("gone-room") == ["ann"]
        assert Chat.groups.members(room_group("gone-room")) == 1
        assert Chat.groups.members(member_group("gone-room", "bob")) == 0
    assert Chat.groups.members(room_group("gone-room")) == 0
    assert room_group("gone-room") not in Chat.groups.groups()


@pytest.mark.anyio
async def test_two_members_over_uvicorn_see_each_other_s_lines_and_presence() -> None:
    with serve(app) as base:
        async with (
            websockets.connect(f"{base}/ws") as ann,
            websockets.connect(f"{base}/ws") as bob,
        ):
            joined = await ask(ann, {"type": "join", "room": "net", "name": "ann"})
            assert joined["members"] == ["ann"]
            assert (await ask(bob, {"type": "join", "room": "net", "name": "bob"}))["members"] == [
                "ann",
                "bob",
            ]
            assert content(await next_message(ann)) == {
                "type": "joined",
                "room": "net",
                "name": "bob",
            }
            for speaker, text in ((ann, "hi bob"), (bob, "hi ann")):
                said = await ask(speaker, {"type": "say", "text": text})
                assert said["text"] == text
                other = bob if speaker is ann else ann
                assert await next_message(other) == said
            error = await ask(ann, {"type": "whisper", "to": "nobody", "text": "x"})
            assert error["errors"][0]["loc"] == ["to"]
            await bob.close()
            assert content(await next_message(ann)) == {
                "type": "left",
                "room": "net",
                "name": "bob",
            }
            assert Chat.groups.members(room_group("net")) == 1


async def next_line(ws: ClientConnection, notices: list[Any]) -> Any:
    """The next chat line ``ws`` receives; presence notices before it go to ``notices``."""
    while (message := await next_message(ws))["type"] != "message":
        notices.append(message)
    return message


async def until(condition: Callable[[], bool], seconds: float = TIMEOUT) -> None:
    """Return once ``condition()`` holds (it is polled); fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s"
        await anyio.sleep(0.01)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("settings", "closed_for"),
    [
        ({"send_queue_size": 8, "send_timeout": 60.0}, "closed_queue_full"),
        (
            {"send_queue_size": 8, "send_queue_policy": "drop_oldest", "send_timeout": 1.0},
            "closed_send_timeout",
        ),
    ],
    ids=["queue-full", "send-timeout"],
)
async def test_a_member_that_never_reads_does_not_freeze_the_room(
    monkeypatch: pytest.MonkeyPatch, settings: dict[str, Any], closed_for: str
) -> None:
    for name, value in settings.items():
        monkeypatch.setattr(Chat, name, value)
    closed_before = getattr(Chat.outgoing_counters, closed_for)
    room = f"stall-{closed_for}"
    with serve(app) as base:
        async with (
            websockets.connect(f"{base}/ws") as ann,
            websockets.connect(f"{base}/ws") as bob,
        ):
            await ask(ann, {"type": "join", "room": room, "name": "ann"})
            await ask(bob, {"type": "join", "room": room, "name": "bob"})
            assert (await next_message(ann))["name"] == "bob"
            zed_joins = json.dumps({"type": "join", "room": room, "name": "zed"})
            with stalled_client(f"{base}/ws", zed_joins) as zed:
                assert (await next_message(ann))["name"] == "zed"
                assert (await next_message(bob))["name"] == "zed"
                await until(lambda: Chat.groups.members(room_group(room)) == 3)
                # Lines of 4 KB (four bytes a character) until zed's buffers are full, its
                # queue too (or its socket has taken nothing for send_timeout), and it is
                # dropped: ann and bob hear every line meanwhile, each within PROMPTLY.
                heard_by_ann: list[Any] = []
                heard_by_bob: list[Any] = []
                slowest = 0.0
                with anyio.fail_after(STALL_DEADLINE):
                    for n in range(1_000_000):
                        text = f"{n:06} " + "\N{GRINNING FACE}" * 990
                        started = time.monotonic()
                        await bob.send(json.dumps({"type": "say", "text": text}))
                        assert (await next_line(bob, heard_by_bob))["text"] == text
                        assert (await next_line(ann, heard_by_ann))["text"] == text
                        slowest = max(slowest, time.monotonic() - started)
                        if heard_by_ann and heard_by_bob:
                            break
                assert slowest < PROMPTLY
                # zed's on_disconnect ran: it told the room, left its groups and its name.
                left = {"type": "left", "room": room, "name": "zed"}
                assert [content(m) for m in heard_by_ann] == [content(m) for m in heard_by_bob]
                assert [content(m) for m in heard_by_ann] == [left]
                assert getattr(Chat.outgoing_counters, closed_for) == closed_before + 1
                assert rooms.members(room) == ["ann", "bob"]
                assert Chat.groups.members(room_group(room)) == 2
                assert Chat.groups.members(member_group(room, "zed")) == 0
                assert await anyio.to_thread.run_sync(zed.read_until_closed, TIMEOUT)
            said = await ask(ann, {"type": "say", "text": "still here"})
            assert said == await next_message(bob)
