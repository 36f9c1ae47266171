"""Tests that need a system tool (Chromium, redis-server, Node): skip without it, or fail in CI.

``scripts/test`` installs the tools with ``apt-get``; a developer who runs it with
``SOCKETSUNDSO_NO_SYSTEM_TOOLS=1`` gets those tests skipped, each with its reason. CI
(``.ci/run``) sets ``SOCKETSUNDSO_REQUIRE_SYSTEM_TOOLS=1``: there a missing tool fails
the test instead, so a broken install can't pass as a skip.
"""

from __future__ import annotations

import os

import pytest

__all__ = ["REQUIRED", "missing_tool"]

#: Whether a missing system tool fails the tests that need it (CI) instead of skipping them.
REQUIRED = os.environ.get("SOCKETSUNDSO_REQUIRE_SYSTEM_TOOLS") == "1"


def missing_tool(reason: str) -> None:
    """Skip the running test because a system tool is missing; fail instead where required."""
    if REQUIRED:
        pytest.fail(f"{reason} (SOCKETSUNDSO_REQUIRE_SYSTEM_TOOLS=1: required here)")
    pytest.skip(reason)
