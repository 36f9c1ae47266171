"""Raw-socket WebSocket clients that attack a server the way issue 9 measured.

Raw sockets rather than a client library, so an attacker does exactly what a
hostile peer would: send pings and never read the pongs, send a 15 KiB frame that
inflates to 15 MiB, ask for replies and never read them. Frames are masked with
the all-zero key (legal, and it spares masking the payload).
"""

from __future__ import annotations

import base64
import hashlib
import os
import select
import selectors
import socket
import struct
import threading
import time
import zlib

__all__ = [
    "PING",
    "TEXT",
    "bomb_frame",
    "flood",
    "frame",
    "handshake",
    "idle_connections",
    "pump",
    "slow_heads",
]

#: RFC 6455's GUID, which the server's ``Sec-WebSocket-Accept`` hashes with the key.
_WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

#: Opcodes (RFC 6455, section 5.2).
TEXT = 0x1
PING = 0x9


def handshake(
    port: int, path: str = "/ws", *, deflate: bool = False, receive_buffer: int | None = None
) -> tuple[socket.socket, str]:
    """Open a WebSocket to 127.0.0.1:``port``; return the socket and the response's head.

    ``deflate`` offers permessage-deflate; ``receive_buffer`` shrinks the socket's
    receive buffer (a client that never reads then stops the server's sends early).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    extension = "Sec-WebSocket-Extensions: permessage-deflate\r\n" if deflate else ""
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"{extension}\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)  # byte by byte: leave any frame after the head unread
        if not chunk:
            raise ConnectionError(f"the server closed the handshake: {head!r}")
        head += chunk
    text = head.decode("latin-1")
    if not text.startswith("HTTP/1.1 101"):
        raise ConnectionError(f"the handshake was refused: {text.splitlines()[0]!r}")
    accept = base64.b64encode(hashlib.sha1((key + _WEBSOCKET_GUID).encode()).digest()).decode()
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in text.split("\r\n")[1:] if line)
    }
    if headers.get("sec-websocket-accept") != accept:
        raise ConnectionError(f"wrong or missing Sec-WebSocket-Accept: {text!r}")
    return sock, text


def idle_connections(port: int, count: int) -> list[socket.socket]:
    """``count`` WebSockets to 127.0.0.1:``port``, each answered one echo, then left idle.

    The one message makes the endpoint's per-connection state exist, as a real
    client's first message would. The caller closes the sockets.
    """
    held: list[socket.socket] = []
    try:
        for _ in range(count):
            sock, _ = handshake(port)
            held.append(sock)
            sock.sendall(frame(TEXT, b'{"type": "echo", "text": "hello"}'))
            if not sock.recv(4096):
                raise ConnectionError("the server closed an idle connection's first echo")
    except BaseException:
        for sock in held:
            sock.close()
        raise
    return held


def frame(opcode: int, payload: bytes, *, compressed: bool = False) -> bytes:
    """One final client frame: masked with the zero key, RSV1 set if ``compressed``."""
    first = 0x80 | (0x40 if compressed else 0) | opcode
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, 0x80 | size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", first, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, size)
    return header + b"\0\0\0\0" + payload


def bomb_frame(inflated_size: int) -> bytes:
    """A compressed text frame that inflates to ``inflated_size`` bytes of ``a``.

    Compressed with a 512-byte window, which every permessage-deflate negotiation
    accepts; 15 MiB shrink to about 15 KiB.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -9)
    data = compressor.compress(b"a" * inflated_size) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return frame(TEXT, data.removesuffix(b"\0\0\xff\xff"), compressed=True)


def pump(sock: socket.socket, data: bytes, deadline: float, *, repeat: bool = True) -> int:
    """Send ``data`` (over and over if ``repeat``) until ``deadline``; return bytes sent.

    Never reads. Stops early when the server closes the connection. Frames are never
    cut: the next copy starts where the last one ended.
    """
    sock.setblocking(False)
    view = memoryview(data)
    offset = total = 0
    while (now := time.monotonic()) < deadline:
        _, writable, _ = select.select([], [sock], [], min(0.2, deadline - now))
        if not writable:
            continue
        try:
            sent = sock.send(view[offset:])
        except BlockingIOError:
            continue
        except OSError:  # reset or closed by the server
            break
        total += sent
        offset += sent
        if offset == len(data):
            if not repeat:
                break
            offset = 0
    return total


def flood(
    port: int,
    clients: int,
    seconds: float,
    data: bytes,
    *,
    deflate: bool = False,
    reconnect: bool = False,
) -> int:
    """``clients`` raw connections each pumping ``data`` for ``seconds``; total bytes sent.

    With ``reconnect``, a client the server closed opens a new connection and goes on,
    as an attacker would.
    """
    deadline = time.monotonic() + seconds
    sent = [0] * clients

    def attack(index: int) -> None:
        while time.monotonic() < deadline:
            try:
                sock, _ = handshake(port, deflate=deflate, receive_buffer=4096)
            except OSError:
                time.sleep(0.05)
                continue
            with sock:
                sent[index] += pump(sock, data, deadline)
            if not reconnect:
                return

    threads = [threading.Thread(target=attack, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 15)
    return sum(sent)


#: The part of a handshake head a Slowloris client sends at once; a header it then
#: lengthens by one byte at a time follows, and the blank line never comes.
_PARTIAL_HEAD = b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nX-Pad: "


def slow_heads(
    port: int,
    count: int,
    *,
    interval: float,
    seconds: float,
    before: bytes = b"",
) -> list[float | None]:
    """``count`` Slowloris connections: for each, the seconds until the server closed it.

    Each connection sends ``before`` (say, a whole earlier request), then part of a
    handshake head, then one more byte every ``interval`` seconds, never finishing
    it. ``None`` for a connection still open after ``seconds``.
    """
    start = time.monotonic()
    selector = selectors.DefaultSelector()  # epoll: more descriptors than select() takes
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if before:
            sock.sendall(before)
            sock.recv(65536)  # the earlier request's response
        sock.sendall(_PARTIAL_HEAD)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        sockets.append(sock)
    closed_after: dict[socket.socket, float] = {}
    next_byte = start + interval
    try:
        while len(closed_after) < count and (now := time.monotonic()) < start + seconds:
            for key, _ in selector.select(timeout=min(0.1, start + seconds - now)):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(4096)
                except OSError:  # reset by the server
                    data = b""
                if not data:
                    closed_after[sock] = time.monotonic() - start
                    selector.unregister(sock)
            if now >= next_byte:
                next_byte += interval
                for sock in sockets:
                    if sock not in closed_after:
                        try:
                            sock.send(b"a")
                        except OSError:
                            closed_after[sock] = time.monotonic() - start
                            selector.unregister(sock)
    finally:
        selector.close()
        for sock in sockets:
            sock.close()
    return [closed_after.get(sock) for sock in sockets]
