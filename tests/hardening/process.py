"""Run a uvicorn server in a subprocess on 127.0.0.1, for load and soak runs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import end_process, free_port

__all__ = ["ServerProcess", "serve_in_process"]

#: The repository root: the subprocess runs there so ``tests.hardening.apps`` imports.
ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    """A running uvicorn subprocess: its ``url`` (``ws://127.0.0.1:PORT``) and ``pid``."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"ws://127.0.0.1:{port}"

    @property
    def pid(self) -> int:
        """The server's process id (its memory is read from ``/proc/<pid>/status``)."""
        return self.process.pid

    def rss_kib(self) -> int:
        """The server's resident set size right now, in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"/proc/{self.pid}/status has no VmRSS line")


def _wait_for_port(process: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"uvicorn did not listen on 127.0.0.1:{port} within {timeout} s")


@contextmanager
def serve_in_process(
    app: str, *, startup_timeout: float = 20.0, extra_args: tuple[str, ...] = ()
) -> Iterator[ServerProcess]:
    """Serve ``app`` (``"module:attribute"``) with ``python -m uvicorn`` on a free port.

    Yields once the port accepts connections; the process is stopped (SIGTERM, then
    SIGKILL after 10 s) when the block exits. Compression is off, so the figures
    measure socketsundso rather than zlib.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--ws-per-message-deflate", "false",
        *extra_args,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_for_port(process, port, startup_timeout)
        yield ServerProcess(process, port)
    finally:
        end_process(process, 10)
