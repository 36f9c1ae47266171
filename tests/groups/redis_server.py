"""A redis-server of a test's own on 127.0.0.1, which the test can kill and restart."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from tests.servers import end_process

__all__ = ["REDIS_SERVER", "RedisServer"]

#: Debian's redis-server, which ``scripts/test`` installs.
REDIS_SERVER = Path("/usr/bin/redis-server")


class RedisServer:
    """One ``redis-server`` process on a fixed port of 127.0.0.1, nothing saved to disk.

    ``kill`` ends it at once (SIGKILL: clients see their connections reset, as when a
    server crashes); ``start`` starts it again on the same port, empty.
    """

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and return once it answers PING."""
        command = [
            str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.directory, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while not self.answers_ping():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with {self.process.returncode}: "
                    f"{(self.directory / 'redis.log').read_text()[-2000:]}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer on port {self.port}")
            time.sleep(0.02)

    def answers_ping(self) -> bool:
        """Whether a server on the port answers ``PING`` now."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    @contextlib.contextmanager
    def client(self) -> Iterator[redis.Redis]:
        """A redis-py client of the server, for a test to look; it disconnects after."""
        client = redis.Redis(host="127.0.0.1", port=self.port, single_connection_client=True)
        try:
            yield client
        finally:
            client.close()
            client.connection_pool.disconnect()

    def subscribers(self, channel: str) -> int:
        """How many connections are subscribed to ``channel``."""
        with self.client() as client:
            [(_, count)] = client.pubsub_numsub(channel)
            return int(count)

    def clients_soon(self, timeout: float = 1.0) -> int:
        """How many connections the server has (the one asking aside), once there are
        none or ``timeout`` seconds passed: a closed connection takes a moment to go."""
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while (count := len(client.client_list()) - 1) and time.monotonic() < deadline:
                time.sleep(0.01)
            return count

    def kill(self) -> None:
        """End the server at once (SIGKILL) and wait until it is gone."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def pause(self) -> None:
        """Stop the server without closing anything (SIGSTOP): it accepts, never answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server go on (SIGCONT)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        """Kill the server if it runs, then start it again on the same port."""
        self.kill()
        self.start()

    def stop(self) -> None:
        """End the server (SIGTERM, SIGKILL after 5 s)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGCONT)  # a paused server can't handle SIGTERM
        end_process(process, 5)
