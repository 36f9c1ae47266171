"""A small chat on socketsundso: rooms, messages to a room, whispers to one member.

Run it with ``python -m socketsundso serve examples.chat:app`` (or ``python
examples/chat.py``, the same settings) and open http://127.0.0.1:8000 in two browser
tabs. The page (``static/``) speaks this protocol over ``/ws`` through the client
generated from ``Chat`` (``static/chat_client.js`` and its ``.d.ts``: regenerate them
with ``python -m socketsundso typescript examples.chat:Chat --js --out
examples/static/chat_client.js`` after changing the protocol; a test fails until
then)::

    → {"type": "join", "room": "lobby", "name": "ann"}
    ← {"type": "join", "room": "lobby", "name": "ann", "members": ["ann"],
       "group": "room:lobby", "position": {"epoch": "9c1f…", "offset": 41},
       "recovered": false, "reason": null}
    → {"type": "say", "text": "hi"}
    ← {"type": "message", "room": "lobby", "sender": "ann", "text": "hi", "to": null,
       "at": "2026-12-06T12:00:00Z",
       "$position": {"group": "room:lobby", "epoch": "9c1f…", "offset": 42}}
    → {"type": "whisper", "to": "bob", "text": "psst"}
    → {"type": "leave"}
    ← {"type": "leave", "room": "lobby"}

Each room is a group (``room:<room>``) and each member also joins a group of its own
(``member:["<room>", "<name>"]``). A ``say`` line is broadcast to the room's group, its
sender included: that broadcast is how the sender gets its own line, so ``say`` has no
reply of its own (a ``say`` carrying an ``id`` gets no answer with that ``id``; an error
reply does carry it). A whisper's line is the reply to its sender and a broadcast to the
recipient's group. The others in a room hear ``{"type": "joined" | "left", "room",
"name"}``, broadcast before a member joins the room's group and after it left it, so
nobody hears of themselves. Mistakes (saying before joining, a taken name, whispering to
nobody) get an ``{"errors": [...]}`` reply and the connection goes on.

Rooms keep a history (``ROOM_HISTORY``): each line and notice broadcast to a room
carries its ``$position``, and a member that comes back after a reconnect joins with the
last one it got (``"since": {"epoch": …, "offset": …}``): what it missed comes first,
then the reply (``recovered``), or the reply says why not (``reason``: a server
restarted without Redis starts a new epoch). Whispers (a member's own group) are not
replayed: one sent while its recipient was away is lost.

Several workers: with ``REDIS_URL`` set, the groups are ``RedisGroups(REDIS_URL)``
(the ``redis`` extra, installed as ``docs/index.md#install`` says, and a Redis
server), so lines, whispers and presence reach members on every worker process::

    REDIS_URL=redis://127.0.0.1:6379/0 python -m socketsundso serve examples.chat:app --workers 2

(or uvicorn by hand with the flags ``ServeSettings.uvicorn_flags()`` lists, e.g.
``uvicorn examples.chat:app --workers 2 --ws websockets --ws-max-size 16384
--ws-per-message-deflate false``; see ``docs/serving.md``). Without it, the groups
live in this process's memory (``MemoryGroups()``) and one process serves everyone.

What each worker knows is its own members only (``Rooms``; presence across workers is
for later): the ``members`` of a ``join`` reply are the room's members on the worker
that took the connection (later arrivals on any worker are announced with ``joined``);
a name is unique by its look (its confusable skeleton, regardless of case) among the
room's members on one worker, so two workers may each have an ``ann`` (a whisper to
``ann`` reaches both). A whisper to a
name that no member of this worker has is an ``unknown_member`` error when the groups
live in memory (this process is everyone); with Redis it is broadcast to that name's
group all the same, and is lost without a word if nobody, on any worker, has the name.
"""

from __future__ import annotations

import json
import logging
import os
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StringConstraints
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from socketsundso import InvalidMessage, WebSocketHandlingEndpoint, on_event
from socketsundso.groups import BroadcastUnavailable, Groups, History, MemoryGroups, Position

__all__ = [
    "Chat",
    "Joined",
    "Line",
    "Presence",
    "Rooms",
    "app",
    "groups_from_environment",
    "member_group",
    "room_group",
    "rooms",
]

STATIC = Path(__file__).parent / "static"

#: Longest name of a member or a room, in characters (also once normalised).
MAX_NAME_LENGTH = 32

logger = logging.getLogger(__name__)


def read_prototypes(path: Path) -> dict[str, str]:
    """The confusable prototype of each character in ``path`` (``confusable_prototypes.txt``)."""
    prototypes: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.partition("#")[0].split("\t")
        if len(fields) >= 2:
            prototype = "".join(chr(int(code, 16)) for code in fields[1].split())
            prototypes[chr(int(fields[0], 16))] = prototype
    return prototypes


#: Unicode TS #39 prototypes of what a name can hold (``scripts/generate_confusables.py``).
PROTOTYPES = read_prototypes(Path(__file__).parent / "confusable_prototypes.txt")


def skeleton(text: str) -> str:
    """``text``'s confusable skeleton (Unicode TS #39): what it looks like, not how it's spelled.

    NFD, each character replaced by its prototype (``PROTOTYPES``), NFD again: the
    Cyrillic ``\u0430\u0441\u0435`` and the Latin ``ace`` have one skeleton.
    """
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(PROTOTYPES.get(c, c) for c in decomposed))


def look_alike_keys(name: str) -> set[str]:
    """What two names that look alike have in common: their skeletons regardless of case.

    Both orders: casefold first (``Ann`` and ``ann``), and the skeleton first, since a
    capital may look like another lower-case letter than its own (``I`` like ``l``).
    """
    return {skeleton(name.casefold()), skeleton(name).casefold()}


def normalised_name(value: str) -> str:
    """A name as people read it: NFKC-normalised, without invisible or mixed-script tricks.

    NFKC folds compatibility forms (fullwidth letters, U+FF21 and on, are ASCII ones);
    control and format characters (a zero-width space, a right-to-left override) are
    refused, and so is a name whose letters come from more than one script (a Cyrillic
    a, U+0430, among Latin letters). A name written in one script that looks like a
    member's (the Cyrillic ``\u0430\u0441\u0435`` beside ``ace``) is refused when it
    joins: ``Rooms.named`` compares names by their confusable skeletons. NFKC can
    lengthen a name (U+FDFA is 18 letters): the normalised name is held to
    ``MAX_NAME_LENGTH`` too, which keeps group names short.
    """
    name = unicodedata.normalize("NFKC", value).strip()
    hidden = [char for char in name if unicodedata.category(char).startswith("C")]
    if hidden:
        raise ValueError(f"names can't hold control or format characters ({hidden[0]!r})")
    scripts = {unicodedata.name(char, "?").split(" ")[0] for char in name if char.isalpha()}
    if len(scripts) > 1:
        raise ValueError(f"names can't mix scripts ({', '.join(sorted(scripts))})")
    if not name:
        raise ValueError("names can't be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"names have at most {MAX_NAME_LENGTH} characters once normalised")
    return name


#: A member's or a room's name: 1 to 32 characters, normalised (``normalised_name``).
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH),
    AfterValidator(normalised_name),
]
#: What a member says: 1 to 1000 characters.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class Joined(BaseModel):
    """The reply to ``join``: the room as its new member finds it (on this worker).

    ``group`` and ``position`` say where the room's history stood: a page keeps the
    last position it got and passes it back as ``since`` when it joins again after a
    reconnect. ``recovered`` says every line since then came first; if not, ``reason``
    says why (``too_old``, ``epoch_changed``, ``unknown_group``, ``replay_too_large``).
    """

    room: str
    name: str
    members: list[str]
    group: str
    position: Position | None = None
    recovered: bool = False
    reason: str | None = None


class Presence(BaseModel):
    """Broadcast to the others in a room when someone joins or leaves it."""

    type: Literal["joined", "left"]
    room: str
    name: str


class Line(BaseModel):
    """One chat line: ``say`` broadcasts it to the whole room, ``whisper`` to one member.

    The sender of a ``say`` gets its line from the broadcast, as a member of the room;
    the sender of a whisper as the reply. Either way every page shows the text as the
    server accepted it.
    """

    type: Literal["message"] = "message"
    room: str
    sender: str
    text: str
    #: The recipient of a whisper; ``None`` for a line said to the whole room.
    to: str | None = None
    #: When the server accepted the line (UTC).
    at: AwareDatetime = Field(default_factory=lambda: datetime.now(timezone.utc))


def chat_error(error_type: str, msg: str, field: str | None = None) -> InvalidMessage:
    """An error reply about the client's message (``field`` names the culprit field)."""
    return InvalidMessage([{"type": error_type, "loc": [field] if field else [], "msg": msg}])


def room_group(room: str) -> str:
    """The group of everyone in ``room``: its lines and presence notices go there."""
    return f"room:{room}"


def member_group(room: str, name: str) -> str:
    """The group of member ``name`` of ``room``, where whispers to it go.

    The pair is written as JSON, so that no two pairs share a group whatever their
    names hold (``("a:b", "c")`` and ``("a", "b:c")`` don't); case doesn't count, as
    for names taken.
    """
    return "member:" + json.dumps([room, name.casefold()], ensure_ascii=False)


#: What a room remembers for members who come back: its last 200 lines and notices, for
#: 5 minutes (a phone that changed networks, a reload, a server restart with Redis).
ROOM_HISTORY = History(size=200, ttl=300)


def groups_from_environment() -> Groups:
    """``RedisGroups(REDIS_URL)`` when ``REDIS_URL`` is set (several workers), else the
    in-memory ``MemoryGroups()`` (one process, nothing to install); either keeps each
    room's ``ROOM_HISTORY``."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return MemoryGroups(history=ROOM_HISTORY)
    from socketsundso.groups import RedisGroups  # imports redis: only when asked for

    return RedisGroups(url, history=ROOM_HISTORY)


class Rooms:
    """Who is in which room among this process's connections (not other workers')."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, Chat]] = {}

    def members(self, room: str) -> list[str]:
        """The names in ``room``, in the order they joined."""
        return list(self._rooms.get(room, ()))

    def named(self, room: str, name: str) -> str | None:
        """The member of ``room`` whose name looks like ``name``, as it wrote its name.

        Names are compared by their confusable skeletons, regardless of case
        (``look_alike_keys``).
        """
        keys = look_alike_keys(name)
        return next(
            (other for other in self._rooms.get(room, ()) if keys & look_alike_keys(other)),
            None,
        )

    def add(self, room: str, name: str, member: Chat) -> None:
        """Put ``member`` in ``room`` as ``name``; a name is unique within its room.

        Unique by its look: ``Ann`` can't join a room where ``ann`` is, nor the all
        Cyrillic ``\u0430\u0441\u0435`` where ``ace`` is.
        """
        taken = self.named(room, name)
        if taken is not None:
            raise chat_error("name_taken", f"{taken!r} is already in room {room!r}", "name")
        self._rooms.setdefault(room, {})[name] = member

    def remove(self, room: str, name: str, member: Chat) -> None:
        """Take ``member`` out of ``room``; a room nobody is in is forgotten."""
        members = self._rooms.get(room, {})
        if members.get(name) is member:
            del members[name]
        if not members:
            self._rooms.pop(room, None)


#: The rooms of this process.
rooms = Rooms()


class Chat(WebSocketHandlingEndpoint[Line | Presence]):
    """One chat connection: a member of at most one room at a time.

    What the server pushes on its own is declared by the class's parameter: chat lines
    (``Line``) and presence notices (``Presence``). ``broadcast`` takes those only
    (mypy and pyright reject anything else), and the AsyncAPI document lists them.
    """

    #: Chat lines are short: refuse anything over 16 KiB before parsing it.
    max_message_size = 16 * 1024
    #: Where rooms live: Redis with ``REDIS_URL`` (every worker), else this process.
    groups = groups_from_environment()

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        super().__init__(scope, receive, send)
        self.room: str | None = None
        self.name: str | None = None

    @on_event(response_model=Joined)
    async def on_join(self, room: Name, name: Name, since: Position | None = None) -> Joined:
        """Enter ``room`` as ``name``; the others in it are told.

        With ``since`` (the room's last position this member got, after a reconnect),
        the lines and notices it missed come first, then the reply.
        """
        if self.room is not None:
            raise chat_error("already_joined", f"Leave room {self.room!r} first")
        rooms.add(room, name, self)
        self.room, self.name = room, name
        await self.announce(Presence(type="joined", room=room, name=name))
        membership = await self.join(room_group(room), since=since)
        await self.join(member_group(room, name))
        return Joined(
            room=room,
            name=name,
            members=rooms.members(room),
            group=membership.group,
            position=membership.position,
            recovered=membership.recovered,
            reason=membership.reason,
        )

    @on_event
    async def on_say(self, text: Text) -> None:
        """Say ``text`` to everyone in the room, this member too (no reply of its own)."""
        room, name = self.membership()
        await self.broadcast(room_group(room), Line(room=room, sender=name, text=text))

    @on_event(response_model=Line)
    async def on_whisper(self, to: Name, text: Text) -> Line:
        """Say ``text`` to member ``to`` of the room only; the reply is the line.

        Whether ``to`` exists is known for this worker's members only: see the module's
        docstring.
        """
        room, name = self.membership()
        recipient = rooms.named(room, to)
        if to.casefold() == name.casefold() or (
            recipient is None and isinstance(self.groups, MemoryGroups)
        ):
            raise chat_error(
                "unknown_member", f"Nobody else called {to!r} is in room {room!r}", "to"
            )
        line = Line(room=room, sender=name, text=text, to=recipient or to)
        await self.broadcast(member_group(room, to), line)
        return line

    @on_event
    async def on_leave(self) -> dict[str, str]:
        """Leave the room; the others in it are told."""
        room, _ = self.membership()
        await self.leave_room()
        return {"room": room}

    async def on_disconnect(self, close_code: int) -> None:
        """A member who goes away leaves their room (its groups are left already)."""
        if self.room is not None:
            await self.leave_room()

    def membership(self) -> tuple[str, str]:
        """This connection's room and name; an error reply if it has not joined one."""
        if self.room is None or self.name is None:
            raise chat_error("not_joined", "Join a room first")
        return self.room, self.name

    async def leave_room(self) -> None:
        """Leave the current room and its groups, then tell the others in it."""
        room, name = self.membership()
        self.room = self.name = None
        rooms.remove(room, name, self)
        await self.leave(room_group(room))
        await self.leave(member_group(room, name))
        await self.announce(Presence(type="left", room=room, name=name))

    async def announce(self, presence: Presence) -> None:
        """Broadcast ``presence`` to its room; a broker out of reach only costs a log line.

        The join or leave it tells of happened all the same, and the members on this
        worker heard of it: it is no error of the client's.
        """
        try:
            await self.broadcast(room_group(presence.room), presence)
        except BroadcastUnavailable:
            logger.warning(
                "%s of %r reached this worker's members only", presence.type, presence.name
            )


async def page(request: Request) -> FileResponse:
    """The chat page."""
    return FileResponse(STATIC / "index.html")


async def favicon(request: Request) -> FileResponse:
    """The page's icon, where browsers look for it first."""
    return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")


app = Starlette(
    routes=[
        Route("/", page),
        Route("/favicon.ico", favicon),
        WebSocketRoute("/ws", Chat),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
)

if __name__ == "__main__":
    # uvicorn under limits derived from the app (frames up to Chat's 16 KiB, no
    # compression, keepalive pings, a bounded shutdown): see docs/serving.md.
    from socketsundso.serving import run

    run(app, host="127.0.0.1", port=8000)
