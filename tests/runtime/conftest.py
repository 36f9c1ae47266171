"""A watchdog for the runtime tests: a test that hangs ends the run instead of blocking it.

TestClient's ``receive`` has no timeout. The tests are written so that a reply is
always due, but a runtime bug could still leave one waiting forever; then the
process exits (status 1) instead of hanging the run. pytest's own
``faulthandler_timeout`` + ``faulthandler_exit_on_timeout`` ini options would do the
same for every package, with the traceback shown: once they are set, drop this.
"""

from __future__ import annotations

import faulthandler
from collections.abc import Iterator

import pytest

#: Seconds a single test may run before the watchdog ends the process.
HANG_LIMIT = 120.0


@pytest.fixture(autouse=True)
def watchdog() -> Iterator[None]:
    """Arm ``faulthandler``'s timer for the test, disarm it after."""
    faulthandler.dump_traceback_later(HANG_LIMIT, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
