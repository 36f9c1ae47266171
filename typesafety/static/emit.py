"""``emit`` takes the events the endpoint declares (a model or a dict), nothing else."""

from __future__ import annotations

from chat import Chat, Left, Other, Said


async def declared(chat: Chat) -> None:
    await chat.emit(Said(room="a", text="hi"))
    await chat.emit(Left(room="a"))
    await chat.emit({"type": "said", "room": "a", "text": "hi"})


async def undeclared(chat: Chat) -> None:
    await chat.emit(Other())  # rejected: Other is not one of Chat's events
    await chat.emit(1)  # rejected: not a model


class Inside(Chat):
    async def on_connect(self) -> None:
        await self.emit(Said(room="a", text="hi"))
        await self.emit(Other())  # rejected: Other is not one of Chat's events
