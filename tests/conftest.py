"""Fixtures shared by every test package."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import settings

from tests.hardening.figures import WRITTEN

# The suite is deterministic: CI runs the same examples every time. Explore with
# HYPOTHESIS_PROFILE=explore (or the long profiles in bench/).
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


@pytest.fixture
def anyio_backend() -> str:
    """Run ``@pytest.mark.anyio`` tests on asyncio only (uvicorn and websockets need it)."""
    return "asyncio"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures the load and fuzz tests measured, so CI logs carry them."""
    for name, figures in WRITTEN.items():
        terminalreporter.write_sep("-", f"figures: {name}")
        terminalreporter.write_line(json.dumps(figures, sort_keys=True))
