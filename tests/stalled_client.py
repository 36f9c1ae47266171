"""A WebSocket client that stops reading: the slow consumer of outgoing-path tests.

``stalled_client(url, *texts)`` is a context manager. It opens a TCP connection to
``url`` (``ws://HOST:PORT/PATH``) with a small receive buffer, set before connecting so
the window the client advertises stays small; does the WebSocket opening handshake by
hand (the ``101`` answer and its ``Sec-WebSocket-Accept`` checked); sends each of
``texts`` as one masked text frame; and yields a ``StalledClient``, which reads nothing
more. Whatever the server sends then fills the client's small buffer, the server's
kernel buffer and the server's transport, until the server's sends wait: the client of
a phone in a tunnel, made on purpose.

``StalledClient.send_text(text)`` sends one more masked text frame (sending still works:
only reading stopped). ``StalledClient.read_until_closed(timeout)`` reads at last,
discarding what it reads, and says whether the server closed the connection (end of
stream or reset) within ``timeout`` seconds. Leaving the block resets the connection
(``SO_LINGER`` 0): a server never waits for a stalled client to read what it owes it.

No client library is involved: ``websockets`` and the others read in the background,
which is just what a stalled client must not do.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

__all__ = ["RECEIVE_BUFFER", "StalledClient", "masked_text_frame", "stalled_client"]

#: Default ``SO_RCVBUF`` of a stalled client, in bytes (Linux doubles it, and has a floor).
RECEIVE_BUFFER = 4096
#: RFC 6455's GUID, which the server's ``Sec-WebSocket-Accept`` hashes with the key.
_WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: Largest handshake answer read before giving up, in bytes.
_MAX_HANDSHAKE = 64 * 1024


def masked_text_frame(text: str) -> bytes:
    """``text`` as one final, masked WebSocket text frame (clients must mask, RFC 6455)."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x81, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x81, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x81, 0x80 | 127, length)
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return header + mask + masked


class StalledClient:
    """An open WebSocket connection whose client reads nothing (see the module)."""

    def __init__(self, sock: socket.socket) -> None:
        #: The client's TCP socket, blocking with a timeout.
        self.socket = sock

    def send_text(self, text: str) -> None:
        """Send ``text`` as one more masked text frame."""
        self.socket.sendall(masked_text_frame(text))

    def read_until_closed(self, timeout: float) -> bool:
        """Read (and drop) what the server sent; whether it closed within ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self.socket.settimeout(left)
            try:
                if not self.socket.recv(65536):
                    return True
            except TimeoutError:
                return False
            except ConnectionError:
                return True
        return False


def _handshake(sock: socket.socket, host: str, path: str) -> None:
    """The client's half of the opening handshake; fails unless the server answers 101."""
    key = base64.b64encode(os.urandom(16))
    request = (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key.decode()}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "\r\n"
    )
    sock.sendall(request.encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk or len(answer) > _MAX_HANDSHAKE:
            raise ConnectionError(f"no WebSocket handshake answer from {host}: {answer[:200]!r}")
        answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status_line, *header_lines = head.split("\r\n")
    if status_line.split(" ")[1:2] != ["101"]:
        raise ConnectionError(f"{host}{path} refused the WebSocket handshake: {status_line}")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(":") for line in header_lines)
    }
    accept = base64.b64encode(hashlib.sha1(key + _WEBSOCKET_GUID).digest()).decode()
    if headers.get("sec-websocket-accept") != accept:
        raise ConnectionError(f"wrong Sec-WebSocket-Accept from {host}: {headers}")


@contextmanager
def stalled_client(
    url: str, *texts: str, receive_buffer: int = RECEIVE_BUFFER, timeout: float = 10.0
) -> Iterator[StalledClient]:
    """A connection to ``url`` that sent ``texts`` and reads nothing (see the module).

    ``receive_buffer`` is the socket's ``SO_RCVBUF``; ``timeout`` bounds connecting, the
    handshake and each send.
    """
    parts = urlsplit(url)
    if parts.scheme != "ws" or parts.hostname is None or parts.port is None:
        raise ValueError(f"stalled_client needs a ws://HOST:PORT/PATH URL, not {url!r}")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)  # before connect
        sock.settimeout(timeout)
        sock.connect((parts.hostname, parts.port))
        _handshake(sock, parts.netloc, parts.path or "/")
        client = StalledClient(sock)
        for text in texts:
            client.send_text(text)
        yield client
    finally:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
