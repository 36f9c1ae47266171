"""History's parts on their own: validation, the wire form, and the replay rules of
``MemoryGroups`` (a property test against a model of what a join must answer)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError
from starlette.websockets import WebSocketDisconnect

from socketsundso import WebSocketHandlingEndpoint
from socketsundso.groups import POSITION_KEY, History, Membership, MemoryGroups, Position

pytestmark = pytest.mark.anyio


class Inbox:
    """A member that keeps what it is given."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def deliver(self, text: str) -> None:
        self.texts.append(text)

    def offsets(self) -> list[int]:
        return [json.loads(text)[POSITION_KEY]["offset"] for text in self.texts]


def test_position_key_is_fixed() -> None:
    assert POSITION_KEY == "$position"


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"size": 0}, "size"),
        ({"size": True}, "size"),
        ({"size": 1.5}, "size"),
        ({"ttl": 0}, "ttl"),
        ({"ttl": -1.0}, "ttl"),
        ({"ttl": float("nan")}, "ttl"),
        ({"ttl": float("inf")}, "ttl"),
        ({"ttl": "300"}, "ttl"),
        ({"max_replay": 0}, "max_replay"),
    ],
)
def test_history_refuses_what_is_not_a_positive_bound(
    arguments: dict[str, object], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        History(**arguments)  # type: ignore[arg-type]


def test_history_defaults_and_replay_limit() -> None:
    assert History() == History(size=1000, ttl=300.0, max_replay=None)
    assert History(size=10).replay_limit == 10
    assert History(size=10, max_replay=3).replay_limit == 3


def test_position_is_a_frozen_model_with_a_non_negative_offset() -> None:
    position = Position(epoch="e", offset=0)
    with pytest.raises(ValidationError):
        position.offset = 1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Position(epoch="e", offset=-1)
    assert Position.model_validate({"group": "g", "epoch": "e", "offset": 3}).offset == 3


def test_hubs_refuse_what_is_not_a_history() -> None:
    with pytest.raises(TypeError, match="History"):
        MemoryGroups(history={"size": 10})  # type: ignore[arg-type]
    assert MemoryGroups().history is None


def test_an_event_sent_as_the_position_key_is_refused_when_the_class_is_made() -> None:
    class Odd(BaseModel):
        type: Literal["odd"] = "odd"
        where: int = Field(serialization_alias="$position")

    with pytest.raises(TypeError, match=r"Odd.*'where'.*\$position"):

        class Chat(WebSocketHandlingEndpoint[Odd]):
            pass


async def test_members_get_the_position_as_the_last_key() -> None:
    hub = MemoryGroups(history=History())
    member = Inbox()
    joined = await hub.join('lo"bby', member)
    assert joined.position is not None
    epoch = joined.position.epoch
    await hub.broadcast('lo"bby', '{"type":"said","text":"}"}')
    await hub.broadcast('lo"bby', "{}")
    assert member.texts == [
        '{"type":"said","text":"}","$position":{"group":"lo\\"bby","epoch":"'
        + epoch
        + '","offset":1}}',
        '{"$position":{"group":"lo\\"bby","epoch":"' + epoch + '","offset":2}}',
    ]
    assert list(json.loads(member.texts[0])) == ["type", "text", POSITION_KEY]


async def test_a_hub_without_history_sends_no_position_and_recovers_nothing() -> None:
    hub = MemoryGroups()
    member = Inbox()
    assert await hub.join("g", member) == Membership("g", None, False, None)
    await hub.broadcast("g", '{"n":1}')
    assert member.texts == ['{"n":1}']
    since = Position(epoch="e", offset=1)
    assert await hub.join("g", Inbox(), since=since) == Membership(
        "g", None, False, "unknown_group"
    )


async def test_a_join_of_a_member_already_replays_nothing() -> None:
    hub = MemoryGroups(history=History())
    member = Inbox()
    first = await hub.join("g", member)
    await hub.broadcast("g", '{"n":1}')
    again = await hub.join("g", member, since=first.position)
    assert again.position == Position(epoch=first.position.epoch, offset=1)  # type: ignore[union-attr]
    assert (again.recovered, again.reason) == (False, None)
    assert member.offsets() == [1]


async def test_a_group_is_forgotten_ttl_after_its_last_message() -> None:
    hub = MemoryGroups(history=History(ttl=0.05))
    first = await hub.join("g", Inbox())
    await hub.broadcast("g", '{"n":1}')
    await asyncio.sleep(0.1)
    await hub.broadcast("other", '{"n":1}')  # any use of the hub forgets stale groups
    assert len(hub._histories) == 1  # type: ignore[arg-type]
    again = await hub.join("g", Inbox(), since=first.position)
    assert (again.recovered, again.reason) == (False, "unknown_group")
    assert again.position is not None
    assert again.position.epoch != first.position.epoch  # type: ignore[union-attr]


async def test_entries_older_than_ttl_are_too_old() -> None:
    hub = MemoryGroups(history=History(ttl=0.2))
    first = await hub.join("g", Inbox())
    await hub.broadcast("g", '{"n":1}')
    for _ in range(5):  # the group stays alive; its first message grows old
        await asyncio.sleep(0.06)
        await hub.broadcast("g", '{"n":2}')
    again = await hub.join("g", Inbox(), since=first.position)
    assert (again.recovered, again.reason) == (False, "too_old")


# -- the replay rules, against a model --------------------------------------------------

#: One step: broadcast a message, or join with the position after ``k`` messages of
#: the current epoch (possibly one the group hasn't reached, or of another epoch).
Step = tuple[Literal["broadcast", "join", "join_other_epoch"], int]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("broadcast"), st.integers(1, 4)),
        st.tuples(st.sampled_from(["join", "join_other_epoch"]), st.integers(0, 30)),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(steps=steps, size=st.integers(1, 12), max_replay=st.none() | st.integers(1, 12))
def test_a_join_replays_exactly_the_messages_after_since_or_says_why(
    steps: list[Step], size: int, max_replay: int | None
) -> None:
    asyncio.run(_check_steps(steps, History(size=size, max_replay=max_replay)))


async def _check_steps(steps: list[Step], history: History) -> None:
    hub = MemoryGroups(history=history)
    epoch = (await hub.join("g", Inbox())).position.epoch  # type: ignore[union-attr]
    sent = 0
    for kind, n in steps:
        if kind == "broadcast":
            for _ in range(n):
                await hub.broadcast("g", json.dumps({"n": sent + 1}))
                sent += 1
            continue
        member = Inbox()
        since = Position(epoch=epoch if kind == "join" else "other", offset=n)
        joined = await hub.join("g", member, since=since)
        assert joined.position == Position(epoch=epoch, offset=sent)
        missed = sent - n
        if kind == "join_other_epoch":
            expected = "epoch_changed"
        elif missed < 0:
            expected = "unknown_group"
        elif missed > history.size:
            expected = "too_old"
        elif missed > history.replay_limit:
            expected = "replay_too_large"
        else:
            expected = None
        assert joined.reason == expected
        assert joined.recovered is (expected is None)
        replayed = [json.loads(text)["n"] for text in member.texts]
        assert replayed == (list(range(n + 1, sent + 1)) if expected is None else [])
        assert member.offsets() == replayed
        await hub.broadcast("g", json.dumps({"n": sent + 1}))
        sent += 1
        assert member.offsets()[-1] == sent  # live after the replay, no gap


def test_join_takes_a_position_as_since_and_names_anything_else(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from socketsundso import on_event
    from socketsundso.testing import EventSession

    class Room(WebSocketHandlingEndpoint):
        groups = MemoryGroups(history=History())

        @on_event
        async def enter(self, since: Position | None = None) -> dict[str, object]:
            joined = await self.join("room", since=since)
            return {"offset": joined.position.offset if joined.position else None}

        @on_event
        async def odd(self) -> None:
            await self.join("room", since={"epoch": "e", "offset": 0})  # type: ignore[arg-type]

    with EventSession.connect(Room) as session:
        session.send_event("enter", since={"epoch": "e", "offset": 0})
        assert session.receive_json() == {"type": "enter", "offset": 0}
        session.send_event("odd")  # the server's bug: logged, the client told no more
        with contextlib.suppress(WebSocketDisconnect):
            assert session.receive_json()["errors"][0]["type"] == "internal_error"
    assert "since must be a socketsundso.groups.Position or None, not dict" in caplog.text
