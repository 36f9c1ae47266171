"""A small chat on socketsundso: rooms, messages to a room, whispers to one member.

Run it with ``python -m socketsundso serve examples.chat:app`` (or ``python
examples/chat.py``, the same settings) and open http://127.0.0.1:8000 in two browser
tabs. The page (``static/``) speaks this protocol over ``/ws``::

    → {"type": "join", "room": "lobby", "name": "ann"}
    ← {"type": "join", "room": "lobby", "name": "ann", "members": ["ann"]}
    → {"type": "say", "text": "hi"}
    ← {"type": "message", "room": "lobby", "sender": "ann", "text": "hi", "to": null}
    → {"type": "whisper", "to": "bob", "text": "psst"}
    → {"type": "leave"}
    ← {"type": "leave", "room": "lobby"}

Everyone in the room gets each ``message``; a whisper's goes to its sender and its
recipient only; the others hear ``{"type": "joined" | "left", "room", "name"}``.
Mistakes (saying before joining, a taken name, whispering to nobody) get an
``{"errors": [...]}`` reply and the connection goes on. Rooms live in this process's
memory: to chat across several server processes you would put a broker behind
``Rooms``.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, StringConstraints
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from socketsundso import InvalidMessage, WebSocketHandlingEndpoint, on_event

__all__ = ["Chat", "Joined", "Line", "Presence", "Rooms", "app", "rooms"]

STATIC = Path(__file__).parent / "static"


def normalised_name(value: str) -> str:
    """A name as people read it: NFKC-normalised, without invisible or mixed-script tricks.

    NFKC folds compatibility forms (fullwidth letters, U+FF21 and on, are ASCII ones);
    control and format characters (a zero-width space, a right-to-left override) are
    refused, and so is a name whose letters come from more than one script (a Cyrillic
    a, U+0430, among Latin letters), so that look-alikes of a member's name can't join
    beside it.
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
    return name


#: A member's or a room's name: 1 to 32 characters, normalised (``normalised_name``).
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=32),
    AfterValidator(normalised_name),
]
#: What a member says: 1 to 1000 characters.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class Joined(BaseModel):
    """The reply to ``join``: the room as its new member finds it."""

    room: str
    name: str
    members: list[str]


class Presence(BaseModel):
    """Told to the others in a room when someone joins or leaves it."""

    type: Literal["joined", "left"]
    room: str
    name: str


class Line(BaseModel):
    """One chat line: ``say`` sends it to the whole room, ``whisper`` to one member.

    Its sender gets it too, as the reply to its own message, so every page shows
    the text as the server accepted it.
    """

    type: Literal["message"] = "message"
    room: str
    sender: str
    text: str
    #: The recipient of a whisper; ``None`` for a line said to the whole room.
    to: str | None = None


def chat_error(error_type: str, msg: str, field: str | None = None) -> InvalidMessage:
    """An error reply about the client's message (``field`` names the culprit field)."""
    return InvalidMessage([{"type": error_type, "loc": [field] if field else [], "msg": msg}])


async def deliver(member: Chat, message: BaseModel) -> bool:
    """Send ``message`` to another connection; ``False`` if that peer went away.

    A peer's failure is never the sender's: its own connection notices the
    disconnect and leaves the room in ``on_disconnect``.
    """
    try:
        await member.send_json(message)
    except (WebSocketDisconnect, RuntimeError):  # gone, or closed while we sent
        return False
    return True


class Rooms:
    """Who is in which room, shared by every connection of this process (in memory)."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, Chat]] = {}

    def members(self, room: str) -> list[str]:
        """The names in ``room``, in the order they joined."""
        return list(self._rooms.get(room, ()))

    def find(self, room: str, name: str) -> Chat | None:
        """The connection of member ``name`` of ``room``, if there is one."""
        return self._rooms.get(room, {}).get(name)

    def add(self, room: str, name: str, member: Chat) -> None:
        """Put ``member`` in ``room`` as ``name``; a name is unique within its room.

        Unique regardless of case: ``Ann`` can't join a room where ``ann`` is.
        """
        members = self._rooms.setdefault(room, {})
        taken = next((other for other in members if other.casefold() == name.casefold()), None)
        if taken is not None:
            raise chat_error("name_taken", f"{taken!r} is already in room {room!r}", "name")
        members[name] = member

    def remove(self, room: str, name: str, member: Chat) -> None:
        """Take ``member`` out of ``room``; a room nobody is in is forgotten."""
        members = self._rooms.get(room, {})
        if members.get(name) is member:
            del members[name]
        if not members:
            self._rooms.pop(room, None)

    async def broadcast(self, room: str, message: BaseModel, *, exclude: str | None = None) -> None:
        """Send ``message`` to every member of ``room`` but ``exclude``.

        One member after another: a member on a slow network slows the sender down.
        An app with many members per room would give each member a queue of its own.
        """
        for name, member in list(self._rooms.get(room, {}).items()):
            if name != exclude:
                await deliver(member, message)


#: The rooms of this process.
rooms = Rooms()


class Chat(WebSocketHandlingEndpoint):
    """One chat connection: a member of at most one room at a time."""

    #: Chat lines are short: refuse anything over 16 KiB before parsing it.
    max_message_size = 16 * 1024

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        super().__init__(scope, receive, send)
        self.room: str | None = None
        self.name: str | None = None

    @on_event(response_model=Joined)
    async def on_join(self, room: Name, name: Name) -> Joined:
        """Enter ``room`` as ``name``; the others in it are told."""
        if self.room is not None:
            raise chat_error("already_joined", f"Leave room {self.room!r} first")
        rooms.add(room, name, self)
        self.room, self.name = room, name
        await rooms.broadcast(room, Presence(type="joined", room=room, name=name), exclude=name)
        return Joined(room=room, name=name, members=rooms.members(room))

    @on_event(response_model=Line)
    async def on_say(self, text: Text) -> Line:
        """Say ``text`` to everyone in the room."""
        room, name = self.membership()
        line = Line(room=room, sender=name, text=text)
        await rooms.broadcast(room, line, exclude=name)
        return line

    @on_event(response_model=Line)
    async def on_whisper(self, to: Name, text: Text) -> Line:
        """Say ``text`` to member ``to`` of the room only."""
        room, name = self.membership()
        line = Line(room=room, sender=name, text=text, to=to)
        member = rooms.find(room, to)
        if member is None or member is self or not await deliver(member, line):
            raise chat_error(
                "unknown_member", f"Nobody else called {to!r} is in room {room!r}", "to"
            )
        return line

    @on_event
    async def on_leave(self) -> dict[str, str]:
        """Leave the room; the others in it are told."""
        room, _ = self.membership()
        await self.leave_room()
        return {"room": room}

    async def on_disconnect(self, close_code: int) -> None:
        """A member who goes away leaves their room."""
        if self.room is not None:
            await self.leave_room()

    def membership(self) -> tuple[str, str]:
        """This connection's room and name; an error reply if it has not joined one."""
        if self.room is None or self.name is None:
            raise chat_error("not_joined", "Join a room first")
        return self.room, self.name

    async def leave_room(self) -> None:
        """Leave the current room and tell the others in it."""
        room, name = self.membership()
        self.room = self.name = None
        rooms.remove(room, name, self)
        await rooms.broadcast(room, Presence(type="left", room=room, name=name))


async def page(request: Request) -> FileResponse:
    """The chat page."""
    return FileResponse(STATIC / "index.html")


app = Starlette(
    routes=[
        Route("/", page),
        WebSocketRoute("/ws", Chat),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
)

if __name__ == "__main__":
    # uvicorn under limits derived from the app (frames up to Chat's 16 KiB, no
    # compression, keepalive pings, a bounded shutdown): see docs/serving.md.
    from socketsundso.serving import run

    run(app, host="127.0.0.1", port=8000)
