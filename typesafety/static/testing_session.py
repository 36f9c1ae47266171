"""``socketsundso.testing`` sessions are generic in a parameterized endpoint class too."""

from __future__ import annotations

from typing import Any

from chat import Chat
from starlette.testclient import WebSocketTestSession
from typing_extensions import assert_type

from socketsundso.testing import AsyncEventSession, EventSession


def wrapped(session: WebSocketTestSession) -> None:
    chat = EventSession(session, Chat)
    assert_type(chat, EventSession[Chat])
    assert_type(chat.endpoint, type[Chat])
    chat.send_event("say", room="lobby", text="hi")
    assert_type(chat.receive_event(), dict[str, Any])


def connected() -> None:
    # Bare EventSession.connect(Chat) is fine for both, but only mypy infers
    # EventSession[Chat]; pyright gives the default, EventSession[WebSocketHandlingEndpoint].
    with EventSession.connect(Chat) as chat:
        chat.send_event("say", room="lobby", text="hi")
    with EventSession[Chat].connect(Chat) as typed:
        assert_type(typed, EventSession[Chat])


async def in_the_loop() -> None:
    chat = AsyncEventSession(Chat)
    assert_type(chat, AsyncEventSession[Chat])
    async with AsyncEventSession[Chat].connect(Chat) as typed:
        assert_type(typed, AsyncEventSession[Chat])
        await typed.send_event("say", room="lobby", text="hi")
        assert_type(await typed.receive_event(timeout=1), dict[str, Any])


def annotated(chat: EventSession[Chat], bare: EventSession) -> None:
    """``EventSession[Chat]`` and a bare ``EventSession`` are both fine annotations."""
    chat.send_event("say", room="lobby", text="hi")
    bare.send_event("anything")


def wrong_argument() -> EventSession[int]:  # rejected: int is no endpoint class
    raise NotImplementedError
