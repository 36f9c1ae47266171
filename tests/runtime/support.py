"""Helpers for the runtime tests: serve an endpoint in-process and wait on what it records."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.testclient import TestClient, WebSocketTestSession
from starlette.types import Message

from socketsundso import WebSocketHandlingEndpoint

__all__ = [
    "TIMEOUT",
    "Recorder",
    "app_of",
    "client_of",
    "connect",
    "is_error_reply",
    "unconnected",
]

EndpointT = TypeVar("EndpointT", bound=WebSocketHandlingEndpoint)

#: Seconds any test waits for something the server does before failing.
TIMEOUT = 10.0


def unconnected(endpoint: type[EndpointT]) -> EndpointT:
    """An instance of ``endpoint`` with no connection behind it, to call its methods directly."""

    async def receive() -> Message:
        raise AssertionError("not connected")

    async def send(message: Message) -> None:
        raise AssertionError("not connected")

    return endpoint({"type": "websocket", "path": "/ws", "headers": []}, receive, send)


def app_of(endpoint: type[WebSocketHandlingEndpoint], path: str = "/ws") -> Starlette:
    """A Starlette app serving ``endpoint`` at ``path`` with a plain ``WebSocketRoute``."""
    return Starlette(routes=[WebSocketRoute(path, endpoint)])


@contextmanager
def client_of(endpoint: type[WebSocketHandlingEndpoint]) -> Iterator[TestClient]:
    """A TestClient for ``endpoint`` at ``/ws``; its connections share one event loop."""
    with TestClient(app_of(endpoint)) as client:
        yield client


@contextmanager
def connect(endpoint: type[WebSocketHandlingEndpoint]) -> Iterator[WebSocketTestSession]:
    """One TestClient WebSocket connection to ``endpoint``."""
    with client_of(endpoint) as client, client.websocket_connect("/ws") as ws:
        yield ws


class Recorder:
    """A thread-safe log the server side writes to and a test waits on, with a timeout.

    Server code runs in another thread (TestClient's portal, uvicorn's loop), so a
    test can't just look at a list: ``get()`` blocks until the next item arrives.
    """

    def __init__(self) -> None:
        self._items: queue.Queue[Any] = queue.Queue()

    def put(self, item: Any) -> None:
        """Record ``item``."""
        self._items.put(item)

    def get(self, timeout: float = TIMEOUT) -> Any:
        """The next recorded item; fails the test if none comes within ``timeout``."""
        try:
            return self._items.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"nothing recorded within {timeout} s") from None

    def empty(self) -> bool:
        """Whether nothing is waiting to be read."""
        return self._items.empty()


def is_error_reply(reply: object) -> bool:
    """Whether ``reply`` is a well-formed error reply: ``{"errors": [entries]}``.

    Each entry has ``type``, ``loc`` (a list) and ``msg``, and never pydantic's
    ``url`` or the rejected ``input``.
    """
    if not isinstance(reply, dict) or set(reply) - {"errors", "id"} or not reply.get("errors"):
        return False
    return all(
        isinstance(entry, dict)
        and isinstance(entry.get("type"), str)
        and isinstance(entry.get("loc"), list)
        and isinstance(entry.get("msg"), str)
        and "url" not in entry
        and "input" not in entry
        for entry in reply["errors"]
    )
