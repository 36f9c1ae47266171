"""Per-connection limits: the rate limit's settings and the token bucket that enforces them."""

from __future__ import annotations

import dataclasses
import math
import time

__all__ = ["RateLimit", "TokenBucket"]


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """How many messages a connection may send: ``per_second`` on average, ``burst`` at once.

    A message over the limit is answered with a ``rate_limited`` error and not
    processed; more than ``max_violations`` limited messages in a row close the
    connection with 1008 (policy violation). ``burst`` defaults to ``per_second``
    rounded up.
    """

    per_second: float
    burst: int = 0
    max_violations: int = 20

    def __post_init__(self) -> None:
        if not (self.per_second > 0 and math.isfinite(self.per_second)):
            raise ValueError(
                f"RateLimit.per_second must be a positive number, not {self.per_second!r}"
            )
        if self.burst == 0:
            object.__setattr__(self, "burst", max(1, math.ceil(self.per_second)))
        if self.burst < 1:
            raise ValueError(f"RateLimit.burst must be at least 1, not {self.burst!r}")
        if self.max_violations < 0:
            raise ValueError(
                f"RateLimit.max_violations must be 0 or more, not {self.max_violations!r}"
            )


class TokenBucket:
    """One connection's budget under a ``RateLimit``: ``take()`` spends a token if there is one.

    The bucket refills only while the connection waits for its next message
    (``waiting()`` marks when that began), not while the server handles one: a client
    whose messages queue up while an earlier one is handled is charged for them as
    they arrived, so making the server busy earns it no tokens.
    """

    __slots__ = ("_tokens", "_waiting_since", "limit", "violations")

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._tokens = float(limit.burst)
        self._waiting_since = time.monotonic()
        #: Messages refused in a row; reset by the next message that gets through.
        self.violations = 0

    def waiting(self) -> None:
        """Note that the connection starts waiting for its next message now."""
        self._waiting_since = time.monotonic()

    def take(self) -> bool:
        """Spend one token: ``True`` if the message may be processed, ``False`` if limited."""
        limit = self.limit
        waited = time.monotonic() - self._waiting_since
        self._tokens = min(float(limit.burst), self._tokens + waited * limit.per_second)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            self.violations = 0
            return True
        self.violations += 1
        return False

    @property
    def abusive(self) -> bool:
        """Whether more than ``max_violations`` messages in a row went over the limit."""
        return self.violations > self.limit.max_violations
