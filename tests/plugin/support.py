"""A small mypy project on disk, checked by the plugin, for the incremental-mode tests."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

from mypy import api

from mypy_plugin.guard import DEBUG_VARIABLE

#: Seconds one dmypy command may take (a cold start imports pydantic and Starlette).
DMYPY_TIMEOUT = 180

BASE = """
from socketsundso import WebSocketHandlingEndpoint, on_event

class Presence(WebSocketHandlingEndpoint):
    @on_event
    async def on_join(self, room: str) -> None: ...
"""

CHAT = """
from socketsundso import on_event
from base import Presence

class Chat(Presence):
    @on_event("say")
    async def speak(self, text: str) -> None: ...
"""

#: A plain mixin with a handler, and a Chat that uses it (mixins.py, chat.py).
MIXINS = """
from socketsundso import on_event

class Pinging:
    @on_event
    async def on_ping(self) -> None: ...
"""

CHAT_WITH_MIXIN = """
from socketsundso import on_event
from base import Presence
from mixins import Pinging

class Chat(Pinging, Presence):
    @on_event("say")
    async def speak(self, text: str) -> None: ...
"""

#: The module that asserts: it has ``reveal_type``, so mypy re-checks it on every run.
USE = """
from chat import Chat
from socketsundso.testing import EventSession

reveal_type(Chat.handlers)
Chat.handlers["jion"]

def talk(session: EventSession[Chat]) -> None:
    session.send_event("say", text=1)
"""

CONFIG = """
[mypy]
strict = true
show_traceback = true
plugins = socketsundso.mypy
"""


def handlers_note(*events: str) -> str:
    """The note ``reveal_type(Chat.handlers)`` prints for ``events``."""
    literal = " | ".join(f"Literal['{event}']" for event in events)
    return f'Revealed type is "socketsundso._typing.EventHandlers[{literal}]"'


@dataclasses.dataclass
class Project:
    """Modules in ``root`` (by default ``base.py``, ``chat.py`` and ``use.py``), with a
    mypy config and a cache dir."""

    root: Path
    modules: dict[str, str] = dataclasses.field(
        default_factory=lambda: {"base.py": BASE, "chat.py": CHAT, "use.py": USE}
    )

    def __post_init__(self) -> None:
        self.write("mypy.ini", CONFIG)
        for name, text in self.modules.items():
            self.write(name, text)

    @property
    def files(self) -> list[str]:
        """The project's modules, as paths for mypy's command line."""
        return [str(self.root / name) for name in self.modules]

    @property
    def options(self) -> list[str]:
        """Command-line options: the config and the one cache directory all runs share."""
        return [
            "--config-file",
            str(self.root / "mypy.ini"),
            "--cache-dir",
            str(self.root / ".mypy_cache"),
            "--no-error-summary",
        ]

    def write(self, name: str, text: str) -> None:
        """Write a module (or the config), dedented."""
        (self.root / name).write_text(textwrap.dedent(text))

    def append(self, name: str, text: str) -> None:
        """Add code at the end of a module."""
        path = self.root / name
        path.write_text(path.read_text() + textwrap.dedent(text))

    def check(self, *extra: str) -> list[str]:
        """Run mypy in this process; its output lines, with paths made relative."""
        stdout, stderr, _ = api.run([*self.options, *extra, *self.files])
        assert not stderr, stderr
        return [line.replace(f"{self.root}/", "") for line in stdout.splitlines()]


def expected(*events: str, jion_error: bool = True, say_field: str | None = "str") -> list[str]:
    """What mypy says about ``use.py`` when ``Chat`` handles ``events``.

    ``say_field``: the type of the ``say`` handler's ``text`` parameter (``None``: it
    takes an ``int``, so ``send_event("say", text=1)`` is fine).
    """
    keys = ", ".join(f"'{event}'" for event in events)
    lines = [f"use.py:5: note: {handlers_note(*events)}"]
    if jion_error:
        lines.append(
            f"use.py:6: error: Invalid index type \"Literal['jion']\" for "
            f'"EventHandlers[Literal[{keys}]]"; expected type "Literal[{keys}]"  [index]'
        )
    if "say" not in events:
        lines.append(
            'use.py:9: error: Argument 1 to "send_event" of "EventSession" has incompatible '
            f'type "Literal[\'say\']"; expected "Literal[{keys}]"  [arg-type]'
        )
    elif say_field is not None:
        lines.append(
            'use.py:9: error: Argument "text" to "send_event" of "EventSession" has '
            f'incompatible type "int"; expected "{say_field}"  [arg-type]'
        )
    return lines


@contextlib.contextmanager
def dmypy_for(project: Project) -> Iterator[list[str]]:
    """The ``dmypy`` command prefix for ``project``; the daemon is stopped after."""
    dmypy = [sys.executable, "-m", "mypy.dmypy", "--status-file", str(project.root / "dmypy.json")]
    try:
        yield dmypy
    finally:
        subprocess.run([*dmypy, "kill"], capture_output=True, timeout=DMYPY_TIMEOUT, check=False)


def dmypy_run(project: Project, dmypy: list[str], *extra: str) -> list[str]:
    """``dmypy run`` on the project (and ``extra`` modules); output lines, paths relative."""
    env = {**os.environ, DEBUG_VARIABLE: "1"}
    completed = subprocess.run(
        [*dmypy, "run", "--", *project.options, *project.files, *extra],
        capture_output=True,
        text=True,
        cwd=project.root,
        env=env,
        timeout=DMYPY_TIMEOUT,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    lines = completed.stdout.replace(f"{project.root}/", "").splitlines()
    return [line for line in lines if not line.startswith("Daemon")]
