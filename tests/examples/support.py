"""Helpers for the example tests: blocking calls with a deadline, so no test hangs."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TypeVar, cast

__all__ = ["call_with_timeout"]

T = TypeVar("T")


def call_with_timeout(function: Callable[[], T], timeout: float, what: str) -> T:
    """``function()``'s result or exception; fails the test if it takes over ``timeout`` s.

    For blocking calls without a timeout of their own (a TestClient session's
    ``receive_json``, a README sample): ``function`` runs in a daemon thread, and a
    thread left waiting ends with whatever it waits on.
    """
    results: queue.Queue[tuple[T | None, BaseException | None]] = queue.Queue()

    def run() -> None:
        try:
            results.put((function(), None))
        except BaseException as exc:  # handed to the calling thread, raised there
            results.put((None, exc))

    threading.Thread(target=run, name=what, daemon=True).start()
    try:
        result, error = results.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"{what}: nothing within {timeout} s") from None
    if error is not None:
        raise error
    return cast(T, result)
