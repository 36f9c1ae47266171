"""Sync handlers in worker threads: a capacity of their own, and a wait that can be abandoned.

Starlette's ``run_in_threadpool`` shares one limiter of 40 threads with every sync route,
``FileResponse`` and sync dependency of the application, and waits for the thread even
when the task is cancelled. Here each endpoint class gets its own limiter
(``sync_handler_threads``), and a cancelled task (``handler_timeout``, the client gone, a
shutdown) stops waiting at once: the thread runs to its end in the background, its result
discarded, still holding its token, so no more threads than the limit ever run at once.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.lowlevel import RunVar

__all__ = ["limiter_for", "run_sync_bounded"]

T = TypeVar("T")

#: The worker-pool limiter the abandoned-aware calls pass to anyio: ours does the bounding.
_UNBOUNDED: RunVar[anyio.CapacityLimiter] = RunVar("socketsundso unbounded limiter")
#: Each endpoint class's limiter, per event loop run.
_LIMITERS: RunVar[dict[type, anyio.CapacityLimiter]] = RunVar("socketsundso sync limiters")


def limiter_for(owner: type, threads: int) -> anyio.CapacityLimiter:
    """The limiter of ``owner``'s sync handlers in the running event loop (made on first use)."""
    limiters = _LIMITERS.get(None)
    if limiters is None:
        limiters = {}
        _LIMITERS.set(limiters)
    limiter = limiters.get(owner)
    if limiter is None:
        limiter = limiters[owner] = anyio.CapacityLimiter(threads)
    return limiter


def _unbounded() -> anyio.CapacityLimiter:
    limiter = _UNBOUNDED.get(None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(math.inf)
        _UNBOUNDED.set(limiter)
    return limiter


async def run_sync_bounded(limiter: anyio.CapacityLimiter, func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` in a worker thread, holding one of ``limiter``'s tokens until it returns.

    If the calling task is cancelled, it stops waiting at once; the token is released
    when the thread finishes (or at once, if the thread never started).
    """
    token = object()
    await limiter.acquire_on_behalf_of(token)
    state = _Claim()

    def release() -> None:
        limiter.release_on_behalf_of(token)

    def run() -> T:
        if not state.claim("running"):
            raise anyio.get_cancelled_exc_class()  # abandoned before it started
        try:
            return func(*args)
        finally:
            # RuntimeError: the event loop is gone, and nobody waits for the token.
            with contextlib.suppress(RuntimeError):
                anyio.from_thread.run_sync(release)

    try:
        return await anyio.to_thread.run_sync(run, limiter=_unbounded(), abandon_on_cancel=True)
    finally:
        if state.claim("abandoned"):  # the thread never started: give the token back here
            release()


class _Claim:
    """Who owns the token's release: the thread that started, or the task that gave up."""

    __slots__ = ("_lock", "owner")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.owner: str | None = None

    def claim(self, owner: str) -> bool:
        """Become the owner if nobody is yet; say whether this call did."""
        with self._lock:
            if self.owner is None:
                self.owner = owner
                return True
            return False
