"""Groups of connections, and the hubs that deliver a broadcast to every member of one.

An endpoint class picks its hub with the class attribute ``groups``: ``MemoryGroups()``
(the default: one process) or ``RedisGroups(url)`` (every worker process that shares
the Redis server; ``pip install socketsundso[redis]``). Connections join and leave
with ``await self.join(group)`` / ``await self.leave(group)``, and leave every group
when they end. ``await Endpoint.broadcast(group, message)`` serializes ``message``
once and hands the text to the hub, which gives it to each member's outgoing queue
(``socketsundso.outgoing``): a broadcast never waits for a member's socket.

A hub made with ``history=History(...)`` also numbers each group's broadcasts and keeps
the last ones, so that a client that joins again with the last ``Position`` it got
(``await self.join(group, since=position)``) receives what it missed, or learns that it
can't (``Membership.reason``); see ``socketsundso._history``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from ._history import POSITION_KEY, History, Membership, MemoryHistory, Position
from .exceptions import BroadcastUnavailable, InvalidGroupName, TooManyGroups

if TYPE_CHECKING:
    from ._redis_groups import RedisGroups

__all__ = [
    "MAX_GROUP_NAME_LENGTH",
    "POSITION_KEY",
    "BroadcastUnavailable",
    "Groups",
    "History",
    "InvalidGroupName",
    "Member",
    "Membership",
    "MemoryGroups",
    "Position",
    "RedisGroups",
    "TooManyGroups",
    "check_group_name",
]

#: Longest group name, in characters.
MAX_GROUP_NAME_LENGTH = 256


class Member(Protocol):
    """What a hub delivers to: one connection's outgoing queue."""

    def deliver(self, text: str) -> None:
        """Queue ``text`` (one serialized message) for this member; never blocks."""


def check_group_name(group: object) -> str:
    """``group`` if it is a usable group name: a ``str`` of 1 to ``MAX_GROUP_NAME_LENGTH``
    characters.

    A name of another length may come from a client: ``InvalidGroupName``, a client
    error (``group_name_invalid``). Anything but a ``str`` is the server's bug: a
    ``TypeError`` naming it.
    """
    if not isinstance(group, str):
        raise TypeError(f"a group name is a str, not {type(group).__name__} {group!r:.80}")
    if not group or len(group) > MAX_GROUP_NAME_LENGTH:
        raise InvalidGroupName(group, MAX_GROUP_NAME_LENGTH)
    return group


class Groups:
    """The base of hubs: the members of each group in this process, and local delivery.

    Subclasses add what crosses processes by overriding ``_first_joined``,
    ``_last_left`` and ``broadcast``. Members of a group are kept in join order;
    each group's entry goes away with its last member, so an idle hub holds nothing.
    """

    #: What the hub keeps of each group's broadcasts, for joins to recover from
    #: (``None``: nothing, and messages carry no position).
    history: History | None = None

    def __init__(self) -> None:
        self._members: dict[str, dict[Member, None]] = {}

    async def join(
        self, group: str, member: Member, *, since: Position | None = None
    ) -> Membership:
        """Make ``member`` a member of ``group`` (joining twice is joining once).

        A hub without history answers no position, and recovers nothing.
        """
        check_group_name(group)
        await self._add(group, member)
        return Membership(group, None, False, None if since is None else "unknown_group")

    async def _add(self, group: str, member: Member) -> None:
        """Make ``member`` a member of ``group``; tell the subclass of a first member."""
        members = self._members.get(group)
        if members is None:
            self._members[group] = {member: None}
            await self._first_joined(group)
        else:
            members[member] = None

    async def leave(self, group: str, member: Member) -> None:
        """Remove ``member`` from ``group``; leaving a group one isn't in does nothing."""
        if self._remove(group, member):
            await self._last_left(group)

    def leave_all(self, groups: Iterable[str], member: Member) -> None:
        """Remove ``member`` from each of ``groups`` at once, without waiting for anything.

        A connection that ends calls this: whatever a backend must tell others about
        groups left empty here, it does in the background.
        """
        for group in groups:
            if self._remove(group, member):
                self._last_left_soon(group)

    async def broadcast(self, group: str, text: str) -> None:
        """Give ``text`` (one serialized message) to every member of ``group``.

        Returns after each local member's queue has it, once the members' writers
        had a chance to run (so that a loop of broadcasts lets them drain).
        """
        self.deliver_locally(group, text)
        await asyncio.sleep(0)

    def deliver_locally(self, group: str, text: str) -> int:
        """Queue ``text`` for each member of ``group`` in this process; return how many."""
        members = self._members.get(group)
        if not members:
            return 0
        # A copy: a member whose queue overflows leaves its groups while we iterate.
        for member in tuple(members):
            member.deliver(text)
        return len(members)

    def members(self, group: str) -> int:
        """How many connections of this process are members of ``group``."""
        return len(self._members.get(group, ()))

    def groups(self) -> list[str]:
        """The groups that have members in this process."""
        return list(self._members)

    @property
    def healthy(self) -> bool:
        """Whether broadcasts reach every process: always, for a hub without a broker."""
        return True

    async def aclose(self) -> None:
        """Release what the hub holds (connections to a broker); it reopens when used again."""

    def _remove(self, group: str, member: Member) -> bool:
        """Remove ``member`` from ``group``; say whether that left the group empty."""
        members = self._members.get(group)
        if members is None or member not in members:
            return False
        del members[member]
        if members:
            return False
        del self._members[group]
        return True

    async def _first_joined(self, group: str) -> None:
        """``group`` got its first member in this process."""

    async def _last_left(self, group: str) -> None:
        """``group`` lost its last member in this process."""

    def _last_left_soon(self, group: str) -> None:
        """``group`` lost its last member in this process, and nobody can wait for the news."""


class MemoryGroups(Groups):
    """Groups within one process: nothing to install or run, nothing crosses processes.

    Each endpoint class that doesn't set ``groups`` gets a hub of its own: the group
    ``"lobby"`` of one class and of another are different groups. To share groups
    between classes, give them the same instance (or set it on a common base class).

    With ``history=History(size, ttl)``, each group's last ``size`` broadcasts younger
    than ``ttl`` seconds are kept in memory, for joins with ``since`` to replay. A
    group's epoch is new with each process (and when the group's history is forgotten,
    ``ttl`` seconds after its last message): a client that resumes across a restart
    learns ``"unknown_group"`` or ``"epoch_changed"``, never a wrong replay.
    """

    def __init__(self, *, history: History | None = None) -> None:
        super().__init__()
        if history is not None and not isinstance(history, History):
            raise TypeError(f"MemoryGroups: history must be a History, not {history!r}")
        self.history = history
        self._histories = None if history is None else MemoryHistory(history)

    async def join(
        self, group: str, member: Member, *, since: Position | None = None
    ) -> Membership:
        """Make ``member`` a member of ``group``; with history, replay what it missed
        after ``since`` first (nothing awaited in between: no message can slip past)."""
        histories = self._histories
        if histories is None:
            return await super().join(group, member, since=since)
        check_group_name(group)
        already = member in self._members.get(group, ())
        membership, replay = histories.join(group, None if already else since)
        if already:  # it has had every message since it joined: nothing to replay
            return membership
        for text in replay:
            member.deliver(text)
        await self._add(group, member)
        return membership

    async def broadcast(self, group: str, text: str) -> None:
        """Give ``text`` to every member of ``group``, with the group's next position
        when the hub keeps history."""
        histories = self._histories
        if histories is not None:
            text = histories.record(group, text)
        self.deliver_locally(group, text)
        await asyncio.sleep(0)


def __getattr__(name: str) -> Any:
    if name == "RedisGroups":  # its module imports redis: only when asked for
        from ._redis_groups import RedisGroups

        return RedisGroups
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
