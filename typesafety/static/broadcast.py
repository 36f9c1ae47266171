"""``broadcast`` is a classmethod: from outside (``Chat.broadcast``) and inside (``self``)."""

from __future__ import annotations

from chat import Chat, Left, Other, Said


async def from_outside() -> None:
    await Chat.broadcast("lobby", Said(room="lobby", text="hi"))
    await Chat.broadcast("lobby", Left(room="lobby"))
    await Chat.broadcast("lobby", {"type": "left", "room": "lobby"})
    await Chat.broadcast("lobby", Other())  # rejected: Other is not one of Chat's events
    await Chat.broadcast("lobby", 1)  # rejected: not a model


class FromInside(Chat):
    async def on_connect(self) -> None:
        await self.broadcast("lobby", Left(room="lobby"))
        await type(self).broadcast("lobby", Said(room="lobby", text="hi"))
        await self.broadcast("lobby", Other())  # rejected: Other is not one of Chat's events
        await self.broadcast("lobby", 1)  # rejected: not a model
