"""The HTTP protocol ``serve`` runs: uvicorn's, with a deadline on unfinished request heads.

uvicorn waits for a request head (a WebSocket handshake is one) as long as its
client takes: a connection that sends part of a head, then a byte now and then
(Slowloris), holds a file descriptor and a protocol object for ever, since its
keep-alive timer only runs between requests. ``RequestHeadDeadline`` starts one
timer when a connection is made, and again when a response is complete, and stops
it when the WebSocket upgrade begins; when it fires, a connection that is not
answering a request is closed. The timer costs one ``call_later`` per request; nothing runs
per byte.

The subclass extends uvicorn's automatic choice (``httptools`` when installed,
else ``h11``) through the hooks both have had since uvicorn 0.30
(``connection_made``, ``on_response_complete``, ``handle_websocket_upgrade`` and
``connection_lost``, with ``cycle`` and ``loop`` set by their ``__init__``);
``request_head_deadline_protocol`` returns ``None`` where those are missing, and
``serve`` then runs uvicorn's own protocol. uvicorn 0.30 looks a protocol *name*
up in a table, so the class itself is passed (``Config(http=...)``); it lives at
module level, so worker processes import it by reference.

The deadline, in seconds, comes from ``SOCKETSUNDSO_HANDSHAKE_TIMEOUT``
(``serving.run`` sets it, and worker processes inherit it), default 10 s: uvicorn's
``Config`` carries no setting of ours.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Final

from uvicorn.protocols.http.auto import AutoHTTPProtocol

__all__ = ["DEADLINE_VARIABLE", "RequestHeadDeadline", "request_head_deadline_protocol"]

#: The environment variable that carries the deadline into every worker process.
DEADLINE_VARIABLE: Final = "SOCKETSUNDSO_HANDSHAKE_TIMEOUT"

#: Seconds a connection has to send a whole request head when the variable is unset.
FALLBACK_DEADLINE: Final = 10.0


def _deadline() -> float:
    value = os.environ.get(DEADLINE_VARIABLE)
    return FALLBACK_DEADLINE if value is None else float(value)


class RequestHeadDeadline(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol, closing a connection whose request head is late."""

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        """Start the deadline of the connection's first request head."""
        super().connection_made(transport)
        self._start_head_timer()

    def on_response_complete(self) -> None:
        """Start the deadline of the next request head on a kept-alive connection."""
        super().on_response_complete()
        self._start_head_timer()

    def handle_websocket_upgrade(self, *args: Any) -> None:
        """Stop the timer: the head is whole, and the WebSocket protocol takes over.

        Stopped here, not left to find the upgrade when it fires: a pending timer
        would keep this protocol object alive for the whole deadline after every
        WebSocket handshake.
        """
        self._stop_head_timer()
        super().handle_websocket_upgrade(*args)

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the timer: nothing is left to close."""
        self._stop_head_timer()
        super().connection_lost(exc)

    def _start_head_timer(self) -> None:
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(_deadline(), self._head_deadline_passed)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_deadline_passed(self) -> None:
        self._head_timer = None
        transport = self.transport
        if transport.is_closing() or transport.get_protocol() is not self:
            return  # closed already, or upgraded: the WebSocket protocol owns it now
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a whole head arrived: the app is answering it
        transport.close()


def request_head_deadline_protocol() -> type[asyncio.Protocol] | None:
    """``RequestHeadDeadline``, or ``None`` if this uvicorn lacks the hooks it extends."""
    hooks = (
        "connection_made",
        "on_response_complete",
        "connection_lost",
        "handle_websocket_upgrade",
    )
    if all(callable(getattr(AutoHTTPProtocol, hook, None)) for hook in hooks):
        return RequestHeadDeadline
    return None
