"""Group names and memberships chosen by a hostile client, over real sockets.

A handler that passes a client's text to ``join``, ``leave`` or ``broadcast`` must not
let a bad name close the connection (1011) and log a traceback per message, and one
connection must not join groups without bound, nor keep the event loop to itself
while it joins.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, ClassVar

import pytest
from websockets.asyncio.client import connect

from socketsundso import on_event
from socketsundso.endpoints import DEFAULT_MAX_GROUPS_PER_CONNECTION, WebSocketHandlingEndpoint
from socketsundso.exceptions import EXCERPT_LENGTH
from socketsundso.groups import MAX_GROUP_NAME_LENGTH, InvalidGroupName, TooManyGroups
from tests.outgoing.apps import Room, app_of, room_class
from tests.outgoing.support import call
from tests.servers import serve

pytestmark = pytest.mark.anyio

#: A group name far over the limit, as a client may send one.
HUGE = "g" * 100_000


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "message",
    [
        {"type": "enter", "group": HUGE},
        {"type": "enter", "group": ""},
        {"type": "exit", "group": HUGE},
        {"type": "burst", "group": HUGE, "count": 1},
    ],
    ids=["join a huge name", "join an empty name", "leave", "broadcast"],
)
async def test_a_bad_group_name_from_a_client_is_a_client_error_and_the_connection_goes_on(
    message: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    room = room_class()
    with serve(app_of(room)) as url:
        async with connect(f"{url}/ws", max_size=None) as ws:
            for _ in range(3):  # again and again: the same answer, the connection stays
                await ws.send(json.dumps({**message, "id": 7}))
                text = await asyncio.wait_for(ws.recv(), 10)
                assert len(text) < 1024, "the name is not echoed whole"
                reply = json.loads(text)
                [error] = reply["errors"]
                assert reply["id"] == 7
                assert error["type"] == "group_name_invalid"
                group = message["group"]
                assert error["ctx"]["length"] == len(group)
                assert error["ctx"]["limit"] == MAX_GROUP_NAME_LENGTH
                assert len(error["ctx"]["group"]) <= EXCERPT_LENGTH
            assert await call(ws, {"type": "ping"}) == {"type": "ping"}
            assert (await call(ws, {"type": "enter", "group": "ok"}))["joined"] == ["ok"]
    assert room.closed == [1000]
    assert room.groups.groups() == []
    assert _errors_logged(caplog) == []


def test_a_bad_group_name_is_a_value_error_and_says_its_length_only_in_short() -> None:
    with pytest.raises(InvalidGroupName, match=r"1 to 256 characters, not 100000") as caught:
        raise InvalidGroupName(HUGE, MAX_GROUP_NAME_LENGTH)
    assert isinstance(caught.value, ValueError)
    assert len(str(caught.value)) < 200


async def test_joins_past_max_groups_per_connection_get_too_many_groups() -> None:
    room = room_class(max_groups_per_connection=3)
    with serve(app_of(room)) as url:
        async with connect(f"{url}/ws") as ws:
            for group in "abc":
                await call(ws, {"type": "enter", "group": group})
            assert (await call(ws, {"type": "enter", "group": "a"}))["joined"] == ["a", "b", "c"]
            reply = await call(ws, {"type": "enter", "group": "d", "id": 1})
            assert reply == {
                "id": 1,
                "errors": [
                    {
                        "type": "too_many_groups",
                        "loc": [],
                        "msg": "A connection may be a member of 3 groups at most",
                        "ctx": {"limit": 3},
                    }
                ],
            }
            assert room.groups.groups() == ["a", "b", "c"]
            await call(ws, {"type": "exit", "group": "b"})
            assert (await call(ws, {"type": "enter", "group": "d"}))["joined"] == ["a", "c", "d"]
    assert room.closed == [1000]


def test_max_groups_per_connection_has_a_default_and_must_be_a_positive_int() -> None:
    assert WebSocketHandlingEndpoint.max_groups_per_connection == DEFAULT_MAX_GROUPS_PER_CONNECTION
    assert TooManyGroups(5).errors[0]["ctx"] == {"limit": 5}
    for wrong in (0, -1, 1.5, True, None):
        with pytest.raises(TypeError, match=r"Bad\.max_groups_per_connection must be a positive"):
            type("Bad", (WebSocketHandlingEndpoint,), {"max_groups_per_connection": wrong})
    with pytest.raises(TypeError, match=r"Room\.max_groups_per_connection"):
        room_class().max_groups_per_connection = 0


class Joiner(Room):
    """Joins many groups, or broadcasts many times, in one handler; tells if others ran."""

    max_groups_per_connection = 1000
    closed: ClassVar[list[int]] = []

    @on_event
    async def on_join_many(self, count: int) -> dict[str, Any]:
        others_ran = []
        asyncio.get_running_loop().call_soon(others_ran.append, True)
        for n in range(count):
            await self.join(f"g{n}")
        return {"others_ran": bool(others_ran)}

    @on_event
    async def on_broadcast_many(self, count: int) -> dict[str, Any]:
        others_ran = []
        asyncio.get_running_loop().call_soon(others_ran.append, True)
        for n in range(count):
            await self.broadcast("g0", {"type": "item", "n": n})
        return {"others_ran": bool(others_ran)}


async def test_long_runs_of_joins_and_broadcasts_let_other_tasks_run() -> None:
    with serve(app_of(Joiner)) as url:
        async with connect(f"{url}/ws") as ws:
            assert await call(ws, {"type": "join_many", "count": 1000}) == {
                "type": "join_many",
                "others_ran": True,
            }
            await ws.send(json.dumps({"type": "broadcast_many", "count": 300}))
            replies = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(301)]
            assert replies[-1] == {"type": "broadcast_many", "others_ran": True}
