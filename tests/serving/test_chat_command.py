"""The README's first command serves the chat example with ``serve``; so does ``chat.py``."""

from __future__ import annotations

import asyncio
import json
import re
import runpy
import shlex
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

import socketsundso.serving
from examples.chat import Chat
from tests.serving.process import ROOT, free_port, running

pytestmark = pytest.mark.anyio


def readme_serve_command() -> list[str]:
    """The argv of the README's first command's last step (after the install)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```sh\n(.+?)\n```", readme, re.DOTALL)
    assert first is not None, "README.md has no ```sh block"
    return shlex.split(first.group(1).split("&&")[-1])


def fetch(url: str) -> str:
    """The body of a ``GET url`` that must answer 200."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        body: str = response.read().decode()
        return body


def test_the_readme_starts_with_the_serve_command_for_the_chat_example() -> None:
    assert readme_serve_command() == [
        ".venv/bin/python", "-m", "socketsundso", "serve", "examples.chat:app",
    ]  # fmt: skip


async def test_the_readme_command_serves_the_chat_page_and_its_socket() -> None:
    port = free_port()
    command = [sys.executable, *readme_serve_command()[1:], "--port", str(port)]
    with running(command, port) as server:
        assert 'id="join"' in await asyncio.to_thread(fetch, f"http://127.0.0.1:{port}/")
        async with connect(f"{server.url}/ws", open_timeout=10) as ws:
            await ws.send(json.dumps({"type": "join", "room": "lobby", "name": "ann"}))
            assert json.loads(await ws.recv())["members"] == ["ann"]
            await ws.send("x" * (Chat.max_message_size + 1))  # over Chat's 16 KiB
            with pytest.raises(ConnectionClosedError) as closed:
                await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


def test_chat_py_runs_the_same_serving_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, dict[str, Any]]] = []
    monkeypatch.setattr(
        socketsundso.serving, "run", lambda app, **options: calls.append((app, options))
    )
    runpy.run_path(str(Path(ROOT, "examples", "chat.py")), run_name="__main__")
    [(app, options)] = calls
    assert socketsundso.serving.ServeSettings.for_app(app).max_size == Chat.max_message_size
    assert options == {"host": "127.0.0.1", "port": 8000}
