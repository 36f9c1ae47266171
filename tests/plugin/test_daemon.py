"""The plugin under ``dmypy``: the daemon's fine-grained updates keep the Literal right."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import CHAT, CHAT_WITH_MIXIN, MIXINS, Project, dmypy_for, expected
from .support import dmypy_run as run


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[tuple[Project, list[str]]]:
    """A project and the ``dmypy`` command prefix for it; the daemon is stopped after."""
    project = Project(tmp_path)
    with dmypy_for(project) as dmypy:
        yield project, dmypy


def test_the_daemon_follows_edits(daemon: tuple[Project, list[str]]) -> None:
    project, dmypy = daemon
    assert run(project, dmypy) == expected("join", "say")
    assert run(project, dmypy) == expected("join", "say")
    project.append(
        "base.py",
        """
        @Presence.on_event
        async def on_ping() -> None: ...
        """,
    )
    assert run(project, dmypy) == expected("join", "ping", "say")
    project.write(
        "chat.py",
        """
        from socketsundso import on_event
        from base import Presence

        class Chat(Presence):
            @on_event("join")
            async def rejoin(self) -> None: ...
        """,
    )
    assert run(project, dmypy) == expected("ping", "join")


#: A module without errors (dmypy re-checks modules with errors on every run anyway).
SESSION = """
from chat import Chat
from socketsundso.testing import EventSession

def talk(session: EventSession[Chat]) -> None:
    session.send_event("say", text="hi")
"""


def test_the_daemon_follows_a_handler_parameter_change(
    daemon: tuple[Project, list[str]],
) -> None:
    project, dmypy = daemon
    project.write("session.py", SESSION)
    assert run(project, dmypy, "session.py") == expected("join", "say")
    project.write("chat.py", CHAT.replace("text: str", "text: float"))
    assert run(project, dmypy, "session.py") == [
        *expected("join", "say", say_field=None),
        'session.py:6: error: Argument "text" to "send_event" of "EventSession" has '
        'incompatible type "str"; expected "float"  [arg-type]',
    ]


def test_the_daemon_follows_an_edit_of_a_mixin(daemon: tuple[Project, list[str]]) -> None:
    project, dmypy = daemon
    project.write("mixins.py", MIXINS)
    project.write("chat.py", CHAT_WITH_MIXIN)
    assert run(project, dmypy) == expected("join", "ping", "say")
    project.write(
        "mixins.py",
        MIXINS + "\n    @on_event\n    async def on_pong(self) -> None: ...\n",
    )
    assert run(project, dmypy) == expected("join", "ping", "pong", "say")


#: A module without errors that reads ``Chat.handlers`` (the class stores ``str`` in
#: place of its event union; the read puts the union back, and depends on it).
LOOKUP = """
from chat import Chat

def look() -> None:
    Chat.handlers["say"]
"""


def test_the_daemon_rechecks_a_lookup_when_the_events_change(
    daemon: tuple[Project, list[str]],
) -> None:
    project, dmypy = daemon
    project.write("lookup.py", LOOKUP)
    assert run(project, dmypy, "lookup.py") == expected("join", "say")
    project.write("chat.py", CHAT.replace('"say"', '"talk"'))
    assert run(project, dmypy, "lookup.py") == [
        *expected("join", "talk"),
        "lookup.py:5: error: Invalid index type \"Literal['say']\" for "
        "\"EventHandlers[Literal['join', 'talk']]\"; expected type \"Literal['join', 'talk']\""
        "  [index]",
    ]
    # An event name the plugin can't read: the events are open, any name is an index.
    project.write(
        "chat.py", CHAT.replace('"say"', "NAME").replace("class Chat", 'NAME = "say"\n\nclass Chat')
    )
    assert run(project, dmypy, "lookup.py") == [
        'use.py:5: note: Revealed type is "socketsundso._typing.EventHandlers[str]"',
    ]
