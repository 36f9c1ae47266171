"""The members of the fan-out benchmark: thousands of WebSocket connections in one process.

``bench/fanout.py`` starts a few of these; each opens ``--connections`` connections to
``ws://127.0.0.1:PORT/ws`` (taking ``--ports`` in turn: with two workers, half go to
each) and records when each broadcast frame arrives. It is a lean reader on purpose,
not the ``websockets`` library: a few lines of ``asyncio.Protocol`` that do the
handshake, cut server frames (unmasked, unfragmented) apart, read ``seq`` off the
start of each text frame (``{"seq":N,``) and answer pings. Receiving a frame with
``websockets`` costs about as much CPU as sending one costs the server, and the server
shares the machine's two cores with its clients: they would slow down what they measure.

One JSON line on stdout answers each line on stdin:

- at start: ``{"connected": n, "failed": k, "seconds": s}`` once every connection is open
  (or has failed);
- ``expect FIRST COUNT TIMEOUT``: once every open connection has every ``seq`` from
  ``FIRST`` to ``FIRST+COUNT-1``, or after ``TIMEOUT`` seconds, ``{"received": r,
  "expected": e, "last": [...], "stray": s, "lost": l, "cpu": c}``: ``last[i]`` is the
  ``time.monotonic()`` at which the last connection got ``seq`` ``FIRST+i`` (0 if none
  did), ``stray`` frames were outside the range, ``lost`` connections closed, ``cpu``
  is this process's CPU seconds so far;
- ``quit`` (or the end of stdin): every connection is closed (1000) and the process ends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import sys
import time

#: Handshakes under way at once, per process (the server's listen backlog is finite).
CONCURRENT_HANDSHAKES = 200
HANDSHAKE = (
    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: ZmFub3V0LWJlbmNoLWtleQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n"
)
#: A client's close frame: FIN + close, masked (with a zero key), code 1000.
CLOSE_FRAME = b"\x88\x82\x00\x00\x00\x00\x03\xe8"
#: What every broadcast frame's payload starts with: ``seq`` follows it.
SEQ_PREFIX = len(b'{"seq":')


def raise_file_limit() -> int:
    """Raise this process's open-file limit to its hard limit; return the new limit."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class Tally:
    """Arrivals of the broadcasts expected now, over every connection of this process."""

    def __init__(self) -> None:
        self.first = 0
        self.count = 0
        self.counts: list[int] = []
        self.last: list[float] = []
        self.received = 0
        self.expected = 0
        self.stray = 0
        self.lost = 0
        self.done: asyncio.Future[None] | None = None

    def expect(self, first: int, count: int, connections: int) -> asyncio.Future[None]:
        """Start counting ``seq`` ``first`` to ``first+count-1`` on ``connections``."""
        self.first, self.count = first, count
        self.counts = [0] * count
        self.last = [0.0] * count
        self.received, self.stray = 0, 0
        self.expected = count * connections
        self.done = asyncio.get_running_loop().create_future()
        if self.expected == 0:
            self.done.set_result(None)
        return self.done

    def arrived(self, seq: int, now: float) -> None:
        index = seq - self.first
        if not 0 <= index < self.count:
            self.stray += 1
            return
        self.counts[index] += 1
        self.last[index] = now
        self.received += 1
        if self.received == self.expected and self.done is not None:
            self.done.set_result(None)


class Member(asyncio.Protocol):
    """One connection: the handshake, then every frame the server sends, tallied."""

    def __init__(self, tally: Tally, request: bytes, opened: asyncio.Future[None]) -> None:
        self.tally = tally
        self.request = request
        self.opened = opened
        self.open = False
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if self.buffer:
            data, self.buffer = self.buffer + data, b""
        if not self.open:
            rest = self._handshake(data)
            if rest is None:
                return
            data = rest
        position, size = 0, len(data)
        while size - position >= 2:
            length = data[position + 1] & 0x7F
            start = position + 2
            if length == 126:
                if size - position < 4:
                    break
                length = (data[position + 2] << 8) | data[position + 3]
                start += 2
            elif length == 127:
                if size - position < 10:
                    break
                length = int.from_bytes(data[position + 2 : position + 10], "big")
                start += 8
            end = start + length
            if end > size:
                break
            opcode = data[position] & 0x0F
            if opcode == 0x1:
                digits = start + SEQ_PREFIX
                self.tally.arrived(int(data[digits : data.index(b",", digits)]), now)
            elif opcode == 0x9 and self.transport is not None:  # a ping: pong, masked
                pong = bytes((0x8A, 0x80 | length)) + b"\x00\x00\x00\x00" + data[start:end]
                self.transport.write(pong)
            position = end
        if position < size:
            self.buffer = data[position:]

    def _handshake(self, data: bytes) -> bytes | None:
        """Read the server's answer to the handshake; what follows it, once it is whole."""
        end = data.find(b"\r\n\r\n")
        if end < 0:
            self.buffer = data
            return None
        if not data.startswith(b"HTTP/1.1 101"):
            self.opened.set_exception(ConnectionError(data[: data.find(b"\r\n")].decode()))
            assert self.transport is not None
            self.transport.close()
            return None
        self.open = True
        self.opened.set_result(None)
        return data[end + 4 :]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed during the handshake"))
        elif self.open:
            self.tally.lost += 1
        self.open = False

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(CLOSE_FRAME)
            self.transport.close()


async def connect(ports: list[int], connections: int, tally: Tally) -> list[Member]:
    """Open ``connections`` connections, taking ``ports`` in turn; return those that opened."""
    loop = asyncio.get_running_loop()
    handshakes = asyncio.Semaphore(CONCURRENT_HANDSHAKES)
    requests = {port: HANDSHAKE.format(port=port).encode() for port in ports}

    async def one(index: int) -> Member:
        port = ports[index % len(ports)]
        async with handshakes:
            opened = loop.create_future()
            _, member = await loop.create_connection(
                lambda: Member(tally, requests[port], opened), "127.0.0.1", port
            )
            await asyncio.wait_for(opened, 60)
            return member

    results = await asyncio.gather(*(one(i) for i in range(connections)), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        print(f"fanout_clients: {len(failures)} failed, e.g. {failures[0]!r}", file=sys.stderr)
    return [r for r in results if isinstance(r, Member)]


def answer(figures: dict[str, object]) -> None:
    print(json.dumps(figures), flush=True)


async def serve_driver(ports: list[int], connections: int) -> None:
    """Connect, then answer the driver's commands on stdin until ``quit``."""
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    tally = Tally()
    start = time.monotonic()
    members = await connect(ports, connections, tally)
    answer(
        {
            "connected": len(members),
            "failed": connections - len(members),
            "seconds": time.monotonic() - start,
        }
    )
    while True:
        line = (await commands.readline()).decode().split()
        if not line or line[0] == "quit":
            break
        if line[0] != "expect":
            raise SystemExit(f"fanout_clients: unknown command {line!r}")
        first, count, timeout = int(line[1]), int(line[2]), float(line[3])
        done = tally.expect(first, count, sum(1 for m in members if m.open))
        with contextlib.suppress(asyncio.TimeoutError):  # incomplete: the answer says so
            await asyncio.wait_for(done, timeout)
        answer(
            {
                "received": tally.received,
                "expected": tally.expected,
                "last": tally.last,
                "stray": tally.stray,
                "lost": tally.lost,
                "cpu": time.process_time(),
            }
        )
    for member in members:
        member.close()
    await asyncio.sleep(0.2)  # let the close frames go out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ports", required=True, help="comma-separated, taken in turn")
    parser.add_argument("--connections", type=int, required=True)
    args = parser.parse_args()
    raise_file_limit()
    asyncio.run(serve_driver([int(p) for p in args.ports.split(",")], args.connections))


if __name__ == "__main__":
    main()
