"""The uvicorn WebSocket implementation ``serve`` runs: one that stays bounded under a ping flood.

A peer that sends pings and never reads the pongs must stop being read once the
pongs it is owed fill the transport's buffer; otherwise the server buffers pongs
without limit (uvicorn's ``websockets-sansio`` and ``wsproto`` do: 466 MiB after a
30-s flood of 20 clients, ``bench/serving.py``).

- ``BoundedSansIOProtocol``: uvicorn's ``websockets-sansio`` (its default, the
  cheapest: 1.54x less server CPU per message than ``websockets`` in
  ``bench/serving.py``) plus that one rule: a ping answered while the transport's
  buffer is over its high-water mark stops reading until the buffer drains. It
  needs uvicorn's write flow control in that implementation (``pause_writing`` and
  ``resume_writing``, uvicorn 0.52.1 and later).
- ``LegacyWebSocketProtocol``: uvicorn's ``websockets`` implementation, whose reader
  waits for the transport to drain before answering the next ping; the choice on an
  older uvicorn. uvicorn marks it deprecated, warning at import: the warning is
  silenced here, where uvicorn (each worker process too) imports it.

``serve`` passes the class itself (uvicorn 0.30 looks a *name* up in a table, so an
import path fails there); both classes live in this module so that a worker process
unpickling its configuration imports them from here. ``tests/serving`` fails if the
chosen one stops being bounded.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

__all__ = ["serve_ws_protocol"]


def _sans_io_with_flow_control() -> type[asyncio.Protocol] | None:
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
    except ImportError:  # uvicorn before 0.35, or websockets missing
        return None
    flow_control = {"pause_writing", "resume_writing"} <= set(vars(WebSocketsSansIOProtocol))
    has_hooks = all(hasattr(WebSocketsSansIOProtocol, name) for name in ("handle_ping", "receive"))
    return WebSocketsSansIOProtocol if flow_control and has_hooks else None


_SansIO: Any = _sans_io_with_flow_control()

if _SansIO is not None:

    class BoundedSansIOProtocol(_SansIO):  # type: ignore[misc]
        """uvicorn's sans-I/O implementation, reading nothing while the pongs owed wait."""

        #: The transport's buffer is over its high-water mark (``pause_writing``).
        _writing_paused = False
        #: Reading stopped by a ping answered while writing was paused.
        _held_for_pongs = False

        def pause_writing(self) -> None:
            super().pause_writing()
            self._writing_paused = True

        def resume_writing(self) -> None:
            super().resume_writing()
            self._writing_paused = False
            if self._held_for_pongs:
                self._held_for_pongs = False
                if not self.read_paused:  # paused for the app's queue: the app resumes it
                    self.transport.resume_reading()

        def handle_ping(self) -> None:
            super().handle_ping()
            if self._writing_paused and not self._held_for_pongs:
                self._held_for_pongs = True
                self.transport.pause_reading()

        async def receive(self) -> Any:
            message = await super().receive()
            if self._held_for_pongs:
                self.transport.pause_reading()  # uvicorn resumed it for the app's next message
            return message

else:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)  # uvicorn's UvicornDeprecationWarning
        from uvicorn.protocols.websockets import websockets_impl

    class LegacyWebSocketProtocol(websockets_impl.WebSocketProtocol):
        """uvicorn's ``websockets`` implementation, unchanged, imported without its warning."""


def serve_ws_protocol() -> type[asyncio.Protocol]:
    """The implementation ``serve`` runs on this uvicorn: bounded sans-I/O, else legacy."""
    if _SansIO is not None:
        return BoundedSansIOProtocol
    return LegacyWebSocketProtocol
