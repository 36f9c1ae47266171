"""Serve an app with uvicorn under limits derived from its endpoints.

An endpoint's protections (``max_message_size`` and the others) act on messages the
server has already read. What a server does before that, how large a frame it
reads, whether it inflates compressed frames, how many pongs it queues for a peer
that never reads them, how long it waits at shutdown, the app can't see or set.
Under uvicorn's defaults, 20 connections sending 15 KiB compressed frames pushed a
server to 3.7 GiB (``bench/serving.py``); ``run`` (and ``python -m socketsundso
serve module:app``) start uvicorn with ``ServeSettings.for_app(app)`` instead.
``docs/serving.md`` explains each setting, with the equivalents for uvicorn,
Hypercorn and Granian run by hand.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
from typing import Any, Final

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from ._references import resolve_reference
from .asyncapi._document import Channel, channels_of
from .endpoints import WebSocketHandlingEndpoint

__all__ = [
    "DEFAULT_GRACEFUL_SHUTDOWN",
    "DEFAULT_HANDSHAKE_TIMEOUT",
    "DEFAULT_PING_INTERVAL",
    "DEFAULT_PING_TIMEOUT",
    "SERVE_EXTRA",
    "ServeSettings",
    "ServingError",
    "UvicornMissing",
    "endpoints_of",
    "run",
]

#: Seconds between the server's keepalive pings: a peer gone without a word is noticed.
DEFAULT_PING_INTERVAL: Final = 20.0
#: Seconds a peer has to answer a keepalive ping before its connection is closed.
DEFAULT_PING_TIMEOUT: Final = 20.0
#: Seconds a shutdown (SIGTERM) waits for connections before cancelling their handlers.
DEFAULT_GRACEFUL_SHUTDOWN: Final = 5
#: Seconds a connection has to send a whole request head (its WebSocket handshake)
#: before it is closed: a client trickling a partial head (Slowloris) holds nothing longer.
DEFAULT_HANDSHAKE_TIMEOUT: Final = 10.0

#: The ``pip install`` argument that brings uvicorn and its WebSocket library.
SERVE_EXTRA: Final = "socketsundso[serve]"


class ServingError(ValueError):
    """What ``serve`` refuses to run: the message names the culprit and the way out."""


class UvicornMissing(ServingError):
    """uvicorn (or the WebSocket library it needs) isn't installed: install the extra."""


def endpoints_of(target: object, path: str = "/") -> list[Channel]:
    """The socketsundso endpoints ``target`` serves, with their paths.

    ``target`` is a Starlette/FastAPI app, whose routes are walked (mounts included),
    or a ``WebSocketHandlingEndpoint`` subclass, served alone at ``path``. Raises
    ``ServingError`` for anything else, and for an app that routes no endpoint (its
    frame limit would be a guess).
    """
    if isinstance(target, type) and issubclass(target, WebSocketHandlingEndpoint):
        return [Channel(path, target)]
    routes = getattr(target, "routes", None)
    if not isinstance(routes, list):
        raise ServingError(
            f"{target!r} is neither a Starlette/FastAPI app nor a "
            "WebSocketHandlingEndpoint subclass"
        )
    channels = channels_of(routes)
    if not channels:
        raise ServingError(
            f"{target!r} routes no WebSocketHandlingEndpoint subclass: serve derives its "
            "limits from those endpoints, so it has none to derive them from"
        )
    return channels


@dataclasses.dataclass(frozen=True)
class ServeSettings:
    """The server settings ``serve`` runs an app with, derived from its endpoints.

    Each field is a limit the app can't enforce itself because the server acts
    before the app sees a message; ``docs/serving.md`` says why each value.
    """

    #: The largest frame (and message, after inflating) the server reads, in bytes:
    #: the largest ``max_message_size`` of the app's endpoints. A larger one is
    #: closed with 1009 before it is buffered whole.
    max_size: int
    #: Seconds between keepalive pings; ``None`` sends none.
    ping_interval: float | None = DEFAULT_PING_INTERVAL
    #: Seconds a ping may go unanswered before the connection is closed.
    ping_timeout: float | None = DEFAULT_PING_TIMEOUT
    #: Seconds a shutdown waits for handlers before cancelling them.
    graceful_shutdown: int = DEFAULT_GRACEFUL_SHUTDOWN
    #: permessage-deflate: off. A 15 KiB frame can inflate to 15 MiB, and each
    #: connection would keep a compressor's and a decompressor's state too.
    per_message_deflate: bool = False
    #: Messages read ahead of the app per connection: at most ``max_queue`` times
    #: ``max_size`` bytes each. 1 halved the load test's throughput; 8 kept it.
    max_queue: int = 8
    #: Concurrent connections (and HTTP requests) before uvicorn answers 503; ``None``
    #: sets no cap.
    limit_concurrency: int | None = None
    #: Seconds a connection has to send a whole request head (the WebSocket handshake),
    #: counted from the connection (or from the previous response on a kept-alive one).
    handshake_timeout: float = DEFAULT_HANDSHAKE_TIMEOUT

    def __post_init__(self) -> None:
        if not self.handshake_timeout > 0:
            raise ServingError(
                f"handshake_timeout must be more than 0 seconds, not {self.handshake_timeout!r}"
            )
        if self.max_size < 1:
            raise ServingError(f"max_size must be at least 1 byte, not {self.max_size!r}")
        if self.max_queue < 1:
            raise ServingError(f"max_queue must be at least 1 message, not {self.max_queue!r}")
        if self.graceful_shutdown < 0:
            raise ServingError(
                f"graceful_shutdown must be 0 or more seconds, not {self.graceful_shutdown!r}"
            )

    @classmethod
    def for_app(cls, target: object, path: str = "/", **overrides: Any) -> ServeSettings:
        """The settings for ``target`` (an app, or an endpoint class served at ``path``).

        ``max_size`` is the largest ``max_message_size`` of its endpoints; the other
        fields keep their defaults unless given in ``overrides``.
        """
        largest = max(channel.endpoint.max_message_size for channel in endpoints_of(target, path))
        return cls(**{"max_size": largest, **overrides})

    def uvicorn_options(self) -> dict[str, Any]:
        """These settings as keyword arguments of ``uvicorn.run`` / ``uvicorn.Config``.

        ``ws`` is the WebSocket implementation that stays bounded under a ping flood
        (``socketsundso._uvicorn_protocol``: uvicorn's sans-I/O one with its pongs
        bounded, or on a uvicorn before 0.52.1 its ``websockets`` one), passed as a
        class since uvicorn 0.30 takes no import path. ``http`` is uvicorn's protocol
        with the request-head deadline, where this uvicorn has the hooks it extends
        (``socketsundso._uvicorn_http``); the deadline itself travels in the environment
        (``run`` sets it), which uvicorn's ``Config`` can't carry.
        """
        _require_uvicorn()
        from ._uvicorn_http import request_head_deadline_protocol
        from ._uvicorn_protocol import serve_ws_protocol

        http = request_head_deadline_protocol()
        return {
            **({} if http is None else {"http": http}),
            "ws": serve_ws_protocol(),
            "ws_max_size": self.max_size,
            "ws_max_queue": self.max_queue,
            "ws_ping_interval": self.ping_interval,
            "ws_ping_timeout": self.ping_timeout,
            "ws_per_message_deflate": self.per_message_deflate,
            "timeout_graceful_shutdown": self.graceful_shutdown,
            "limit_concurrency": self.limit_concurrency,
        }

    def uvicorn_flags(self) -> list[str]:
        """These settings as ``uvicorn`` command-line flags (the implementation left out).

        ``uvicorn`` doesn't accept ``--ws`` with an import path: ``--ws websockets``
        is the implementation bounded under a ping flood that its command line can
        name (deprecated, and 1.54x the CPU per message of serve's).
        """
        flags = [
            "--ws-max-size", str(self.max_size),
            "--ws-max-queue", str(self.max_queue),
            "--ws-per-message-deflate", str(self.per_message_deflate).lower(),
            "--timeout-graceful-shutdown", str(self.graceful_shutdown),
        ]  # fmt: skip
        if self.ping_interval is not None:
            flags += ["--ws-ping-interval", str(self.ping_interval)]
        if self.ping_timeout is not None:
            flags += ["--ws-ping-timeout", str(self.ping_timeout)]
        if self.limit_concurrency is not None:
            flags += ["--limit-concurrency", str(self.limit_concurrency)]
        return flags


def _require_uvicorn() -> None:
    missing = [name for name in ("uvicorn", "websockets") if importlib.util.find_spec(name) is None]
    if missing:
        raise UvicornMissing(
            f"serving needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not installed: pip install '{SERVE_EXTRA}'"
        )


def run(
    app: object,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    path: str = "/",
    settings: ServeSettings | None = None,
    log_level: str = "info",
    reload: bool = False,
    reload_dirs: list[str] | None = None,
) -> None:
    """Serve ``app`` with uvicorn under ``settings`` (default: ``ServeSettings.for_app``).

    ``app`` is a Starlette/FastAPI app, a ``WebSocketHandlingEndpoint`` subclass
    (served alone at ``path``), or a ``"module:attribute"`` reference to either;
    ``workers`` above 1 need an app reference, which each worker process imports.
    ``reload`` (for development) restarts the server whenever a Python file under
    ``reload_dirs`` (default: the current directory) changes; it needs an app
    reference too, and one worker.
    Blocks until the server stops (SIGINT or SIGTERM). Raises ``UvicornMissing`` when
    the ``serve`` extra isn't installed and ``ServingError`` for an app it can't serve.
    """
    _require_uvicorn()
    import uvicorn

    reference = app if isinstance(app, str) else None
    target = resolve_reference(app) if isinstance(app, str) else app
    if settings is None:
        settings = ServeSettings.for_app(target, path)
    served: Any = target
    if isinstance(target, type) and issubclass(target, WebSocketHandlingEndpoint):
        served = Starlette(routes=[WebSocketRoute(path, target)])
        reference = None  # each worker would import the class, not an app
    if reload and workers > 1:
        raise ServingError(
            f"reload runs one server process, not workers={workers}: reload is for "
            "development, workers for production"
        )
    if (workers > 1 or reload) and reference is None:
        wanted = "reload" if reload else f"workers={workers}"
        raise ServingError(
            f"{wanted} needs a 'module:app' reference to a Starlette/FastAPI app, "
            "which each server process imports; route the endpoint in an app and pass "
            "the reference"
        )
    if workers > 1 or reload:
        served = reference
    from ._uvicorn_http import DEADLINE_VARIABLE

    os.environ[DEADLINE_VARIABLE] = str(settings.handshake_timeout)  # worker processes too
    uvicorn.run(
        served,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        reload=reload,
        reload_dirs=reload_dirs,
        **settings.uvicorn_options(),
    )
