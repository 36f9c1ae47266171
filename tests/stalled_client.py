"""A WebSocket client that stops reading: the slow consumer of outgoing-path tests.

``stalled_client(url, *texts)`` is a context manager. It opens a WebSocket to ``url``
(``ws://127.0.0.1:PORT/PATH``) by hand with a small receive buffer, set before
connecting so the window the client advertises stays small
(``tests.serving.attacks.handshake``, which checks the ``101`` answer and its
``Sec-WebSocket-Accept``); sends each of ``texts`` as one masked text frame; and yields
a ``StalledClient``, which reads nothing more. Whatever the server sends then fills the
client's small buffer, the server's kernel buffer and the server's transport, until
the server's sends wait: the client of a phone in a tunnel, made on purpose.

``StalledClient.send_text(text)`` sends one more masked text frame (sending still works:
only reading stopped). ``StalledClient.read_until_closed(timeout)`` reads at last,
discarding what it reads, and says whether the server closed the connection (end of
stream or reset) within ``timeout`` seconds. Leaving the block resets the connection
(``SO_LINGER`` 0): a server never waits for a stalled client to read what it owes it.

No client library is involved: ``websockets`` and the others read in the background,
which is just what a stalled client must not do.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from tests.serving.attacks import TEXT, frame, handshake

__all__ = ["RECEIVE_BUFFER", "StalledClient", "stalled_client"]

#: Default ``SO_RCVBUF`` of a stalled client, in bytes (Linux doubles it, and has a floor).
RECEIVE_BUFFER = 4096


class StalledClient:
    """An open WebSocket connection whose client reads nothing (see the module)."""

    def __init__(self, sock: socket.socket) -> None:
        #: The client's TCP socket, blocking with a timeout.
        self.socket = sock

    def send_text(self, text: str) -> None:
        """Send ``text`` as one more masked text frame."""
        self.socket.sendall(frame(TEXT, text.encode()))

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


@contextmanager
def stalled_client(
    url: str, *texts: str, receive_buffer: int = RECEIVE_BUFFER
) -> Iterator[StalledClient]:
    """A connection to ``url`` that sent ``texts`` and reads nothing (see the module).

    ``receive_buffer`` is the socket's ``SO_RCVBUF``; connecting, the handshake and
    each send wait at most 10 seconds.
    """
    parts = urlsplit(url)
    if parts.scheme != "ws" or parts.hostname != "127.0.0.1" or parts.port is None:
        raise ValueError(f"stalled_client needs a ws://127.0.0.1:PORT/PATH URL, not {url!r}")
    sock, _ = handshake(parts.port, parts.path or "/", receive_buffer=receive_buffer)
    try:
        client = StalledClient(sock)
        for text in texts:
            client.send_text(text)
        yield client
    finally:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
