"""The outgoing path of a connection: one bounded queue, one writer, and a send timeout.

Everything an endpoint sends goes through its connection's ``Outbox``:

- A send from the connection's own code (a reply, ``send_json``, ``emit``) goes straight
  to the socket while nothing is queued, which is the common case and costs two counter
  increments: the endpoint's ``send_json`` does it inline (see ``Outbox`` for the
  protocol). While a writer is busy it waits its turn in the queue (``send_in_turn``),
  so replies and broadcasts reach the client in the order they were made.
- A broadcast (``deliver``) never waits: it appends the serialized message to the
  queue and, if no writer runs, starts one. The writer sends everything queued and
  then ends; a connection nobody broadcasts to never has a writer task.
- The queue holds at most ``send_queue_size`` broadcast messages. When a broadcast
  finds it full, the connection is closed with 1013 (``"close"``, the default policy)
  or its oldest queued message is dropped (``"drop_oldest"``). Either is logged once
  per connection and counted in the class's ``OutgoingCounters``.
- A connection whose socket accepts nothing for ``send_timeout`` seconds is given up
  (1013): one watchdog task per event loop samples each connection's send counters, so
  no send pays for a timer.

Sends (and joins) also yield to the event loop every ``YIELD_EVERY`` messages: a socket
that is always ready to write never makes an ``await`` suspend, and a handler streaming
thousands of messages would otherwise keep every other connection waiting.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import weakref
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeAlias

from starlette import status
from starlette.types import Message, Send
from starlette.websockets import WebSocketDisconnect

from .groups import Groups

__all__ = [
    "DEFAULT_SEND_QUEUE_POLICY",
    "DEFAULT_SEND_QUEUE_SIZE",
    "DEFAULT_SEND_TIMEOUT",
    "YIELD_EVERY",
    "Outbox",
    "OutgoingCounters",
    "SendQueuePolicy",
    "check_send_settings",
]

logger = logging.getLogger("socketsundso")

SendQueuePolicy: TypeAlias = Literal["close", "drop_oldest"]
"""What a broadcast does to a connection whose queue is full: close it (1013) or drop its
oldest queued message."""

DEFAULT_SEND_QUEUE_SIZE = 1024
"""Default ``send_queue_size``: messages queued for one connection before its policy acts."""
DEFAULT_SEND_QUEUE_POLICY: SendQueuePolicy = "close"
"""Default ``send_queue_policy``: a client that can't keep up is told to come back later."""
DEFAULT_SEND_TIMEOUT = 5.0
"""Default ``send_timeout``: seconds a socket may accept nothing before it is given up."""
YIELD_EVERY = 128
"""Sends (or joins) in a row after which a connection yields to the event loop once."""

#: The close code of a connection given up on: 1013 Try Again Later.
SLOW_CONSUMER_CLOSE = status.WS_1013_TRY_AGAIN_LATER

_POLICIES = ("close", "drop_oldest")


@dataclass(slots=True)
class OutgoingCounters:
    """What slow clients cost one endpoint class in this process, since it started.

    Read them as ``Endpoint.outgoing_counters`` (each class, a subclass too, has its
    own): ``dropped`` messages (``drop_oldest``), connections closed for a full queue
    (``closed_queue_full``) or a socket that accepted nothing for ``send_timeout``
    (``closed_send_timeout``), and the longest queue any connection had
    (``peak_queue_length``), which tells how close healthy clients come to the limit.
    """

    dropped: int = 0
    closed_queue_full: int = 0
    closed_send_timeout: int = 0
    peak_queue_length: int = 0


def check_send_settings(class_name: str, size: object, policy: object, timeout: object) -> None:
    """Refuse outgoing-queue settings that can't work, with a ``TypeError`` naming them."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise TypeError(f"{class_name}.send_queue_size must be a positive int, not {size!r}")
    if policy not in _POLICIES:
        raise TypeError(
            f"{class_name}.send_queue_policy must be 'close' or 'drop_oldest', not {policy!r}"
        )
    if (
        not isinstance(timeout, (int, float))
        or isinstance(timeout, bool)
        or not 0 < timeout < math.inf
    ):
        raise TypeError(
            f"{class_name}.send_timeout must be a positive number of seconds, not {timeout!r}"
        )


class OutgoingSettings(Protocol):
    """What an outbox reads off its endpoint class (only when a queue or a timeout acts)."""

    __qualname__: str
    groups: Groups
    send_queue_size: int
    send_queue_policy: SendQueuePolicy
    send_timeout: float
    outgoing_counters: OutgoingCounters


#: One queued item: a broadcast's text, or a send of the connection's own that waits
#: its turn (its text and the future that wakes the sender once it went out).
_Item: TypeAlias = "str | tuple[str, asyncio.Future[None]]"


class Outbox:
    """One connection's outgoing path (see the module's docstring); the ``Member`` hubs see.

    A send of the connection's own may go straight to the socket when ``free`` (no
    writer, no other send under way): it sets ``free`` false, awaits ``asgi_send``
    (which raises ``WebSocketDisconnect`` once the outbox has ended), then (also if the
    send raised) sets ``free`` and ``progress`` true; it calls ``write_queued()`` if
    ``queue`` is non-empty, and ``step()`` (inline: while ``sends_left`` is over 1, it
    may just decrement it). Otherwise it awaits ``send_in_turn``. No counter that grows:
    these stores allocate nothing.

    ``end_code`` is ``None`` while the connection may send; once set (by ``close`` when
    the connection ends, or by a slow client's ``give_up``), deliveries are ignored and
    sends raise ``WebSocketDisconnect``.
    """

    __slots__ = (
        "_cancelled_run",
        "_loop",
        "_send",
        "_watchdog",
        "asgi_send",
        "dropped",
        "end_code",
        "end_reason",
        "free",
        "gave_up",
        "groups",
        "progress",
        "queue",
        "running",
        "sends_left",
        "settings",
        "stuck_for",
        "task",
        "writer",
    )

    def __init__(self, send: Send, settings: OutgoingSettings) -> None:
        self._send = send
        #: The connection's ASGI ``send`` for direct sends; one that refuses, once ended.
        self.asgi_send = send
        #: The endpoint class: its ``send_queue_*`` settings, hub and counters.
        self.settings = settings
        self._watchdog: _Watchdog | None = None
        #: The event loop the connection runs in, and its task (known once watched).
        self._loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[Any] | None = None
        #: The task runs the connection's code (``on_connect``, the message loop): while
        #: it does, a give-up cancels it.
        self.running = False
        self._cancelled_run = False
        self.queue: deque[_Item] | None = None
        self.writer: asyncio.Task[None] | None = None
        #: Nothing is being sent, no writer runs, the connection is open: a send of the
        #: connection's own may go straight to the socket.
        self.free = True
        #: A send finished since the watchdog last looked (it resets this).
        self.progress = False
        #: Watchdog samples in a row that found a send under way and no progress.
        self.stuck_for = 0
        #: Sends left before this connection yields to the event loop.
        self.sends_left = YIELD_EVERY
        self.dropped = 0
        #: The groups this connection is a member of (``None`` until it joins one).
        self.groups: set[str] | None = None
        self.end_code: int | None = None
        self.end_reason = ""
        #: The connection was given up on as a slow client (closed with 1013).
        self.gave_up = False

    # -- sends of the connection's own -------------------------------------------------

    async def send_in_turn(self, text: str) -> None:
        """Send ``text`` after everything queued before it; return once it went out."""
        if self.end_code is not None:
            raise WebSocketDisconnect(self.end_code, self.end_reason)
        sent: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.queue is None:
            self.queue = deque()
        self.queue.append((text, sent))
        if self.free:
            self.write_queued()
        await sent

    async def step(self) -> None:
        """Count one step (a send, a join); every ``YIELD_EVERY`` steps, yield to the event loop.

        A socket that is always ready to write never makes an ``await`` suspend, nor does
        joining a group of this process: a handler streaming thousands of messages or
        joining hundreds of groups would keep every other task waiting.
        """
        self.sends_left -= 1
        if self.sends_left <= 0:
            self.sends_left = YIELD_EVERY
            await asyncio.sleep(0)

    # -- broadcasts ----------------------------------------------------------------------

    def deliver(self, text: str) -> None:
        """Queue a broadcast's ``text``; never blocks (a full queue applies the policy).

        From another event loop's thread (a hub shared by apps on several loops, as
        test clients make them), the text is handed to the connection's own loop.
        """
        if self.end_code is not None:
            return
        loop = self._loop
        if loop is not None and loop is not asyncio.get_running_loop():
            loop.call_soon_threadsafe(self.deliver, text)
            return
        queue = self.queue
        if queue is None:
            queue = self.queue = deque()
        elif len(queue) >= self.settings.send_queue_size:
            if self.settings.send_queue_policy == "close":
                self.settings.outgoing_counters.closed_queue_full += 1
                self.give_up(
                    "send queue full",
                    "its send queue reached "
                    f"send_queue_size={self.settings.send_queue_size} messages",
                )
                return
            self._drop_oldest(queue)
        queue.append(text)
        counters = self.settings.outgoing_counters
        counters.peak_queue_length = max(counters.peak_queue_length, len(queue))
        if self.free:
            self.write_queued()

    def _drop_oldest(self, queue: deque[_Item]) -> None:
        _settle(queue.popleft())  # a sender waiting on it goes on: its message was dropped
        self.dropped += 1
        self.settings.outgoing_counters.dropped += 1
        if self.dropped == 1:
            logger.warning(
                "%s: a client reads too slowly; its oldest queued message was dropped "
                "(send_queue_size=%d); further drops of this connection are counted in "
                "outgoing_counters, not logged",
                self.settings.__qualname__,
                self.settings.send_queue_size,
            )

    def write_queued(self) -> None:
        """Start the writer, which sends what is queued (none may run, nor a direct send).

        The writer starts at once, in the caller (a broadcaster): a socket that takes the
        messages without making the writer wait costs no task. Only a writer that must
        wait (a client reading slower than we send) goes on in a task of its own, so a
        broadcast to 10,000 healthy members creates no task, and the broadcaster still
        never waits for a member's socket.
        """
        if self.end_code is not None:
            return
        self.free = False
        writing = self._write()
        try:
            awaited = writing.send(None)
        except StopIteration:  # all sent without waiting (its finally made us free again)
            return
        self.writer = asyncio.get_running_loop().create_task(_resumed(writing, awaited))

    async def _write(self) -> None:
        """Send everything queued, in order, then end (the next delivery starts another)."""
        queue = self.queue
        send = self._send
        try:
            while queue:
                item = queue.popleft()
                text = item if isinstance(item, str) else item[0]
                await send({"type": "websocket.send", "text": text})
                self.progress = True
                _settle(item)
                await self.step()
        except Exception as exc:  # the socket failed: the connection's receive will tell
            self._fail_waiting(exc)
            self.end_code = status.WS_1006_ABNORMAL_CLOSURE
            logger.debug(
                "%s: sending a queued message failed", self.settings.__qualname__, exc_info=True
            )
        finally:
            self.writer = None
            self.free = self.end_code is None

    def _fail_waiting(self, exc: BaseException) -> None:
        """Wake the senders waiting in the queue with ``exc``; empty it."""
        queue, self.queue = self.queue, None
        for item in queue or ():
            _settle(item, exc)

    # -- the end --------------------------------------------------------------------------

    def give_up(self, reason: str, why: str) -> None:
        """End a connection whose client doesn't keep up: stop writing, leave its groups,
        and have its task cancelled, soon, if it still runs the connection's code (the
        endpoint then closes with 1013)."""
        if self.end_code is not None:
            return
        logger.warning(
            "%s: closing a connection with 1013 because %s", self.settings.__qualname__, why
        )
        self.end_code = SLOW_CONSUMER_CLOSE
        self.end_reason = reason
        self.gave_up = True
        self._stop()
        # Soon, not now: the connection's own handler may be the broadcaster that found
        # its queue full, and a task can only be cancelled where it waits.
        asyncio.get_running_loop().call_soon(self._cancel_run)

    def _cancel_run(self) -> None:
        task = self.task
        if self.running and task is not None and not task.done():
            self._cancelled_run = True
            task.cancel()

    def cancelled_run(self) -> bool:
        """Whether the cancellation the connection's task is handling is a give-up's only.

        If so, the cancellation is taken back (the task goes on to close the connection).
        """
        task = self.task
        if not self._cancelled_run or task is None:
            return False
        self._cancelled_run = False
        # Python 3.10 can't tell another cancellation from ours: the connection ends anyway.
        uncancel: Callable[[], int] | None = getattr(task, "uncancel", None)
        return uncancel is None or uncancel() == 0

    def close(self, code: int) -> None:
        """The connection ended with ``code``: stop writing and leave every group now."""
        if self.end_code is None:
            self.end_code = code
        self.task = None
        self._stop()

    def _stop(self) -> None:
        self.free = False
        self.asgi_send = functools.partial(
            _refuse, self.end_code or status.WS_1006_ABNORMAL_CLOSURE, self.end_reason
        )
        watchdog = self._watchdog
        if watchdog is not None:
            watchdog.outboxes.discard(self)
            self._watchdog = None
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None
        if self.queue is not None:
            self._fail_waiting(WebSocketDisconnect(self.end_code or 1006, self.end_reason))
        if self.groups:
            groups, self.groups = self.groups, None
            self.settings.groups.leave_all(groups, self)

    # -- the watchdog's sampling ------------------------------------------------------------

    def check(self, interval: float) -> None:
        """Called by the watchdog every ``interval`` seconds: give up a send stuck too long."""
        if self.free or self.progress:
            self.progress = False
            self.stuck_for = 0
            return
        # The stuck send may have begun just after the previous sample: the first sample
        # that finds it proves nothing, each later one proves ``interval`` more.
        self.stuck_for += 1
        timeout = self.settings.send_timeout
        if (self.stuck_for - 1) * interval >= timeout:
            self.settings.outgoing_counters.closed_send_timeout += 1
            self.give_up(
                "send timeout",
                f"its socket accepted nothing for send_timeout={timeout:g} seconds",
            )

    def watch(self) -> None:
        """Called by the connection's task: have the loop's watchdog sample this outbox
        until it is closed, and know the task (a give-up cancels it)."""
        global _last_watchdog  # noqa: PLW0603 (a one-entry cache of _watchdogs)
        loop = asyncio.get_running_loop()
        watchdog = _last_watchdog
        if watchdog is None or watchdog.loop is not loop:
            watchdog = _watchdogs.get(loop)
            if watchdog is None:
                watchdog = _watchdogs[loop] = _Watchdog(loop)
            _last_watchdog = watchdog
        watchdog.outboxes.add(self)
        if self.settings.send_timeout != watchdog.timeout or watchdog.task is None:
            watchdog.watch(self)
        self._watchdog = watchdog
        self._loop = loop
        self.task = asyncio.current_task(loop)


def _settle(item: _Item, exception: BaseException | None = None) -> None:
    """Wake the sender waiting on ``item`` (a send of a connection's own), if any."""
    if isinstance(item, str):
        return
    sent = item[1]
    if sent.done():
        return
    if exception is None:
        sent.set_result(None)
    else:
        sent.set_exception(exception)


async def _refuse(code: int, reason: str, message: Message) -> None:
    """The ``asgi_send`` of an ended outbox: nothing more goes to its socket."""
    raise WebSocketDisconnect(code, reason)


async def _resumed(coroutine: Coroutine[Any, Any, None], awaited: Any) -> None:
    """Run the rest of ``coroutine``, started by hand, whose first wait was on ``awaited``."""
    await _Resume(coroutine, awaited)


class _Resume:
    """Awaitable that hands ``awaited`` to the task, then drives ``coroutine`` on."""

    __slots__ = ("awaited", "coroutine")

    def __init__(self, coroutine: Coroutine[Any, Any, None], awaited: Any) -> None:
        self.coroutine = coroutine
        self.awaited = awaited

    def __await__(self) -> Generator[Any, Any, None]:
        coroutine, awaited = self.coroutine, self.awaited
        while True:
            try:
                sent = yield awaited  # the task waits on what the coroutine waits on
            except BaseException as exc:  # a cancellation (or close): the coroutine's to handle
                try:
                    awaited = coroutine.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    awaited = coroutine.send(sent)
                except StopIteration:
                    return


class _Watchdog:
    """One task per event loop that samples the send counters of every open connection."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.outboxes: set[Outbox] = set()
        self.interval = math.inf
        #: The ``send_timeout`` of the last outbox watched (most loops see one value).
        self.timeout = math.nan
        self.task: asyncio.Task[None] | None = None

    def watch(self, outbox: Outbox) -> None:
        """Sample often enough for ``outbox``'s ``send_timeout``; run if not running."""
        self.timeout = outbox.settings.send_timeout
        # Sampling four times per timeout gives a send up between 1 and 1.25 times it.
        self.interval = min(self.interval, max(self.timeout / 4, 0.01))
        if self.task is None:
            self.task = self.loop.create_task(self._run(), name="socketsundso send watchdog")

    async def _run(self) -> None:
        try:
            # Sleep first: a loop whose connections come and go (each one short) keeps
            # one watchdog instead of starting one per connection.
            while True:
                await asyncio.sleep(self.interval)
                if not self.outboxes:
                    break
                for outbox in tuple(self.outboxes):
                    outbox.check(self.interval)
        finally:
            self.task = None


_watchdogs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Watchdog] = (
    weakref.WeakKeyDictionary()
)
#: The watchdog of the loop that last asked (most processes have one loop).
_last_watchdog: _Watchdog | None = None
