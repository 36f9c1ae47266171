"""``python -m socketsundso serve module:app``: the command line of ``socketsundso.serving``."""

from __future__ import annotations

import argparse

from ._references import resolve_reference
from .serving import ServeSettings, _require_uvicorn, run

__all__ = ["add_serve_command", "serve"]


def add_serve_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand and its options to ``commands``."""
    serve = commands.add_parser(
        "serve",
        help="serve an app with uvicorn under limits derived from its endpoints",
        description="Serve a Starlette/FastAPI app (or one endpoint class, at --path) with "
        "uvicorn: frames limited to the largest max_message_size of its endpoints, "
        "permessage-deflate off, keepalive pings, a bounded shutdown, and the WebSocket "
        "implementation that stays bounded under a ping flood. Needs the 'serve' extra.",
    )
    serve.add_argument("reference", help="module:app (a Starlette/FastAPI app) or module:Endpoint")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000)")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes (default: 1; needs module:app)"
    )
    serve.add_argument("--path", default="/", help="where an endpoint class is served (default: /)")
    serve.add_argument("--log-level", default="info", help="uvicorn's log level (default: info)")
    serve.add_argument(
        "--max-size",
        type=int,
        help="largest frame in bytes (default: the largest max_message_size of the endpoints)",
    )
    serve.add_argument("--ping-interval", type=float, help="seconds between keepalive pings")
    serve.add_argument("--ping-timeout", type=float, help="seconds a ping may go unanswered")
    serve.add_argument(
        "--graceful-shutdown", type=int, help="seconds a shutdown waits for handlers"
    )
    serve.add_argument(
        "--limit-concurrency", type=int, help="connections before answering 503 (default: none)"
    )
    serve.add_argument(
        "--reload",
        action="store_true",
        help="restart when a Python file changes (development; needs module:app, one worker)",
    )
    serve.add_argument(
        "--reload-dir",
        action="append",
        dest="reload_dirs",
        metavar="DIR",
        help="watch DIR instead of the current directory (repeatable)",
    )
    serve.add_argument(
        "--handshake-timeout",
        type=float,
        help="seconds a connection has to send its whole handshake (default: 10)",
    )


def serve(args: argparse.Namespace) -> int:
    """Run the ``serve`` subcommand; returns when the server stops."""
    _require_uvicorn()
    overrides = {
        field: value
        for field, value in (
            ("max_size", args.max_size),
            ("ping_interval", args.ping_interval),
            ("ping_timeout", args.ping_timeout),
            ("graceful_shutdown", args.graceful_shutdown),
            ("limit_concurrency", args.limit_concurrency),
            ("handshake_timeout", args.handshake_timeout),
        )
        if value is not None
    }
    settings = ServeSettings.for_app(resolve_reference(args.reference), args.path, **overrides)
    run(
        args.reference,
        host=args.host,
        port=args.port,
        workers=args.workers,
        path=args.path,
        settings=settings,
        log_level=args.log_level,
        reload=args.reload,
        reload_dirs=args.reload_dirs,
    )
    return 0
