"""The endpoints the load test, the soak script and the fuzzers serve.

Kept in an importable module so that a uvicorn subprocess can serve them
(``python -m uvicorn tests.hardening.apps:load_app``): the server then gets a core
of its own instead of sharing an event loop with hundreds of clients.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from socketsundso import WebSocketHandlingEndpoint, on_event

__all__ = ["LoadEndpoint", "app_of", "load_app"]


def app_of(endpoint: type[WebSocketHandlingEndpoint]) -> Starlette:
    """A Starlette app serving ``endpoint`` at ``/ws``."""
    return Starlette(routes=[WebSocketRoute("/ws", endpoint)])


class LoadEndpoint(WebSocketHandlingEndpoint):
    """Two cheap handlers that echo the client's per-connection sequence number.

    The client checks every answer against the ``seq`` it sent, so an answer lost,
    duplicated, reordered or sent to another connection shows up.
    """

    @on_event
    async def echo(self, seq: int, text: str) -> dict[str, object]:
        """Answer with the sequence number and the text's length."""
        return {"seq": seq, "length": len(text)}

    @on_event
    async def add(self, seq: int, a: int, b: int) -> dict[str, object]:
        """Answer with the sequence number and the sum."""
        return {"seq": seq, "sum": a + b}


load_app = app_of(LoadEndpoint)
