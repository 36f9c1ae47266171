"""The uvicorn WebSocket implementation ``serve`` runs, imported without its warning.

uvicorn's ``websockets`` implementation (``--ws websockets``) is the one whose
memory stayed bounded under a ping flood (``bench/serving.py``): its reader awaits
the transport's drain before answering the next ping, so a peer that never reads
its pongs stops being read. uvicorn's default (``websockets-sansio``) and ``wsproto``
write each pong at once and buffer them without limit. uvicorn marks this
implementation deprecated, warning at import; ``serve`` chose it on purpose, so the
warning is silenced here, where uvicorn (each worker process too) imports it.
``tests/serving`` fails if it stops being bounded.

``serve`` passes the class itself (uvicorn 0.30 looks a *name* up in a table, so an
import path fails there); the subclass lives in this module so that a worker process
unpickling its configuration imports it from here, warning silenced, not from uvicorn.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", UserWarning)  # uvicorn's UvicornDeprecationWarning
    from uvicorn.protocols.websockets import websockets_impl

__all__ = ["WebSocketProtocol"]


class WebSocketProtocol(websockets_impl.WebSocketProtocol):
    """uvicorn's ``websockets`` implementation, unchanged, importable without its warning."""
