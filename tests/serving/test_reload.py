"""``python -m socketsundso serve module:app --reload``: a changed module is served anew.

The app lives in a module written to a temporary folder, which the server watches
(its working directory); the test rewrites the module and waits, up to a generous
bound, for a new connection to get the new answer.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import anyio
import pytest
from websockets.asyncio.client import connect

from tests.serving.process import free_port, running, serve_command

pytestmark = pytest.mark.anyio

#: Seconds the test waits for the restarted server to answer the new way.
RELOAD_BOUND = 30.0

APP_SOURCE = """
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from socketsundso import WebSocketHandlingEndpoint, on_event


class Versioned(WebSocketHandlingEndpoint):
    @on_event
    async def version(self) -> dict[str, object]:
        return {"number": NUMBER}


app = Starlette(routes=[WebSocketRoute("/ws", Versioned)])
"""


def write_app(folder: Path, number: int) -> None:
    """Write ``reloaded_app.py``, whose endpoint answers ``number``."""
    (folder / "reloaded_app.py").write_text(APP_SOURCE.replace("NUMBER", str(number)))


async def version_number(url: str) -> object:
    """The number a fresh connection to ``url`` is answered; ``None`` if none answers."""
    try:
        async with connect(url, open_timeout=5) as ws:
            await ws.send(json.dumps({"type": "version"}))
            return json.loads(await asyncio.wait_for(ws.recv(), 5))["number"]
    except Exception:  # restarting: not listening yet, or closed under the client
        return None


async def test_a_changed_module_is_served_after_a_reload(tmp_path: Path) -> None:
    write_app(tmp_path, 1)
    port = free_port()
    command = serve_command(port, "--reload", app="reloaded_app:app")
    with running(command, cwd=tmp_path) as server:
        assert await version_number(f"{server.url}/ws") == 1
        number = None
        with anyio.move_on_after(RELOAD_BOUND):
            while number != 2:
                # Written again each time: uvicorn's reloader only sees a change after its
                # first scan, which may come after the server first answers.
                write_app(tmp_path, 2)
                await asyncio.sleep(0.5)
                number = await version_number(f"{server.url}/ws")
        assert number == 2, server.stderr()
