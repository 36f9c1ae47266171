"""``socketsundso.client``: requests and sends typed by the handler methods themselves.

The fields are the handler's parameters (a ``ParamSpec``), the reply its return type:
mypy and pyright check both without the plugin.
"""

from __future__ import annotations

from chat import Left, Said
from pydantic import BaseModel
from typing_extensions import assert_type

from socketsundso import WebSocketHandlingEndpoint, on_event
from socketsundso.client import Client, ConnectionState, RequestError, connect


class Joined(BaseModel):
    """The reply to ``join``."""

    room: str
    members: list[str]


class Lobby(WebSocketHandlingEndpoint[Said | Left]):
    """Rooms to join and say things in."""

    @on_event(response_model=Joined)
    async def on_join(self, room: str, name: str) -> Joined:
        return Joined(room=room, members=[name])

    @on_event
    async def on_say(self, room: str, text: str) -> None:
        await self.broadcast(room, Said(room=room, text=text))

    @on_event
    async def on_count(self, room: str) -> dict[str, int]:
        return {"members": len(room)}


async def typical(url: str) -> None:
    async with connect(url, Lobby, request_timeout=5) as client:
        assert_type(client, Client[Lobby])
        joined = await client.request(Lobby.on_join, room="lobby", name="ann")
        assert_type(joined, Joined)
        assert_type(joined.members, list[str])
        assert_type(await client.request(Lobby.on_join, "lobby", "bob"), Joined)
        assert_type(await client.request(Lobby.on_count, room="lobby"), dict[str, int])
        await client.send(Lobby.on_say, room="lobby", text="hi")
        said = await client.receive_event(Said, timeout=5)
        assert_type(said.text, str)
        async for event in client.events():
            assert_type(event, BaseModel)
            if isinstance(event, Left):
                assert_type(event.room, str)
        try:
            await client.request(Lobby.on_join, room="lobby", name="ann")
        except RequestError as error:
            print(error.event, [entry.get("msg") for entry in error.errors])

        def changed(state: ConnectionState) -> None:
            print(state)

        stop = client.on_state(changed)
        stop()


async def mistakes(client: Client[Lobby]) -> None:
    await client.request(Lobby.on_join, room=1, name="ann")  # rejected: a wrong field type
    await client.request(Lobby.on_join, room="lobby")  # rejected: a missing field
    await client.request(Lobby.on_join, room="x", name="y", colour="z")  # rejected: unknown field
    joined = await client.request(Lobby.on_join, room="lobby", name="ann")
    print(joined.nope)  # rejected: an unknown reply attribute
    said = await client.receive_event(Said)
    print(said.nope)  # rejected: an unknown event attribute
    await client.send(Lobby.on_say, room="lobby", txt="hi")  # rejected: a field by a wrong name
