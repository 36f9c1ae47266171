"""Run an ASGI app under uvicorn on 127.0.0.1 for tests that need real sockets."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp


def end_process(process: subprocess.Popen[Any], timeout: float) -> None:
    """SIGTERM ``process``; SIGKILL it if it is still running after ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(
    app: ASGIApp, *, startup_timeout: float = 10.0, port: int | None = None, **config: object
) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yield its ``ws://127.0.0.1:PORT`` base URL.

    The server is stopped (and its connections closed) when the block exits. ``port``
    defaults to a free one; give the port of a stopped server to restart it.
    Extra keyword arguments go to ``uvicorn.Config``.
    """
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config)  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=startup_timeout)
