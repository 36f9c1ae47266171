"""Fuzz, short profile: hostile frames against a many-handler endpoint, in process.

The long profile is ``bench/fuzz.py`` (same strategies, many more examples, also
over a real socket).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient, WebSocketTestSession

from tests.hardening.apps import app_of
from tests.hardening.figures import write_figures
from tests.hardening.strategies import FINAL, Frame, FuzzEndpoint, check_replies, frames

CLIENT = TestClient(app_of(FuzzEndpoint))

#: What the fuzz test threw at the endpoint, written to the run's figures at the end.
TRIED = {"examples": 0, "frames": 0}


@pytest.fixture(scope="module", autouse=True)
def _record_figures() -> Iterator[None]:
    yield
    write_figures("hardening-fuzz", dict(TRIED))


def exchange(ws: WebSocketTestSession, sent: list[Frame]) -> list[str]:
    """Send ``sent`` and ``FINAL``; collect replies up to ``FINAL``'s (or one too many)."""
    for frame in sent:
        if isinstance(frame.data, bytes):
            ws.send_bytes(frame.data)
        else:
            ws.send_text(frame.data)
    ws.send_text(json.dumps(FINAL))
    replies: list[str] = []
    while len(replies) <= len(sent):
        replies.append(ws.receive_text())
        if json.loads(replies[-1]).get("id") == FINAL["id"] and "pong" in replies[-1]:
            break
    return replies


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(frames(), min_size=1, max_size=8))
def test_every_hostile_frame_gets_one_reply_and_no_handler_sees_bad_data(
    sent: list[Frame],
) -> None:
    FuzzEndpoint.reset()
    with CLIENT.websocket_connect("/ws") as ws:
        replies = exchange(ws, sent)
    check_replies(sent, replies)
    TRIED["examples"] += 1
    TRIED["frames"] += len(sent) + 1
