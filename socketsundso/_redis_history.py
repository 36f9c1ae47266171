"""The history of ``RedisGroups``: two Lua scripts, and the replay of a join.

Per group, Redis holds two keys, both expiring ``ttl`` after the last broadcast:

- ``<prefix>position:<group>``, a hash: ``e`` the epoch, ``o`` the last offset;
- ``<prefix>history:<group>``, a stream of the last ``size`` (or a few more: ``MAXLEN ~``)
  messages, each with the ID ``0-<offset>`` and the fields ``t`` (Redis's time, in
  milliseconds) and ``d`` (the text members got).

``BROADCAST`` does a broadcast in one command (EVALSHA): it starts a new epoch if the
group has no position (never had one, expired, or Redis lost it), assigns the next
offset, completes the text with its position, appends it to the stream, refreshes both
expiries and PUBLISHes ``<offset> <epoch>\\n<text>`` on the group's channel. Every
worker's listener, the broadcaster's own included, delivers it from there: members get a
group's messages in offset order. ``READ`` answers a join: the position (started anew
if there is none), Redis's time, and a page of the stream after a given offset.

A join and the listener race: the join's READ runs on another connection, so the
listener may deliver messages published before the READ after its answer came.
``Joining`` is a joining member's state that sorts it out: messages wait while the join
reads, then those the replay had (same epoch, offset not past the position) are left
out until the first one past it arrives.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ._history import History, Membership, Position, Reason, refusal

__all__ = ["BROADCAST", "BROADCAST_SHA", "READ", "READ_SHA", "REPLAY_PAGE", "Joining", "replay"]

#: Most stream entries one READ returns.
REPLAY_PAGE = 256

# A new epoch: the hub's random token and Redis's time in microseconds (a Redis that lost
# its keys can't give a group back an epoch it had).
_NEW_EPOCH = """
local function position(meta, stream, token)
  local epoch = redis.call('HGET', meta, 'e')
  if epoch then
    return epoch, tonumber(redis.call('HGET', meta, 'o')), 0
  end
  local now = redis.call('TIME')
  epoch = token .. '.' .. now[1] .. string.format('%06d', tonumber(now[2]))
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'e', epoch, 'o', 0)
  return epoch, 0, 1
end
local function milliseconds()
  local now = redis.call('TIME')
  return tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end
"""

#: KEYS: position, history. ARGV: channel, head (see ``position_head``), size, ttl in
#: milliseconds, the hub's token. Returns the message's offset.
BROADCAST = (
    _NEW_EPOCH
    + """
local epoch = position(KEYS[1], KEYS[2], ARGV[5])
local offset = redis.call('HINCRBY', KEYS[1], 'o', 1)
local text = ARGV[2] .. epoch .. '","offset":' .. offset .. '}}'
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '0-' .. offset, 't', milliseconds(), 'd', text)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[1], offset .. ' ' .. epoch .. '\\n' .. text)
return offset
"""
)

#: KEYS: position, history. ARGV: the offset to read after (-1: read nothing), most
#: entries, ttl in milliseconds, the hub's token. Returns {epoch, offset, created (0/1),
#: Redis's time in milliseconds, entries}.
READ = (
    _NEW_EPOCH
    + """
local epoch, offset, created = position(KEYS[1], KEYS[2], ARGV[4])
if created == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
local entries = {}
local after = tonumber(ARGV[1])
if after >= 0 and after < offset then
  entries = redis.call('XRANGE', KEYS[2], '0-' .. (after + 1), '+', 'COUNT', ARGV[2])
end
return {epoch, offset, created, milliseconds(), entries}
"""
)

BROADCAST_SHA = hashlib.sha1(BROADCAST.encode()).hexdigest()
READ_SHA = hashlib.sha1(READ.encode()).hexdigest()


class Page:
    """One READ's answer."""

    __slots__ = ("created", "entries", "epoch", "now", "offset")

    def __init__(self, reply: Any) -> None:
        epoch, offset, created, now, entries = reply
        self.epoch: str = epoch.decode()
        self.offset = int(offset)
        self.created = bool(created)
        self.now = int(now)
        #: (offset, milliseconds, text) of each entry, in order.
        self.entries = [_entry(entry) for entry in entries]


def _entry(entry: Any) -> tuple[int, int, bytes]:
    entry_id, fields = entry
    values = dict(zip(fields[::2], fields[1::2], strict=True))
    return int(entry_id.split(b"-")[1]), int(values[b"t"]), values[b"d"]


async def replay(
    read: Any, group: str, since: Position | None, history: History
) -> tuple[Membership, list[bytes]]:
    """What a join answers, and the texts it replays, from READs: ``read(after, count)``
    runs the script and returns its reply.

    The replay ends at the position the first READ found: what comes later reaches the
    joining member live (it was subscribed before the first READ).
    """
    page = Page(await read(-1 if since is None else since.offset, REPLAY_PAGE))
    position = Position(epoch=page.epoch, offset=page.offset)
    if since is None:
        return Membership(group, position, False, None), []
    reason: Reason | None = refusal(since, page.epoch, page.offset, history, page.created)
    texts: list[bytes] = []
    expected = since.offset + 1
    oldest = page.now - int(history.ttl * 1000)
    while reason is None and expected <= position.offset:
        if not page.entries or page.entries[0][0] != expected:
            reason = "too_old"  # trimmed (or, after a page, Redis lost it meanwhile)
        elif expected == since.offset + 1 and page.entries[0][1] < oldest:
            reason = "too_old"
        else:
            for offset, _, text in page.entries:
                if offset != expected or offset > position.offset:
                    break
                texts.append(text)
                expected += 1
            if expected <= position.offset:
                page = Page(await read(expected - 1, REPLAY_PAGE))
                if page.epoch != position.epoch:
                    reason = "epoch_changed"
    if reason is not None:
        return Membership(group, position, False, reason), []
    return Membership(group, position, True, None), texts


class Joining:
    """A member whose join reads the history (``waiting`` holds what arrives meanwhile),
    then one that skips what its replay had until the listener is past it."""

    __slots__ = ("after", "epoch", "waiting")

    def __init__(self) -> None:
        #: (offset, epoch, text) of the messages that arrived while the join read.
        self.waiting: list[tuple[int, bytes, str]] | None = []
        self.epoch = b""
        self.after = -1

    def settle(self, position: Position | None) -> list[str]:
        """The join has read up to ``position``: the waiting messages to deliver now
        (those after it); from now on, ``arrived`` decides."""
        waiting, self.waiting = self.waiting or [], None
        if position is None:
            return [text for _, _, text in waiting]
        self.epoch, self.after = position.epoch.encode(), position.offset
        return [text for offset, epoch, text in waiting if self.past(offset, epoch)]

    def past(self, offset: int, epoch: bytes) -> bool:
        """Whether a message comes after what the member has (recording it if so)."""
        if epoch == self.epoch and offset <= self.after:
            return False
        self.epoch, self.after = epoch, offset
        return True
