"""Each test that asks for ``redis_server`` gets a redis-server of its own, and
``two_workers`` starts two worker processes of an app on it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from tests.hardening.process import ServerProcess, serve_in_process
from tests.servers import free_port
from tests.system_tools import missing_tool

from .app import REDIS_URL_VARIABLE
from .redis_server import REDIS_SERVER, RedisServer

Workers = tuple[ServerProcess, ServerProcess]


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A running redis-server on a free port of 127.0.0.1, stopped after the test."""
    if not REDIS_SERVER.exists():
        missing_tool(f"{REDIS_SERVER} is not installed (apt-get install redis-server)")
    server = RedisServer(tmp_path, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def two_workers(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], AbstractContextManager[Workers]]:
    """Start two worker processes of an app (``module:app``) on the test's Redis.

    Both must still be running when the block ends: a worker that died fails the test.
    """
    monkeypatch.setenv(REDIS_URL_VARIABLE, redis_server.url)

    @contextlib.contextmanager
    def start(reference: str) -> Iterator[Workers]:
        with contextlib.ExitStack() as stack:
            one = stack.enter_context(serve_in_process(reference))
            two = stack.enter_context(serve_in_process(reference))
            yield one, two
            for worker in (one, two):
                assert worker.process.poll() is None, "a worker process died"

    return start
