"""The declared-events checks give one answer: cold, warm, parallel, any file order, dmypy."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from mypy import api

from mypy_plugin.guard import DEBUG_VARIABLE

from .support import CONFIG

#: The models, in their own module; ``Kind`` comes from the endpoint module (a cycle).
EVENTS = """
from typing import Literal
from pydantic import BaseModel
from chat import Kind

class Said(BaseModel):
    type: Kind = "said"

class Spoke(BaseModel):
    type: Literal["said"] = "said"

class Left(BaseModel):
    name: str
"""

CHAT = """
from typing import Literal
from socketsundso import WebSocketHandlingEndpoint
from events import Left, Said, Spoke

class Chat(WebSocketHandlingEndpoint[Said | Spoke]): ...

class Raw(WebSocketHandlingEndpoint[Left]): ...

class Sub(Chat): ...

Kind = Literal["said"]
"""

#: A module with no errors of its own, importing the endpoints.
USE = """
from chat import Chat, Raw

def endpoints() -> tuple[type[Chat], type[Raw]]:
    return Chat, Raw
"""

DUPLICATE = (
    'chat.py:6: error: Events "Said" and "Spoke" of "Chat" share the type "said": '
    "a client could not tell them apart  [socketsundso-duplicate-event-type]"
)
NO_TYPE = (
    'chat.py:8: error: Event "Left" of "Raw" needs a field "type: Literal[...]" of strings; '
    'it has no field "type"  [socketsundso-event-type]'
)
#: ``Spoke`` with a ``type`` of its own: only ``Raw`` is wrong.
SPOKE_FIXED = EVENTS.replace('Literal["said"] = "said"', 'Literal["spoke"] = "spoke"')

FILES = ("events.py", "chat.py", "use.py")
#: Seconds one dmypy command may take (a cold start imports pydantic and Starlette).
TIMEOUT = 180


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project of ``events.py``, ``chat.py`` and ``use.py``; plugin exceptions propagate."""
    monkeypatch.setenv(DEBUG_VARIABLE, "1")
    monkeypatch.chdir(tmp_path)
    for name, text in (("mypy.ini", CONFIG), ("events.py", EVENTS), ("chat.py", CHAT)):
        write(tmp_path, name, text)
    write(tmp_path, "use.py", USE)
    return tmp_path


def write(root: Path, name: str, text: str) -> None:
    """Write a module, dedented."""
    (root / name).write_text(textwrap.dedent(text))


def options(root: Path) -> list[str]:
    """The config and the cache directory every run shares."""
    return [
        "--config-file",
        str(root / "mypy.ini"),
        "--cache-dir",
        str(root / ".mypy_cache"),
        "--no-error-summary",
    ]


def check(root: Path, *extra: str, files: tuple[str, ...] = FILES) -> list[str]:
    """Run mypy in this process; its output lines, with paths made relative."""
    stdout, stderr, _ = api.run([*options(root), *extra, *files])
    assert not stderr, stderr
    return [line.replace(f"{root}/", "") for line in stdout.splitlines()]


def test_warm_runs_report_what_the_cold_run_reported(root: Path) -> None:
    assert check(root) == [DUPLICATE, NO_TYPE]
    assert check(root) == [DUPLICATE, NO_TYPE]
    write(root, "use.py", USE + "\nLIMIT = 1\n")
    assert check(root) == [DUPLICATE, NO_TYPE]


def test_an_edit_of_the_models_module_reaches_the_endpoints(root: Path) -> None:
    assert check(root) == [DUPLICATE, NO_TYPE]
    write(root, "events.py", SPOKE_FIXED)
    assert check(root) == [NO_TYPE]
    assert check(root) == [NO_TYPE]
    write(root, "events.py", EVENTS)
    assert check(root) == [DUPLICATE, NO_TYPE]


def test_an_endpoint_module_reads_models_loaded_from_the_cache(root: Path) -> None:
    # Without the cycle, an edit of chat.py re-analyses it alone: events.py comes from
    # the cache, without its class bodies.
    write(root, "events.py", EVENTS.replace("from chat import Kind", 'Kind = Literal["said"]'))
    assert check(root) == [DUPLICATE, NO_TYPE]
    write(root, "chat.py", CHAT + "\nLIMIT = 1\n")
    assert check(root) == [DUPLICATE, NO_TYPE]
    assert check(root, "--num-workers", "2") == [DUPLICATE, NO_TYPE]


def test_parallel_workers_report_what_one_process_reports(root: Path) -> None:
    assert check(root, "--num-workers", "2") == [DUPLICATE, NO_TYPE]
    assert check(root, "--num-workers", "2") == [DUPLICATE, NO_TYPE]
    assert check(root) == [DUPLICATE, NO_TYPE]


@pytest.mark.parametrize(
    "files",
    [("events.py", "chat.py", "use.py"), ("chat.py", "events.py"), ("use.py",), ("events.py",)],
)
def test_the_cycle_gives_one_answer_in_any_file_order(root: Path, files: tuple[str, ...]) -> None:
    assert check(root, "--no-incremental", files=files) == [DUPLICATE, NO_TYPE]
    assert check(root, files=files) == [DUPLICATE, NO_TYPE]
    assert check(root, files=files) == [DUPLICATE, NO_TYPE]


@pytest.fixture
def dmypy(root: Path) -> Iterator[list[str]]:
    """The ``dmypy`` command prefix for the project; the daemon is stopped after."""
    command = [sys.executable, "-m", "mypy.dmypy", "--status-file", str(root / "dmypy.json")]
    yield command
    subprocess.run([*command, "kill"], capture_output=True, timeout=TIMEOUT, check=False)


def run_daemon(root: Path, dmypy: list[str]) -> list[str]:
    """``dmypy run`` on the project; output lines, paths relative."""
    completed = subprocess.run(
        [*dmypy, "run", "--", *options(root), *FILES],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, DEBUG_VARIABLE: "1"},
        timeout=TIMEOUT,
        check=False,
    )
    assert "Traceback" not in completed.stderr, completed.stderr
    lines = completed.stdout.replace(f"{root}/", "").splitlines()
    return [line for line in lines if not line.startswith("Daemon")]


def test_the_daemon_follows_edits_of_the_models(root: Path, dmypy: list[str]) -> None:
    assert run_daemon(root, dmypy) == [DUPLICATE, NO_TYPE]
    assert run_daemon(root, dmypy) == [DUPLICATE, NO_TYPE]
    write(root, "events.py", SPOKE_FIXED)
    assert run_daemon(root, dmypy) == [NO_TYPE]
    write(root, "events.py", SPOKE_FIXED.replace("name: str", 'type: Literal["left"] = "left"'))
    assert run_daemon(root, dmypy) == []
    write(root, "events.py", EVENTS)
    assert run_daemon(root, dmypy) == [DUPLICATE, NO_TYPE]
