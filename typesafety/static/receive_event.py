"""``receive_event(Model)`` returns the model; without one, the dict as before."""

from __future__ import annotations

from typing import Any

from chat import Chat, Left, Said
from typing_extensions import assert_type

from socketsundso.testing import AsyncEventSession, EventSession


def sync_session(chat: EventSession[Chat]) -> None:
    assert_type(chat.receive_event(Said), Said)
    assert_type(chat.receive_event(Left, timeout=1), Left)
    assert_type(chat.receive_event(), dict[str, Any])
    assert_type(chat.receive_event(timeout=1), dict[str, Any])
    chat.receive_event("said")  # rejected: a model class or a timeout


async def async_session(chat: AsyncEventSession[Chat]) -> None:
    assert_type(await chat.receive_event(Said), Said)
    assert_type(await chat.receive_event(timeout=1), dict[str, Any])
    await chat.receive_event("said")  # rejected: a model class or a timeout
