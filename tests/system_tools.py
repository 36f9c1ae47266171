"""Tests that need a system tool (Chromium, redis-server, Node): skip without it, or fail in CI.

``scripts/test`` installs the tools with ``apt-get``; a developer who runs it with
``SOCKETSUNDSO_NO_SYSTEM_TOOLS=1`` gets those tests skipped, each with its reason. CI
(``.ci/run``) sets ``SOCKETSUNDSO_REQUIRE_SYSTEM_TOOLS=1``: there a missing tool fails
the test instead, so a broken install can't pass as a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

__all__ = ["REQUIRED", "missing_tool", "npm_project"]

#: Seconds ``npm ci`` may take (a cold cache downloads every package).
NPM_TIMEOUT = 300

#: Whether a missing system tool fails the tests that need it (CI) instead of skipping them.
REQUIRED = os.environ.get("SOCKETSUNDSO_REQUIRE_SYSTEM_TOOLS") == "1"


def missing_tool(reason: str) -> None:
    """Skip the running test because a system tool is missing; fail instead where required."""
    if REQUIRED:
        pytest.fail(f"{reason} (SOCKETSUNDSO_REQUIRE_SYSTEM_TOOLS=1: required here)")
    pytest.skip(reason)


def _installed(project: Path) -> bool:
    """Whether ``project/node_modules`` holds exactly what its ``package-lock.json`` pins."""
    hidden = project / "node_modules" / ".package-lock.json"
    if not hidden.is_file():
        return False
    locked: dict[str, Any] = json.loads((project / "package-lock.json").read_text())["packages"]
    present: dict[str, Any] = json.loads(hidden.read_text())["packages"]
    return {key: value for key, value in locked.items() if key} == present


def npm_project(project: Path, purpose: str) -> Path:
    """``project`` (a folder of ``tools/``) with its pinned npm packages installed (``npm ci``).

    Skips when ``node`` or ``npm`` is absent (fails where CI requires them), saying
    ``purpose``; fails, never skips, when they are present and the install fails.
    """
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        missing_tool(f"{' and '.join(missing)} absent: {purpose} needs Node")
    if not _installed(project):
        subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=project,
            check=True,
            timeout=NPM_TIMEOUT,
            capture_output=True,
        )
    return project
