"""The app the serving tests and ``bench/serving.py`` serve in a subprocess.

Two endpoints with different ``max_message_size``, one of them inside a ``Mount``,
so that ``serve`` must walk the routes to find the largest limit (64 KiB).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute

from socketsundso import WebSocketHandlingEndpoint, on_event

__all__ = ["LARGEST_MESSAGE_SIZE", "Echo", "Small", "app"]

#: The largest ``max_message_size`` of the app's endpoints: serve's frame limit.
LARGEST_MESSAGE_SIZE = 64 * 1024


class Echo(WebSocketHandlingEndpoint):
    """Echoes text, and streams replies on request (for clients that never read)."""

    max_message_size = LARGEST_MESSAGE_SIZE

    @on_event
    async def echo(self, text: str) -> dict[str, object]:
        """Answer with the text's length."""
        return {"length": len(text)}

    @on_event
    async def stream(self, count: int, size: int) -> dict[str, object]:
        """Send ``count`` messages of ``size`` characters, then answer with the count.

        A client that asks for many and never reads keeps the server blocked on
        sending, as a slow or hostile client would.
        """
        chunk = "x" * size
        for index in range(count):
            await self.send_json({"type": "chunk", "index": index, "data": chunk})
        return {"sent": count}


class Small(WebSocketHandlingEndpoint):
    """A stricter endpoint, mounted: its smaller limit is answered, not closed."""

    max_message_size = 16 * 1024

    @on_event
    async def echo(self, text: str) -> dict[str, object]:
        """Answer with the text's length."""
        return {"length": len(text)}


app = Starlette(
    routes=[
        WebSocketRoute("/ws", Echo),
        Mount("/small", routes=[WebSocketRoute("/ws", Small)]),
    ]
)
