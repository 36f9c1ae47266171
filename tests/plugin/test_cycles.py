"""Modules importing each other: the same answer whatever order mypy is given them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api

from mypy_plugin.guard import DEBUG_VARIABLE

from .support import CONFIG, handlers_note

A = """
from socketsundso import WebSocketHandlingEndpoint
from b import on_event

class Base(WebSocketHandlingEndpoint):
    @on_event
    async def on_join(self) -> None: ...
"""

B = """
from socketsundso import on_event as on_event
from a import Base

class Sub(Base):
    @on_event
    async def on_say(self) -> None: ...
"""

USE = """
from b import Sub

reveal_type(Sub.handlers)
Sub.handlers["join"]
"""


@pytest.mark.parametrize("order", [("a", "b", "use"), ("b", "a", "use"), ("use",)])
def test_a_cycle_gives_one_answer_in_any_file_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: tuple[str, ...]
) -> None:
    monkeypatch.setenv(DEBUG_VARIABLE, "1")
    monkeypatch.chdir(tmp_path)
    for name, text in (("mypy.ini", CONFIG), ("a.py", A), ("b.py", B), ("use.py", USE)):
        (tmp_path / name).write_text(textwrap.dedent(text))
    files = [f"{module}.py" for module in order]
    stdout, stderr, _ = api.run(
        ["--config-file", "mypy.ini", "--no-incremental", "--no-error-summary", *files]
    )
    assert not stderr, stderr
    assert stdout.splitlines() == [f"use.py:4: note: {handlers_note('join', 'say')}"]
