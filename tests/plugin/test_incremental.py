"""The plugin's types survive mypy's cache: cold and warm runs, edits between runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mypy_plugin.guard import DEBUG_VARIABLE

from .support import CHAT_WITH_MIXIN, MIXINS, Project, expected


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A fresh project; plugin exceptions propagate."""
    monkeypatch.setenv(DEBUG_VARIABLE, "1")
    monkeypatch.chdir(tmp_path)
    return Project(tmp_path)


def test_warm_runs_print_what_the_cold_run_printed(project: Project) -> None:
    cold = project.check()
    assert cold == expected("join", "say")
    assert project.check() == cold
    assert project.check() == cold


def test_an_edit_of_the_base_module_reaches_the_subclass(project: Project) -> None:
    assert project.check() == expected("join", "say")
    project.append(
        "base.py",
        """
        class Extra:
            @on_event
            async def on_ignored(self) -> None: ...
        """,
    )
    assert project.check() == expected("join", "say")
    project.write(
        "base.py",
        """
        from socketsundso import WebSocketHandlingEndpoint, on_event

        class Presence(WebSocketHandlingEndpoint):
            @on_event
            async def on_join(self, room: str) -> None: ...

            @on_event
            async def handle_leave(self) -> None: ...
        """,
    )
    assert project.check() == expected("join", "leave", "say")
    assert project.check() == expected("join", "leave", "say")


def test_an_edit_of_the_subclass_module_changes_its_literal(project: Project) -> None:
    assert project.check() == expected("join", "say")
    project.write(
        "chat.py",
        """
        from socketsundso import on_event
        from base import Presence

        class Chat(Presence):
            @on_event
            async def on_jion(self) -> None: ...
        """,
    )
    assert project.check() == expected("join", "jion", jion_error=False)
    assert project.check() == expected("join", "jion", jion_error=False)


def test_two_workers_print_what_one_process_prints(project: Project) -> None:
    assert project.check("--num-workers", "2") == expected("join", "say")
    assert project.check("--num-workers", "2") == expected("join", "say")
    assert project.check() == expected("join", "say")


def test_send_event_reads_a_cached_handler(project: Project) -> None:
    assert project.check() == expected("join", "say")
    project.append("use.py", "\n")
    assert project.check() == expected("join", "say")


def test_send_event_is_checked_by_parallel_workers_on_a_cold_cache(project: Project) -> None:
    assert project.check("--num-workers", "4") == expected("join", "say")


def test_a_cached_mixin_gives_its_handlers(project: Project) -> None:
    project.write("mixins.py", MIXINS)
    project.write("chat.py", CHAT_WITH_MIXIN)
    assert project.check() == expected("join", "ping", "say")
    project.append("chat.py", "\nLIMIT = 1\n")
    assert project.check() == expected("join", "ping", "say")
    assert project.check("--num-workers", "2") == expected("join", "ping", "say")


OPEN_MIXINS = """
from socketsundso import on_event

dec = on_event("x")

class Pinging:
    @on_event
    async def on_ping(self) -> None: ...

    @dec
    async def other(self) -> None: ...
"""


def test_a_cached_mixin_it_cannot_read_widens_as_a_fresh_one(project: Project) -> None:
    project.write("mixins.py", OPEN_MIXINS)
    project.write("chat.py", CHAT_WITH_MIXIN)
    widened = ['use.py:5: note: Revealed type is "socketsundso._typing.EventHandlers[str]"']
    assert project.check() == widened
    project.append("chat.py", "\nLIMIT = 1\n")
    assert project.check() == widened
