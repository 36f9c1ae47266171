"""History and resume: what a hub with history keeps per group, and how a join recovers.

A hub made with ``history=History(...)`` numbers each broadcast to a group: the group's
*position* is an epoch (a random name for one life of the group's history) and an
offset (1, 2, 3... within the epoch). Each member receives the message with its
position as the last key of the JSON object (``POSITION_KEY``)::

    {"type": "said", "text": "hi", "$position": {"group": "lobby", "epoch": "3f..", "offset": 7}}

A client keeps the last position of each group it is in and hands it back when it joins
again (``join(group, since=position)``): when the hub still holds every message after
it, those are sent first, then live ones, with no gap and no duplicate; otherwise
nothing is replayed and ``Membership.reason`` says why.

This module holds what both hubs share: the public models, the wire form, the rules of
recovery, and ``MemoryHistory`` (the history of ``MemoryGroups``: a bounded deque per
group, groups forgotten ``ttl`` seconds after their last message).
"""

from __future__ import annotations

import itertools
import json
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "POSITION_KEY",
    "History",
    "Membership",
    "MemoryHistory",
    "Position",
    "Reason",
    "position_head",
    "refusal",
]

#: The key of a message's position, the last of the JSON object a member receives.
POSITION_KEY: Final = "$position"

#: Why a join with ``since`` recovered nothing.
Reason = Literal["too_old", "epoch_changed", "unknown_group", "replay_too_large"]


class Position(BaseModel):
    """Where a group's history stands: the message at ``offset`` in epoch ``epoch``.

    ``offset`` is the offset of the last message the holder has (0: none yet). A new
    epoch starts whenever a group's history starts anew (a new process for
    ``MemoryGroups``, a Redis that lost it, ``ttl`` seconds without a message):
    offsets of different epochs say nothing about each other.
    """

    model_config = ConfigDict(frozen=True)

    epoch: str
    offset: int = Field(ge=0)


@dataclass(frozen=True)
class History:
    """How much of each group's history a hub keeps: ``size`` messages, ``ttl`` seconds.

    ``max_replay`` is the most messages one join replays (``None``: ``size``); a join
    that would replay more recovers nothing (reason ``"replay_too_large"``), so that a
    replay is never unbounded.
    """

    size: int = 1000
    ttl: float = 300.0
    max_replay: int | None = None

    def __post_init__(self) -> None:
        _check_count("size", self.size)
        if isinstance(self.ttl, bool) or not isinstance(self.ttl, (int, float)):
            raise ValueError(f"History: ttl must be a positive number of seconds, not {self.ttl!r}")
        if not self.ttl > 0 or self.ttl == float("inf"):
            raise ValueError(f"History: ttl must be a positive number of seconds, not {self.ttl!r}")
        if self.max_replay is not None:
            _check_count("max_replay", self.max_replay)

    @property
    def replay_limit(self) -> int:
        """The most messages one join replays."""
        return self.size if self.max_replay is None else min(self.max_replay, self.size)


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"History: {name} must be a positive int, not {value!r}")


@dataclass(frozen=True)
class Membership:
    """What ``join`` answers: the group's position once joined, and whether ``since``
    was recovered.

    ``position`` is ``None`` when the hub keeps no history (or, for ``RedisGroups``,
    when Redis could not be asked). After a join that answered ``position``, the
    connection gets every message of the group after it. ``recovered`` is true iff
    ``since`` was given and every message after it was replayed; ``reason`` says why
    not when ``since`` was given and nothing was recovered.
    """

    group: str
    position: Position | None
    recovered: bool
    reason: Reason | None


def position_head(text: str, group: str) -> str:
    """``text`` (a JSON object) without its closing ``}``, followed by the position's
    key and group, up to the opening quote of its epoch.

    The message a member gets is ``head + epoch + '","offset":' + offset + "}}"``.
    """
    body = text.rstrip()[:-1]
    separator = "," if body.rstrip()[-1:] != "{" else ""
    return (
        f'{body}{separator}"{POSITION_KEY}":{{"group":{json.dumps(group, ensure_ascii=False)},'
        '"epoch":"'
    )


def positioned(head: str, epoch: str, offset: int) -> str:
    """The text members get: ``head`` (see ``position_head``) completed with the position."""
    return f'{head}{epoch}","offset":{offset}}}}}'


def refusal(
    since: Position, epoch: str, offset: int, history: History, created: bool
) -> Reason | None:
    """Why the messages after ``since`` can't be replayed from a group's history whose
    position is ``epoch``/``offset``, counting only: ``None`` if they can.

    ``created``: the group had no history before this join. A position ahead of the
    group's in the same epoch was never the group's: ``"unknown_group"``. More missed
    messages than ``size`` are ``"too_old"`` (a Redis stream may hold a few more, but
    never promises them), more than ``max_replay`` ``"replay_too_large"``.
    """
    if created:
        return "unknown_group"
    if since.epoch != epoch:
        return "epoch_changed"
    if since.offset > offset:
        return "unknown_group"
    missed = offset - since.offset
    if missed > history.size:
        return "too_old"
    if missed > history.replay_limit:
        return "replay_too_large"
    return None


#: This process's part of every epoch ``MemoryHistory`` starts.
_PROCESS_EPOCH = secrets.token_hex(8)
#: Numbers each group history started in this process, so that a group forgotten and
#: started again gets a new epoch.
_lives = itertools.count(1)


class _GroupHistory:
    """One group's history in memory: its epoch, last offset, and the messages held."""

    __slots__ = ("entries", "epoch", "head_offset", "last")

    def __init__(self, size: int, now: float) -> None:
        self.epoch = f"{_PROCESS_EPOCH}.{next(_lives)}"
        self.head_offset = 0
        #: (offset, monotonic time, text), oldest first.
        self.entries: deque[tuple[int, float, str]] = deque(maxlen=size)
        self.last = now


class MemoryHistory:
    """The histories of ``MemoryGroups``: per group, the last ``size`` messages younger
    than ``ttl``; a group without a message for ``ttl`` seconds is forgotten.

    Groups are kept in the order of their last message, so forgetting the stale ones
    costs nothing while none is stale.
    """

    def __init__(self, history: History) -> None:
        self.history = history
        self._groups: OrderedDict[str, _GroupHistory] = OrderedDict()

    def record(self, group: str, text: str) -> str:
        """Give ``text`` (one serialized message) the group's next position; return the
        text members get."""
        now = time.monotonic()
        self._forget_stale(now)
        state = self._groups.get(group)
        if state is None:
            state = self._groups[group] = _GroupHistory(self.history.size, now)
        else:
            self._groups.move_to_end(group)
        state.head_offset += 1
        state.last = now
        text = positioned(position_head(text, group), state.epoch, state.head_offset)
        state.entries.append((state.head_offset, now, text))
        return text

    def join(self, group: str, since: Position | None) -> tuple[Membership, Iterable[str]]:
        """What a join of ``group`` answers, and the messages it replays (in order)."""
        now = time.monotonic()
        self._forget_stale(now)
        state = self._groups.get(group)
        created = state is None
        if state is None:
            state = self._groups[group] = _GroupHistory(self.history.size, now)
        position = Position(epoch=state.epoch, offset=state.head_offset)
        if since is None:
            return Membership(group, position, False, None), ()
        reason = refusal(since, state.epoch, state.head_offset, self.history, created)
        replay: list[str] = []
        missed = state.head_offset - since.offset
        if reason is None and missed:
            # The entries hold contiguous offsets, up to head_offset: the missed ones are
            # the last ``missed``, if there are that many and the first is young enough.
            entries = state.entries
            start = len(entries) - missed
            if start < 0 or entries[start][1] < now - self.history.ttl:
                reason = "too_old"
            else:
                replay = [text for _, _, text in itertools.islice(entries, start, None)]
        return Membership(group, position, reason is None, reason), replay

    def _forget_stale(self, now: float) -> None:
        groups = self._groups
        oldest = now - self.history.ttl
        while groups:
            group, state = next(iter(groups.items()))
            if state.last >= oldest:
                return
            del groups[group]

    def __len__(self) -> int:
        return len(self._groups)
