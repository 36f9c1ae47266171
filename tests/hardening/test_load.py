"""Load: 200 concurrent clients, 500 pipelined messages against uvicorn on loopback."""

from __future__ import annotations

import asyncio
import json

from tests.hardening.figures import write_figures
from tests.hardening.load import run_load
from tests.hardening.process import serve_in_process

CONNECTIONS = 200
MESSAGES = 500


def test_every_message_of_200_pipelining_clients_is_answered_in_order() -> None:
    """100,000 messages, one in ten invalid: each gets its own answer or error, none lost.

    The server runs in a subprocess (its own core); the clients share this one.
    """
    with serve_in_process("tests.hardening.apps:load_app") as server:
        figures = asyncio.run(
            run_load(f"{server.url}/ws", connections=CONNECTIONS, messages=MESSAGES)
        )
    data = figures.as_dict()
    path = write_figures("hardening-load", data)
    print(f"\nload figures ({path}):\n{json.dumps(data, indent=2)}")
    assert figures.problems == []
    assert figures.lost == 0
    assert figures.wrong == 0
    assert figures.messages == CONNECTIONS * MESSAGES
    assert figures.answers == figures.good == 90_000
    assert figures.errors == figures.bad == 10_000
