"""Issue 19's findings give one answer however mypy runs: cold, warm, 4 workers, dmypy.

One project holds every shape of typesafety/test_endpoints/test_class_identity.yml,
split over modules so that the mixins and helpers come from mypy's cache (or from
another worker) when the endpoints are analysed; ``use.py`` (which has
``reveal_type``, so is re-checked on every run) prints what the plugin made of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mypy_plugin.guard import DEBUG_VARIABLE

from .support import Project, dmypy_for, dmypy_run, handlers_note

MODULES = {
    "attach.py": """
from typing import TypeVar
from socketsundso import WebSocketHandlingEndpoint

E = TypeVar("E", bound=type[WebSocketHandlingEndpoint])

def with_ping(cls: E) -> E:
    @cls.on_event("ping")
    async def ping() -> None: ...

    return cls
""",
    "mixins.py": """
import functools
from socketsundso import on_event

async def _ping(self: object) -> None: ...

class Assigned:
    ping = on_event("ping")(_ping)

class Decorated:
    @on_event
    async def on_pong(self) -> None: ...

class Plain:
    limit: int = 3

    def helper(self) -> None: ...

@functools.cache
def helper() -> int:
    return 1
""",
    "chat.py": """
from collections.abc import Callable
from typing import Any
from pydantic import Field
from socketsundso import WebSocketHandlingEndpoint, on_event
import attach
import mixins

def logged(function: Callable[..., Any]) -> Callable[..., Any]:
    return function

class Chat(WebSocketHandlingEndpoint):
    @on_event
    async def on_join(self) -> None: ...

class Admin:
    class Chat(WebSocketHandlingEndpoint):
        @on_event
        async def on_join(self) -> None: ...

class Early(Chat):
    pass

@Chat.on_event("late")
async def late() -> None: ...

class Later(Chat):
    pass

class Hidden(WebSocketHandlingEndpoint):
    @logged
    @on_event
    async def on_hidden(self) -> None: ...

@attach.with_ping
class ClassDecorated(WebSocketHandlingEndpoint):
    pass

class WithAssigned(mixins.Assigned, WebSocketHandlingEndpoint):
    pass

class WithDecorated(mixins.Decorated, mixins.Plain, WebSocketHandlingEndpoint):
    pass

class WithUtil(WebSocketHandlingEndpoint):
    util = mixins.helper

class Aliased(WebSocketHandlingEndpoint):
    @on_event
    async def on_join(self, room: str = Field(alias="roomName")) -> None: ...
""",
    "use.py": """
from chat import (
    Admin, Aliased, Chat, ClassDecorated, Early, Hidden, Later, WithAssigned, WithDecorated,
    WithUtil,
)
from socketsundso.testing import EventSession

reveal_type(Chat.handlers)
reveal_type(Admin.Chat.handlers)
reveal_type(Early.handlers)
reveal_type(Later.handlers)
reveal_type(Hidden.handlers)
reveal_type(ClassDecorated.handlers)
reveal_type(WithAssigned.handlers)
reveal_type(WithDecorated.handlers)
reveal_type(WithUtil.handlers)

def talk(session: EventSession[Aliased]) -> None:
    session.send_event("join", roomName="lobby")
    session.send_event("join", room="lobby")

def read(endpoint: type[Later], chat: Later) -> None:
    reveal_type(endpoint.handlers)
    reveal_type(chat.event_message_model)
""",
}

OPEN = 'Revealed type is "socketsundso._typing.EventHandlers[str]"'
EXPECTED = [
    f"use.py:{line}: note: {note}"
    for line, note in enumerate(
        [
            handlers_note("join", "late"),
            handlers_note("join"),
            handlers_note("join"),
            handlers_note("join", "late"),
            OPEN,
            OPEN,
            OPEN,
            handlers_note("pong"),
            OPEN,
        ],
        start=8,
    )
] + [
    'use.py:20: error: Unexpected keyword argument "room" for "send_event" of "EventSession"'
    "  [call-arg]",
    'use.py:20: note: "send_event" defined in "socketsundso.testing"',
    f"use.py:23: note: {handlers_note('join', 'late')}",
    'use.py:24: note: Revealed type is "type[socketsundso.models.WebSocketEventMessage['
    "Literal['join'] | Literal['late']]]\"",
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """The project; plugin exceptions propagate."""
    monkeypatch.setenv(DEBUG_VARIABLE, "1")
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path, dict(MODULES))


def test_cold_and_warm_runs_agree(project: Project) -> None:
    assert project.check() == EXPECTED
    assert project.check() == EXPECTED
    # The endpoints analysed again, with attach.py and mixins.py from the cache.
    project.append("chat.py", "\nLIMIT = 1\n")
    assert project.check() == EXPECTED


def test_four_workers_agree(project: Project) -> None:
    assert project.check("--num-workers", "4") == EXPECTED
    project.append("chat.py", "\nLIMIT = 1\n")
    assert project.check("--num-workers", "4") == EXPECTED


def test_the_daemon_agrees(project: Project) -> None:
    with dmypy_for(project) as dmypy:
        assert dmypy_run(project, dmypy) == EXPECTED
        project.append("chat.py", "\nLIMIT = 1\n")
        assert dmypy_run(project, dmypy) == EXPECTED
