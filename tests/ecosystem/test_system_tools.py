"""A test needing a missing system tool skips on a developer's machine and fails in CI."""

from __future__ import annotations

import pytest

from tests import system_tools


def test_a_missing_tool_skips_with_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system_tools, "REQUIRED", False)
    with pytest.raises(pytest.skip.Exception, match="chromium is absent"):
        system_tools.missing_tool("chromium is absent")


def test_a_missing_tool_fails_where_ci_requires_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system_tools, "REQUIRED", True)
    with pytest.raises(pytest.fail.Exception, match=r"node absent.*required here"):
        system_tools.missing_tool("node absent")
