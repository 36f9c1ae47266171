"""The asyncio client: one WebSocket at a time, requests matched by id, reconnect.

The same semantics as the generated TypeScript client (``socketsundso.typescript``):

- A request is a message with a fresh ``id``; the answer carrying that id back
  settles it (a reply, or an error reply: ``RequestError``). It waits at most
  ``request_timeout`` seconds in all (``TimeoutError``), or less inside
  ``asyncio.timeout()``; a cancelled request leaves nothing behind, and its late
  reply is dropped. At most ``max_pending`` requests wait at once.
- A request made while the socket is not open waits for it (within its timeout). One
  sent on a socket that is then lost fails with ``ConnectionError``: nobody knows
  whether the server handled it. After ``close()`` every call fails at once.
- Messages without an id are server events. They are parsed into the endpoint's
  declared event models and kept, in order, for ``receive_event`` and ``events``:
  at most ``max_buffered_events``; past that the oldest is dropped (and counted in
  ``dropped_events``), so a client that never reads them holds bounded memory. The
  client keeps the last ``$position`` of each group whose hub keeps a history
  (``position(group)``), for a re-join to pass back as ``since``.
- A lost socket is replaced after a full-jitter exponential backoff (a random delay
  up to ``min(backoff_max, backoff_initial * 2 ** attempt)``; the attempts count from
  0 again once a connection stayed open ``backoff_max`` seconds); opening a socket
  takes at most ``connect_timeout``. State listeners (``on_state``) run on every
  change; on ``"open"`` they run before the requests that waited go out, so a
  re-join reaches the server first.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Concatenate, Generic, Literal, TypeVar

import anyio
from pydantic import BaseModel
from typing_extensions import ParamSpec, Self

from .._history import POSITION_KEY, Position
from ..endpoints import WebSocketHandlingEndpoint
from ..exceptions import ErrorEntry
from ._protocol import EndpointProtocol

__all__ = ["Client", "ConnectionState", "RequestError", "connect"]

logger = logging.getLogger("socketsundso.client")

P = ParamSpec("P")
R = TypeVar("R")
EventT = TypeVar("EventT", bound=BaseModel)
EndpointT = TypeVar("EndpointT", bound=WebSocketHandlingEndpoint[Any])

#: The state of a client's connection, as ``Client.state`` and ``on_state`` give it.
ConnectionState = Literal["connecting", "open", "reconnecting", "closed"]

#: How many messages sent with ``send`` are remembered, to name the event of an error reply.
_REMEMBERED_SENDS = 64

StateListener = Callable[[ConnectionState], Awaitable[None] | None]


class RequestError(Exception):
    """The server answered a request with an error reply: ``errors`` says what was wrong."""

    def __init__(self, event: str, errors: list[ErrorEntry]) -> None:
        super().__init__(f"{event}: " + "; ".join(str(entry.get("msg")) for entry in errors))
        #: The event of the request.
        self.event = event
        #: The error reply's entries (pydantic's shape: ``type``, ``loc``, ``msg``, ...).
        self.errors = errors


@dataclass
class _Pending:
    event: str
    text: str
    answer: asyncio.Future[dict[str, Any]]
    sent: bool = field(default=False)


def _websockets() -> Any:
    try:
        from websockets.asyncio.client import connect as websocket_connect
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'socketsundso.client needs the websockets package: pip install "socketsundso[client]"'
        ) from exc
    return websocket_connect


class Client(Generic[EndpointT]):
    """A connection to an endpoint of class ``EndpointT``, typed by its handlers.

    Make one with ``connect(url, Chat)`` and use it in ``async with``; see the module's
    docstring for what it promises. ``websocket_options`` go to
    ``websockets.asyncio.client.connect`` (``additional_headers``, ``subprotocols``,
    ``max_size``, ...). Needs the ``client`` extra (``websockets``).
    """

    def __init__(
        self,
        url: str,
        endpoint: type[EndpointT],
        *,
        request_timeout: float = 10.0,
        connect_timeout: float = 10.0,
        reconnect: bool = True,
        backoff_initial: float = 0.5,
        backoff_max: float = 20.0,
        max_pending: int = 1000,
        max_buffered_events: int = 1000,
        **websocket_options: Any,
    ) -> None:
        if not (isinstance(endpoint, type) and issubclass(endpoint, WebSocketHandlingEndpoint)):
            raise TypeError(
                f"connect() takes a WebSocketHandlingEndpoint subclass, not {endpoint!r}"
            )
        self.url = url
        self.endpoint = endpoint
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.reconnect = reconnect
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.max_pending = max_pending
        #: Server events dropped because ``max_buffered_events`` were waiting unread.
        self.dropped_events = 0
        self._protocol = EndpointProtocol.of(endpoint)
        self._options = websocket_options
        self._state: ConnectionState = "connecting"
        self._socket: Any = None
        self._opened = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_id = 0
        self._pending: dict[int, _Pending] = {}
        self._sends: dict[int, str] = {}
        self._events: deque[BaseModel] = deque(maxlen=max_buffered_events)
        self._event_arrived = asyncio.Event()
        self._listeners: list[StateListener] = []
        self._positions: dict[str, Position] = {}
        self._errors: list[Callable[[str | None, list[ErrorEntry]], None]] = []

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def state(self) -> ConnectionState:
        """The connection's state now; ``on_state`` tells of each change."""
        return self._state

    def start(self) -> None:
        """Start connecting in the background (``async with`` does it); idempotent."""
        if self._task is None and self._state != "closed":
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="socketsundso.client"
            )

    async def request(
        self,
        handler: Callable[Concatenate[EndpointT, P], Awaitable[R]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> R:
        """Send ``handler``'s event with these fields and return its reply, typed as it returns.

        Raises ``RequestError`` for an error reply, ``TimeoutError`` after
        ``request_timeout`` seconds (or at an enclosing ``asyncio.timeout()``),
        ``ConnectionError`` when the client is closed, the connection was lost after
        the request went out, or ``max_pending`` requests wait already, and
        ``TypeError`` for a method that isn't one of the endpoint's handlers, a
        handler annotated ``-> None`` (it never replies: use ``send``), or arguments
        the handler doesn't take.
        """
        call = self._protocol.call(handler)
        if not call.handler.replies:
            raise TypeError(
                f"{call.event!r} has no reply ({handler.__qualname__} returns None): use send()"
            )
        fields = call.fields(args, kwargs)
        if self._state == "closed":
            raise ConnectionError(f"{call.event}: the client is closed")
        if len(self._pending) >= self.max_pending:
            raise ConnectionError(
                f"{call.event}: {len(self._pending)} requests are pending already"
            )
        self.start()
        self._last_id += 1
        request_id = self._last_id
        pending = _Pending(
            call.event, call.message(fields, request_id), asyncio.get_running_loop().create_future()
        )
        self._pending[request_id] = pending
        try:
            with anyio.fail_after(self.request_timeout):
                while not (pending.sent or pending.answer.done()):
                    # Open: out at once (a state listener's re-join goes before what waits).
                    if self._state != "open":
                        await self._opened.wait()
                    await self._transmit(pending)
                answer = await pending.answer
        finally:
            self._pending.pop(request_id, None)
        return call.reply(answer)  # type: ignore[no-any-return]

    async def send(
        self,
        handler: Callable[Concatenate[EndpointT, P], Awaitable[Any]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> None:
        """Send ``handler``'s event with these fields, waiting for no answer.

        Raises ``ConnectionError`` when the socket is not open (nothing was sent).
        An error reply to it reaches the ``on_error`` listeners with its event.
        """
        call = self._protocol.call(handler)
        fields = call.fields(args, kwargs)
        if self._state != "open" or self._socket is None:
            raise ConnectionError(f"{call.event}: not connected ({self._state})")
        self._last_id += 1
        self._sends[self._last_id] = call.event
        while len(self._sends) > _REMEMBERED_SENDS:
            del self._sends[next(iter(self._sends))]
        try:
            await self._socket.send(call.message(fields, self._last_id))
        except Exception as exc:
            raise ConnectionError(f"{call.event}: the connection was lost") from exc

    async def receive_event(
        self,
        model: type[EventT],
        /,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the documented API, as in testing
    ) -> EventT:
        """The next server event that is a ``model``, waiting at most ``timeout`` seconds.

        Other events stay where they are, in order, for ``events()``. Raises
        ``TimeoutError`` when none comes in time.
        """
        with anyio.fail_after(timeout):
            while True:
                for event in self._events:
                    if isinstance(event, model):
                        self._events.remove(event)
                        return event
                await self._next_event()

    async def events(self) -> AsyncIterator[BaseModel]:
        """Every server event, in order, as its declared model (``UndeclaredEvent`` else)."""
        while True:
            while self._events:
                yield self._events.popleft()
            if self._state == "closed":
                return
            await self._next_event()

    def position(self, group: str) -> Position | None:
        """The last position of ``group`` this client has, to pass back as ``since``.

        Broadcasts to a group whose hub keeps a history carry their position
        (``$position``); the client keeps the last one of each group (or one given to
        ``set_position``, such as a join's reply). ``None``: nothing known of ``group``.
        """
        return self._positions.get(group)

    def set_position(self, group: str, position: Position) -> None:
        """Record ``position`` for ``group``, unless a later one of the same epoch is known."""
        known = self._positions.get(group)
        if known is None or known.epoch != position.epoch or known.offset < position.offset:
            self._positions[group] = position

    def on_state(self, listener: StateListener) -> Callable[[], None]:
        """Call ``listener`` (sync or async) with each new state; returns what stops it.

        On ``"open"`` listeners are awaited before the requests that waited for the
        socket go out: re-join groups there, and the server sees it first.
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def on_error(
        self, listener: Callable[[str | None, list[ErrorEntry]], None]
    ) -> Callable[[], None]:
        """Call ``listener(event, errors)`` with each error reply no request waits for.

        ``event`` names the event of a message sent with ``send``, ``None`` when the
        server couldn't tell (a message it couldn't read). Returns what stops it.
        """
        self._errors.append(listener)
        return lambda: self._errors.remove(listener) if listener in self._errors else None

    async def close(self) -> None:
        """Close for good: no reconnect; every waiting request fails with ``ConnectionError``."""
        if self._state == "closed":
            return
        await self._become("closed")
        self._fail(lambda pending: True, "the client is closed")
        # Wake what waits for the socket or an event: each finds the client closed.
        self._opened.set()
        self._event_arrived.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()
            self._socket = None

    async def _next_event(self) -> None:
        self._event_arrived.clear()
        await self._event_arrived.wait()

    async def _transmit(self, pending: _Pending) -> None:
        if self._socket is None or pending.sent:
            return
        pending.sent = True
        try:
            await self._socket.send(pending.text)
        except Exception:
            # The reader sees the same loss and fails what was sent.
            logger.debug("sending %s failed", pending.event, exc_info=True)

    async def _become(self, state: ConnectionState) -> None:
        if state == self._state:
            return
        self._state = state
        for listener in list(self._listeners):
            try:
                result = listener(state)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                logger.exception("a state listener of %s failed", self.endpoint.__qualname__)

    def _fail(self, which: Callable[[_Pending], bool], reason: str) -> None:
        for pending in list(self._pending.values()):
            if which(pending) and not pending.answer.done():
                pending.answer.set_exception(ConnectionError(f"{pending.event}: {reason}"))

    async def _run(self) -> None:
        attempt = 0
        connect = _websockets()
        while True:
            try:
                with anyio.fail_after(self.connect_timeout):
                    socket = await connect(self.url, **self._options)
            except Exception as exc:
                if not self.reconnect:
                    logger.warning("connecting to %s failed: %s", self.url, exc)
                    return await self._end()
                logger.debug("connecting to %s failed", self.url, exc_info=True)
            else:
                opened_at = time.monotonic()
                await self._serve(socket)
                if not self.reconnect:
                    return await self._end()
                if time.monotonic() - opened_at >= self.backoff_max:
                    attempt = 0
            await self._become("reconnecting")
            delay = random.uniform(0, min(self.backoff_max, self.backoff_initial * 2**attempt))
            attempt += 1
            await asyncio.sleep(delay)

    async def _end(self) -> None:
        self._task = None
        await self.close()

    async def _serve(self, socket: Any) -> None:
        """Use ``socket`` until it closes: tell the listeners, flush what waits, read."""
        self._socket = socket
        # Reading starts first: a state listener may wait for a reply (a re-join).
        reader = asyncio.get_running_loop().create_task(self._read(socket))
        try:
            await self._become("open")
            if self._socket is socket:
                self._opened.set()
            await reader
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            with contextlib.suppress(Exception):
                await socket.close()

    async def _read(self, socket: Any) -> None:
        """Read answers and events until ``socket`` closes; then fail what it carried."""
        try:
            async for text in socket:
                if isinstance(text, str):
                    self._receive(text)
        except Exception:
            logger.debug("the connection to %s was lost", self.url, exc_info=True)
        finally:
            self._opened.clear()
            self._socket = None
            if self.reconnect and self._state != "closed":
                await self._become("reconnecting")
            self._fail(lambda pending: pending.sent, "the connection was lost")

    def _receive(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        request_id = message.pop("id", None)
        errors = message.get("errors")
        pending = self._pending.get(request_id) if isinstance(request_id, int) else None
        if pending is not None:
            if not pending.answer.done():
                if isinstance(errors, list):
                    pending.answer.set_exception(RequestError(pending.event, errors))
                else:
                    pending.answer.set_result(message)
        elif isinstance(errors, list):
            event = self._sends.get(request_id) if isinstance(request_id, int) else None
            for listener in list(self._errors):
                listener(event, errors)
        elif request_id is None and isinstance(message.get("type"), str):
            self._push(message)
        # An answer with an id nobody waits for is late, or a reply to send(): dropped.

    def _push(self, message: dict[str, Any]) -> None:
        mark = message.pop(POSITION_KEY, None)
        if isinstance(mark, dict) and isinstance(mark.get("group"), str):
            try:
                self.set_position(mark["group"], Position.model_validate(mark))
            except ValueError:
                logger.warning("a %s that is no position was ignored", POSITION_KEY)
        try:
            event = self._protocol.event(message)
        except Exception:
            logger.warning("a %r event that doesn't fit its model was dropped", message.get("type"))
            return
        if len(self._events) == self._events.maxlen:
            self.dropped_events += 1
            if self.dropped_events == 1:
                logger.warning("server events are not being read: dropping the oldest")
        self._events.append(event)
        self._event_arrived.set()


#: ``connect(url, Chat, **options)``: a ``Client`` of ``Chat`` at ``url``, to use in
#: ``async with`` (the same call; the name reads as what it starts).
connect = Client
