"""Protections an endpoint class switches on: Origin, size, rate, handler time, idle time, auth."""

from __future__ import annotations

import asyncio
import hmac
import inspect
import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import anyio
import pytest
from starlette import status
from starlette.exceptions import WebSocketException
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedOK, InvalidStatus
from websockets.typing import Origin

from socketsundso import WebSocketHandlingEndpoint, limits, on_event
from socketsundso.limits import RateLimit
from tests.hardening.apps import app_of
from tests.servers import serve

SITE = "http://127.0.0.1:8000"


class Ping(WebSocketHandlingEndpoint):
    """One handler counting the messages it processed, so a test sees what got through."""

    processed: ClassVar[list[int]] = []

    @on_event
    async def ping(self, n: int = 0) -> dict[str, int]:
        """Answer with ``n``."""
        self.processed.append(n)
        return {"n": n}


# --- Origin ---------------------------------------------------------------------------


class SameSite(Ping):
    """Accepts handshakes from its own site (and from non-browser clients) only."""

    allowed_origins = frozenset({SITE})


@pytest.mark.anyio
@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:8001"])
async def test_a_handshake_from_a_foreign_origin_is_refused_with_403(origin: str) -> None:
    with serve(app_of(SameSite)) as url, pytest.raises(InvalidStatus) as refused:
        async with connect(f"{url}/ws", origin=Origin(origin)):
            pass
    assert refused.value.response.status_code == 403


@pytest.mark.anyio
@pytest.mark.parametrize("origin", [SITE, None], ids=["allowed", "missing"])
async def test_an_allowed_or_missing_origin_connects(origin: str | None) -> None:
    with serve(app_of(SameSite)) as url:
        async with connect(f"{url}/ws", origin=Origin(origin) if origin else None) as ws:
            await ws.send(json.dumps({"type": "ping", "n": 7}))
            assert json.loads(await ws.recv()) == {"type": "ping", "n": 7}


# --- max_message_size -----------------------------------------------------------------


class Small(Ping):
    """Takes messages of up to 64 bytes."""

    max_message_size = 64


def test_a_message_one_byte_over_the_limit_is_refused_before_parsing() -> None:
    Small.processed.clear()
    with TestClient(app_of(Small)).websocket_connect("/ws") as ws:
        at_limit = '{"type": "ping", "n": 1' + " " * (64 - 24) + "}"
        assert len(at_limit.encode()) == 64
        ws.send_text(at_limit)
        assert ws.receive_json() == {"type": "ping", "n": 1}
        ws.send_text(at_limit + " ")
        assert [e["type"] for e in ws.receive_json()["errors"]] == ["message_too_large"]
        # Invalid JSON over the limit: refused for its size, so it was never parsed.
        ws.send_text("[" * 65)
        assert [e["type"] for e in ws.receive_json()["errors"]] == ["message_too_large"]
        ws.send_bytes(b"\xff" * 65)
        assert [e["type"] for e in ws.receive_json()["errors"]] == ["message_too_large"]
        ws.send_json({"type": "ping", "n": 2})
        assert ws.receive_json() == {"type": "ping", "n": 2}
    assert Small.processed == [1, 2]


def test_the_limit_counts_utf8_bytes_not_characters() -> None:
    with TestClient(app_of(Small)).websocket_connect("/ws") as ws:
        # 22 characters, 66 bytes of UTF-8.
        ws.send_text("€" * 22)
        assert [e["type"] for e in ws.receive_json()["errors"]] == ["message_too_large"]
        ws.send_text("€" * 21)  # 63 bytes: parsed, and not JSON
        assert [e["type"] for e in ws.receive_json()["errors"]] == ["json_invalid"]


@pytest.mark.anyio
async def test_over_a_socket_a_large_frame_is_refused_by_size_and_a_huge_one_by_uvicorn() -> None:
    """uvicorn reads a whole frame, up to its ``ws_max_size``, before the app sees it."""
    with serve(app_of(Small), ws_max_size=100_000) as url:
        async with connect(f"{url}/ws", max_size=None) as ws:
            await ws.send("x" * 50_000)
            reply = json.loads(await ws.recv())
            assert [e["type"] for e in reply["errors"]] == ["message_too_large"]
            await ws.send(json.dumps({"type": "ping", "n": 5}))
            assert json.loads(await ws.recv()) == {"type": "ping", "n": 5}
            await ws.send("x" * 200_000)
            with anyio.fail_after(10):
                await ws.wait_closed()
            assert ws.close_code == 1009  # message too big, closed by uvicorn


# --- rate limit -----------------------------------------------------------------------


class Limited(Ping):
    """3 messages at once, then (practically) none: refills once per 100 s."""

    rate_limit = RateLimit(per_second=0.01, burst=3, max_violations=5)


def test_messages_over_the_rate_limit_are_answered_rate_limited_and_not_processed() -> None:
    Limited.processed.clear()
    with TestClient(app_of(Limited)).websocket_connect("/ws") as ws:
        for n in range(8):
            ws.send_json({"type": "ping", "n": n, "id": n})
        replies = [ws.receive_json() for _ in range(8)]
    assert replies[:3] == [{"type": "ping", "n": n, "id": n} for n in range(3)]
    for n, reply in enumerate(replies[3:], start=3):
        assert reply["id"] == n
        assert [e["type"] for e in reply["errors"]] == ["rate_limited"]
        assert reply["errors"][0]["loc"] == []
    assert Limited.processed == [0, 1, 2]


def test_persistent_rate_limit_abuse_closes_with_1008() -> None:
    Limited.processed.clear()
    with TestClient(app_of(Limited)).websocket_connect("/ws") as ws:
        for n in range(10):
            ws.send_json({"type": "ping", "n": n})
        replies = [ws.receive_json() for _ in range(3 + 5)]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == status.WS_1008_POLICY_VIOLATION
    assert sum("errors" in reply for reply in replies) == 5
    assert Limited.processed == [0, 1, 2]


class Refilling(Ping):
    """1 message at once, 1 more per second of the (fake) clock; closes after 2 in a row."""

    rate_limit = RateLimit(per_second=1, burst=1, max_violations=2)


def test_the_bucket_refills_and_a_message_let_through_resets_the_violations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(limits, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    Refilling.processed.clear()
    with TestClient(app_of(Refilling)).websocket_connect("/ws") as ws:
        replies = []
        for n in range(8):
            if n in (3, 6):
                clock[0] += 1.0  # one token back
            ws.send_json({"type": "ping", "n": n})
            replies.append(ws.receive_json())
        # 0 passes, 1-2 limited, 3 passes (refill), 4-5 limited, 6 passes, 7 limited:
        # never more than 2 in a row, so never closed.
        ws.send_json({"type": "ping", "n": 8})
        assert "errors" in ws.receive_json()
        ws.send_json({"type": "ping", "n": 9})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == status.WS_1008_POLICY_VIOLATION
    assert Refilling.processed == [0, 3, 6]
    assert ["errors" in reply for reply in replies] == [
        False, True, True, False, True, True, False, True,
    ]  # fmt: skip


# --- handler timeout ------------------------------------------------------------------


class Slow(Ping):
    """A handler that sleeps as long as asked; it may run 0.2 s."""

    handler_timeout = 0.2
    cancelled: ClassVar[list[float]] = []

    @on_event
    async def nap(self, seconds: float) -> dict[str, float]:
        """Sleep ``seconds``, noting a cancellation."""
        try:
            await anyio.sleep(seconds)
        except anyio.get_cancelled_exc_class():
            self.cancelled.append(seconds)
            raise
        return {"slept": seconds}

    @on_event
    def block(self, seconds: float) -> dict[str, float]:
        """Sleep in a worker thread: it can't be cancelled, only abandoned (it runs on)."""
        time.sleep(seconds)
        return {"slept": seconds}


def test_a_handler_past_its_timeout_is_cancelled_and_the_connection_goes_on() -> None:
    Slow.cancelled.clear()
    with TestClient(app_of(Slow)).websocket_connect("/ws") as ws:
        ws.send_json({"type": "nap", "seconds": 30, "id": "long"})
        reply = ws.receive_json()
        assert reply["id"] == "long"
        assert [(e["type"], e["loc"]) for e in reply["errors"]] == [("handler_timeout", [])]
        ws.send_json({"type": "nap", "seconds": 0})
        assert ws.receive_json() == {"type": "nap", "slept": 0}
        ws.send_json({"type": "ping", "n": 3})
        assert ws.receive_json() == {"type": "ping", "n": 3}
    assert Slow.cancelled == [30]


def test_a_sync_handler_past_its_timeout_gets_the_timeout_error() -> None:
    with TestClient(app_of(Slow)).websocket_connect("/ws") as ws:
        ws.send_json({"type": "block", "seconds": 0.5, "id": 1})
        reply = ws.receive_json()
        assert [e["type"] for e in reply["errors"]] == ["handler_timeout"]
        assert reply["id"] == 1
        ws.send_json({"type": "ping", "n": 4})
        assert ws.receive_json() == {"type": "ping", "n": 4}


# --- idle timeout ---------------------------------------------------------------------


class Idle(Ping):
    """Closes a connection quiet for 1 s."""

    idle_timeout = 1.0


@pytest.mark.anyio
async def test_a_quiet_connection_is_closed_with_1000_and_an_active_one_is_not() -> None:
    with serve(app_of(Idle)) as url:
        async with connect(f"{url}/ws") as ws:
            # 12 messages 0.15 s apart: 1.8 s in all, never 1 s quiet.
            for n in range(12):
                await ws.send(json.dumps({"type": "ping", "n": n}))
                assert json.loads(await ws.recv()) == {"type": "ping", "n": n}
                await asyncio.sleep(0.15)
            with anyio.fail_after(10):
                with pytest.raises(ConnectionClosedOK):
                    await ws.recv()
            assert ws.close_code == status.WS_1000_NORMAL_CLOSURE
            assert ws.close_reason == "idle timeout"


# --- authentication example (quoted in docs/reliability.md) ---------------------------


class TokenAuthEndpoint(WebSocketHandlingEndpoint):
    """Only clients with a known ``?token=`` get in; the others get HTTP 403.

    ``on_connect`` runs before the handshake is accepted: raising
    ``WebSocketException(1008)`` there refuses it, which uvicorn answers with 403.
    """

    #: token -> user; a real app looks the token up in its session store.
    tokens: ClassVar[dict[str, str]] = {"s3cret-alice": "alice"}
    user: str

    async def on_connect(self) -> None:
        """Accept the handshake only for a known token, remembering whose it is."""
        token = self.websocket.query_params.get("token", "")
        for known, user in self.tokens.items():
            if hmac.compare_digest(token.encode(), known.encode()):
                self.user = user
                await self.websocket.accept()
                return
        raise WebSocketException(status.WS_1008_POLICY_VIOLATION, reason="unknown token")

    @on_event
    async def whoami(self) -> dict[str, Any]:
        """Answer with the user the token belongs to."""
        return {"user": self.user}


@pytest.mark.anyio
async def test_a_known_token_is_let_in() -> None:
    with serve(app_of(TokenAuthEndpoint)) as url:
        async with connect(f"{url}/ws?token=s3cret-alice") as ws:
            await ws.send(json.dumps({"type": "whoami"}))
            assert json.loads(await ws.recv()) == {"type": "whoami", "user": "alice"}


@pytest.mark.anyio
@pytest.mark.parametrize("query", ["?token=guess", "?token=", ""])
async def test_an_unknown_or_missing_token_is_refused_with_403(query: str) -> None:
    with serve(app_of(TokenAuthEndpoint)) as url, pytest.raises(InvalidStatus) as refused:
        async with connect(f"{url}/ws{query}"):
            pass
    assert refused.value.response.status_code == 403


def test_the_docs_show_the_auth_example_tested_here() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
    assert inspect.getsource(TokenAuthEndpoint) in page.read_text(encoding="utf-8")
