"""A server command (``python -m socketsundso serve`` or ``python -m uvicorn``) in a subprocess.

The serving tests and ``bench/serving.py`` start the server this way, on a free port
of 127.0.0.1, and read its memory from ``/proc/<pid>/status``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tests.hardening.process import _wait_for_port
from tests.servers import free_port

__all__ = ["APP", "ROOT", "Server", "free_port", "running", "serve_command", "uvicorn_command"]

#: The repository root: the subprocess runs there so ``tests.serving.apps`` imports.
ROOT = Path(__file__).resolve().parents[2]

#: The app every serving test and the bench serve.
APP = "tests.serving.apps:app"


def serve_command(port: int, *extra: str, app: str = APP) -> list[str]:
    """``python -m socketsundso serve APP`` on 127.0.0.1:``port``."""
    return [
        sys.executable, "-m", "socketsundso", "serve", app,
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", *extra,
    ]  # fmt: skip


def uvicorn_command(port: int, *extra: str, app: str = APP) -> list[str]:
    """``python -m uvicorn APP`` on 127.0.0.1:``port``, with uvicorn's defaults."""
    return [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", *extra,
    ]  # fmt: skip


class Server:
    """A running server subprocess: its port, ``url`` and memory figures."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: IO[bytes]) -> None:
        self.process = process
        self.port = port
        self.url = f"ws://127.0.0.1:{port}"
        self._log = log

    def stderr(self) -> str:
        """What the server wrote to its standard error so far."""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def _status(self, field: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise RuntimeError(f"/proc/{self.process.pid}/status has no {field} line")

    def rss_kib(self) -> int:
        """The server's resident memory right now, in KiB (``VmRSS``)."""
        return self._status("VmRSS")

    def peak_kib(self) -> int:
        """The server's peak resident memory so far, in KiB (``VmHWM``)."""
        return self._status("VmHWM")

    def stop(self, timeout: float) -> float | None:
        """Send SIGTERM; the seconds until the process exited, ``None`` if it didn't in time.

        A process still running after ``timeout`` is killed.
        """
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None
        return time.monotonic() - start


@contextmanager
def running(
    command: Sequence[str], port: int | None = None, *, cwd: Path = ROOT
) -> Iterator[Server]:
    """Start ``command`` (made by ``serve_command`` or ``uvicorn_command`` for ``port``).

    It runs in ``cwd``, with ``cwd`` and the repository root on ``PYTHONPATH``, in a
    process group of its own. Yields once the port accepts connections; when the
    block exits, whatever of the group still runs is killed: the process, and the
    server processes a reloader or a worker supervisor started, which outlive a
    killed parent.
    """
    if port is None:
        port = int(command[command.index("--port") + 1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys([str(cwd), str(ROOT)]))}
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stderr=log, start_new_session=True
        )
        try:
            _wait_for_port(process, port, 20.0)
            yield Server(process, port, log)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
