"""The bounded queue a ``RedisGroups`` hub publishes from, and its circuit breaker.

A broadcast must not wait for Redis: a Redis that hangs (stopped, overloaded, behind a
stalled network) would hold every broadcasting handler for the socket timeout, and the
members on this worker would get their lines seconds late. So a broadcast delivers
locally, then ``offer``s its PUBLISH here and returns. One drainer task per event loop
sends what is queued, in order (one broadcaster's messages keep their order), as many
commands in one write as are queued.

What is bounded, and how a caller learns of trouble at once:

- The queue holds at most ``size`` messages, those being published included; ``offer``
  refuses one more. Past half of it, a broadcast waits a moment (``pace``: at most
  ``PACE_WAIT``) for the batch being published, so that a loop of broadcasts faster than
  Redis is slowed to Redis's pace rather than refused.
- The breaker: when a publish fails (an error, or no reply within the hub's timeout),
  every message still queued is dropped (counted in ``lost``, logged once; an
  unexpected exception with its traceback), and ``offer`` refuses everything for
  ``BREAKER_COOLDOWN`` seconds. Then one message is
  let through as a trial, the others refused until it is answered: success closes the
  breaker, failure opens it again for twice as long (at most ``BREAKER_COOLDOWN_MAX``).

A refused offer is the hub's ``BroadcastUnavailable``: the caller (a handler's client,
as ``broadcast_unavailable``) learns at once that other workers missed the message.
A message accepted and then dropped is lost without a word to its broadcaster, as a
Redis pub/sub message is when a subscriber is disconnected: at most ``size`` of them
per failure, counted in ``lost``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Literal

__all__ = ["BREAKER_COOLDOWN", "BREAKER_COOLDOWN_MAX", "DEFAULT_PUBLISH_QUEUE_SIZE", "PublishQueue"]

logger = logging.getLogger("socketsundso")

#: Default most messages a hub's queue holds, per event loop.
DEFAULT_PUBLISH_QUEUE_SIZE = 1024
#: Seconds the breaker stays open after a failed publish, at first.
BREAKER_COOLDOWN = 1.0
#: Longest the breaker stays open, in seconds, after failed trials in a row.
BREAKER_COOLDOWN_MAX = 8.0
#: Most messages one write to Redis carries.
BATCH = 256
#: Longest a broadcast waits, in seconds, for the batch being published once the queue is
#: half full: a broadcaster that outruns a healthy Redis goes at its pace instead of being
#: refused, and a Redis that hangs costs it this much, not the hub's timeout.
PACE_WAIT = 0.05

#: One queued PUBLISH: the channel and the payload.
Item = tuple[bytes, bytes]
#: Publishes a batch of messages, in order; raises if any may not have reached Redis.
Publish = Callable[[list[Item]], Awaitable[None]]


class PublishQueue:
    """A bounded queue of PUBLISH commands, drained by one task, behind a breaker."""

    def __init__(
        self,
        publish: Publish,
        errors: tuple[type[BaseException], ...],
        size: int,
        timeout: float,
        url: str,
    ) -> None:
        self._publish = publish
        self._errors = errors
        self._size = size
        self._timeout = timeout
        self._url = url
        self._queue: deque[Item] = deque()
        #: Messages taken from the queue and being published: they count against ``size``.
        self._in_flight = 0
        self._drainer: asyncio.Task[None] | None = None
        #: Done when the batch being published is answered (or failed); made on demand.
        self._progress: asyncio.Future[None] | None = None
        self._state: Literal["closed", "open", "trial"] = "closed"
        self._open_until = 0.0
        self._cooldown = BREAKER_COOLDOWN
        #: Messages accepted, then dropped because publishing failed.
        self.lost = 0
        self.stopped = False

    @property
    def accepting(self) -> bool:
        """Whether ``offer`` would take a message now (the breaker allows, there is room)."""
        if self._state == "trial" or len(self._queue) + self._in_flight >= self._size:
            return False
        return self._state == "closed" or time.monotonic() >= self._open_until

    def offer(self, channel: bytes, payload: bytes) -> bool:
        """Queue a PUBLISH; ``False`` (nothing queued) when full or the breaker refuses."""
        if self.stopped or not self.accepting:
            return False
        if self._state == "open":  # the cooldown is over: this message is the trial
            self._state = "trial"
        self._queue.append((channel, payload))
        if self._drainer is None:
            self._drainer = asyncio.get_running_loop().create_task(
                self._drain(), name="socketsundso redis publisher"
            )
        return True

    async def pace(self) -> None:
        """Let the drainer run: yield to the event loop, and once the queue is half full,
        wait (``PACE_WAIT`` seconds at most) for the batch being published."""
        if self._drainer is None or len(self._queue) + self._in_flight < self._size // 2:
            await asyncio.sleep(0)
            return
        if self._progress is None:
            self._progress = asyncio.get_running_loop().create_future()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._progress), PACE_WAIT)

    def stop(self) -> None:
        """Stop publishing, for good: drop what is queued and end the drainer."""
        self.stopped = True
        self._queue.clear()
        if self._drainer is not None:
            self._drainer.cancel()

    async def _drain(self) -> None:
        """Publish what is queued, a batch per write, until the queue is empty."""
        queue = self._queue
        try:
            while queue:
                batch = [queue.popleft() for _ in range(min(BATCH, len(queue)))]
                self._in_flight = len(batch)
                try:
                    await asyncio.wait_for(self._publish(batch), self._timeout)
                except Exception as exc:
                    self._failed(exc)
                else:
                    self._succeeded()
                finally:
                    self._in_flight = 0
                    self._progressed()
        finally:
            self._drainer = None
            self._progressed()

    def _progressed(self) -> None:
        """Wake the broadcasts waiting in ``pace``."""
        progress, self._progress = self._progress, None
        if progress is not None and not progress.done():
            progress.set_result(None)

    def _failed(self, exc: Exception) -> None:
        dropped = self._in_flight + len(self._queue)
        self._queue.clear()
        self.lost += dropped
        if self._state == "closed":
            logger.warning(
                "RedisGroups: publishing to Redis at %s failed (%s); %d broadcasts did not "
                "reach other workers, and broadcasts get BroadcastUnavailable at once until "
                "Redis answers again (tried again after %g s)",
                self._url,
                str(exc) or type(exc).__name__,
                dropped,
                self._cooldown,
                exc_info=not isinstance(exc, self._errors),
            )
        else:
            self._cooldown = min(self._cooldown * 2, BREAKER_COOLDOWN_MAX)
        self._state = "open"
        self._open_until = time.monotonic() + self._cooldown

    def _succeeded(self) -> None:
        if self._state != "closed":
            logger.info("RedisGroups: publishing to Redis at %s works again", self._url)
        self._state = "closed"
        self._cooldown = BREAKER_COOLDOWN
