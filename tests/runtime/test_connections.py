"""Connections: one endpoint instance each, concurrent with each other, in order within."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import anyio
import anyio.lowlevel

from socketsundso import WebSocketHandlingEndpoint, on_event
from tests.runtime.support import TIMEOUT, client_of, connect


class Session(WebSocketHandlingEndpoint):
    """Keeps a name per connection; two events let connections wait on each other."""

    gates: ClassVar[dict[str, anyio.Event]]

    async def on_connect(self) -> None:
        self.name = "anonymous"
        await super().on_connect()

    @on_event
    async def login(self, name: str) -> dict[str, Any]:
        self.name = name
        return {"name": self.name}

    @on_event
    def whoami(self) -> dict[str, Any]:
        own = self.handlers["whoami"]
        return {
            "name": self.name,
            "instance": id(self),
            "handler": id(own),
            "class_handler_shared": own is type(self).handlers["whoami"],
        }

    @on_event
    async def wait(self, gate: str) -> dict[str, Any]:
        await self.gates.setdefault(gate, anyio.Event()).wait()
        return {"name": self.name, "waited": gate}

    @on_event
    async def check(self, gate: str) -> dict[str, Any]:
        return {"open": self.gates.setdefault(gate, anyio.Event()).is_set()}

    @on_event
    async def release(self, gate: str) -> dict[str, Any]:
        self.gates.setdefault(gate, anyio.Event()).set()
        return {"name": self.name, "released": gate}


def session() -> type[Session]:
    """``Session`` with fresh gates."""
    return type("Fresh", (Session,), {"gates": {}})


def test_two_concurrent_connections_keep_their_own_state() -> None:
    with (
        client_of(session()) as client,
        client.websocket_connect("/ws") as alice,
        client.websocket_connect("/ws") as bob,
    ):
        alice.send_json({"type": "login", "name": "alice"})
        assert alice.receive_json() == {"type": "login", "name": "alice"}
        bob.send_json({"type": "whoami"})
        bob_seen = bob.receive_json()
        assert bob_seen["name"] == "anonymous"
        bob.send_json({"type": "login", "name": "bob"})
        assert bob.receive_json() == {"type": "login", "name": "bob"}
        alice.send_json({"type": "whoami"})
        alice_seen = alice.receive_json()
        assert alice_seen["name"] == "alice"
        bob.send_json({"type": "whoami"})
        assert bob.receive_json()["name"] == "bob"
    assert alice_seen["instance"] != bob_seen["instance"]
    assert alice_seen["handler"] != bob_seen["handler"]
    assert not alice_seen["class_handler_shared"]
    assert not bob_seen["class_handler_shared"]


def test_one_connection_waiting_in_a_handler_does_not_block_another() -> None:
    with (
        client_of(session()) as client,
        client.websocket_connect("/ws") as alice,
        client.websocket_connect("/ws") as bob,
    ):
        alice.send_json({"type": "login", "name": "alice"})
        alice.receive_json()
        alice.send_json({"type": "wait", "gate": "g"})
        bob.send_json({"type": "login", "name": "bob"})
        assert bob.receive_json() == {"type": "login", "name": "bob"}
        bob.send_json({"type": "release", "gate": "g"})
        assert bob.receive_json() == {"type": "release", "name": "bob", "released": "g"}
        assert alice.receive_json() == {"type": "wait", "name": "alice", "waited": "g"}


def test_a_connection_handles_its_messages_one_at_a_time() -> None:
    """A ``check`` queued behind a ``wait`` runs only once the ``wait`` is over.

    Another connection opens the gate the first one waits on; the queued ``check``
    then finds it open.
    """
    with (
        client_of(session()) as client,
        client.websocket_connect("/ws") as alice,
        client.websocket_connect("/ws") as bob,
    ):
        alice.send_json({"type": "wait", "gate": "g"})
        alice.send_json({"type": "check", "gate": "g"})
        bob.send_json({"type": "release", "gate": "g"})
        assert bob.receive_json()["type"] == "release"
        assert alice.receive_json()["type"] == "wait"
        assert alice.receive_json() == {"type": "check", "open": True}


class Sequenced(WebSocketHandlingEndpoint):
    """Sync and async handlers that take different times, to tempt reordering."""

    @on_event
    async def fast(self, n: int) -> dict[str, Any]:
        return {"n": n}

    @on_event
    async def slow(self, n: int) -> dict[str, Any]:
        for _ in range(n % 7):
            await anyio.lowlevel.checkpoint()
        return {"n": n}

    @on_event
    def threaded(self, n: int) -> dict[str, Any]:
        return {"n": n}

    @on_event
    async def quiet(self, n: int) -> None:
        return None


def pipeline(count: int) -> list[dict[str, Any]]:
    """``count`` messages cycling through ``Sequenced``'s answering events, plus bad ones."""
    kinds = ["fast", "slow", "threaded", "bad"]
    messages: list[dict[str, Any]] = []
    for n in range(count):
        kind = kinds[n % len(kinds)]
        messages.append({"type": "fast", "n": "x"} if kind == "bad" else {"type": kind, "n": n})
    return messages


def test_200_pipelined_messages_are_answered_in_order() -> None:
    messages = pipeline(200)
    with connect(Sequenced) as ws:
        for message in messages:
            ws.send_json(message)
            ws.send_json({"type": "quiet", "n": 0})
        replies = [ws.receive_json() for _ in messages]
    for message, reply in zip(messages, replies, strict=True):
        if isinstance(message["n"], int):
            assert reply == message
        else:
            assert reply["errors"][0]["loc"] == ["n"]


class Blocking(WebSocketHandlingEndpoint):
    """A sync handler that blocks its thread until another connection releases it."""

    released: ClassVar[threading.Event]

    @on_event
    def block(self) -> dict[str, Any]:
        return {"released": self.released.wait(TIMEOUT)}

    @on_event
    async def release(self) -> dict[str, Any]:
        self.released.set()
        return {}


def test_a_blocking_sync_handler_does_not_block_the_event_loop() -> None:
    """Were ``block`` run on the loop, ``release`` could not run until it timed out."""
    endpoint = type("Fresh", (Blocking,), {"released": threading.Event()})
    with (
        client_of(endpoint) as client,
        client.websocket_connect("/ws") as alice,
        client.websocket_connect("/ws") as bob,
    ):
        alice.send_json({"type": "block"})
        bob.send_json({"type": "release"})
        assert bob.receive_json() == {"type": "release"}
        assert alice.receive_json() == {"type": "block", "released": True}
