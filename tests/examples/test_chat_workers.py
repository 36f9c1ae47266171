"""The chat example as several workers: two server processes on one Redis, a member on each.

Each process is ``python -m socketsundso serve examples.chat:app`` with ``REDIS_URL``
set, as one worker of ``--workers 2`` is, but on a port of its own, so that each client
knows its worker. The test needs ``RedisGroups`` (``socketsundso/_redis_groups.py``),
the test Redis of ``tests/groups/redis_server.py``, the ``redis`` package and
``/usr/bin/redis-server``; it skips without them.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.examples.support import ask, content, next_message
from tests.serving.process import Server, free_port, running, serve_command
from tests.system_tools import missing_tool

if importlib.util.find_spec("socketsundso._redis_groups") is None:
    pytest.skip("RedisGroups is not in this checkout", allow_module_level=True)
redis_server = pytest.importorskip("tests.groups.redis_server")

pytestmark = pytest.mark.anyio


@pytest.fixture
def workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, Server]]:
    """Two chat servers sharing a redis-server of the test's own."""
    if not redis_server.REDIS_SERVER.exists():
        missing_tool(f"{redis_server.REDIS_SERVER} is not installed (apt-get install redis-server)")
    redis = redis_server.RedisServer(tmp_path, free_port())
    redis.start()
    monkeypatch.setenv("REDIS_URL", redis.url)
    try:
        with contextlib.ExitStack() as stack:
            servers = [
                stack.enter_context(running(serve_command(port, app="examples.chat:app")))
                for port in (free_port(), free_port())
            ]
            yield servers[0], servers[1]
    finally:
        redis.stop()


async def test_members_on_two_workers_chat(workers: tuple[Server, Server]) -> None:
    one, two = workers
    async with (
        websockets.connect(f"{one.url}/ws") as ann,
        websockets.connect(f"{two.url}/ws") as bob,
    ):
        assert (await ask(ann, {"type": "join", "room": "lobby", "name": "ann"}))["members"] == [
            "ann"
        ]
        # Each worker knows its own members: bob's worker has nobody else.
        assert (await ask(bob, {"type": "join", "room": "lobby", "name": "bob"}))["members"] == [
            "bob"
        ]
        assert content(await next_message(ann)) == {
            "type": "joined",
            "room": "lobby",
            "name": "bob",
        }

        line: dict[str, Any] = {"type": "message", "room": "lobby", "sender": "ann", "to": None}
        assert content(await ask(ann, {"type": "say", "text": "hi bob"})) == {
            **line,
            "text": "hi bob",
        }
        assert content(await next_message(bob)) == {**line, "text": "hi bob"}

        whisper = {"type": "message", "room": "lobby", "sender": "bob", "text": "psst"}
        assert content(await ask(bob, {"type": "whisper", "to": "ann", "text": "psst"})) == {
            **whisper,
            "to": "ann",
        }
        assert content(await next_message(ann)) == {**whisper, "to": "ann"}

        await bob.close()
        assert content(await next_message(ann)) == {"type": "left", "room": "lobby", "name": "bob"}
