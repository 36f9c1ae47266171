"""A failing plugin callback is reported as an error on the code, never a mypy crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api
from mypy.plugin import ClassDefContext, FunctionContext
from mypy.types import Type

from mypy_plugin.guard import DEBUG_VARIABLE
from mypy_plugin.transformers import endpoints, handlers

from .support import Project

BUG = "a plugin bug"


def fail_class(ctx: ClassDefContext) -> None:
    raise RuntimeError(BUG)


def fail_decorator(ctx: FunctionContext) -> Type:
    raise RuntimeError(BUG)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project checked with failing callbacks and the debug switch off."""
    monkeypatch.delenv(DEBUG_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(endpoints, "transform_endpoint", fail_class)
    monkeypatch.setattr(handlers, "check_bare_decorator", fail_decorator)
    return Project(tmp_path)


def test_failures_become_internal_errors_and_mypy_goes_on(project: Project) -> None:
    lines = project.check()
    internal = [line for line in lines if line.endswith("[socketsundso-internal]")]
    assert internal == [
        f"base.py:4: error: The socketsundso mypy plugin failed here (RuntimeError: {BUG}); "
        "please report this  [socketsundso-internal]",
        f"base.py:5: error: The socketsundso mypy plugin failed here (RuntimeError: {BUG}); "
        "please report this  [socketsundso-internal]",
        f"chat.py:5: error: The socketsundso mypy plugin failed here (RuntimeError: {BUG}); "
        "please report this  [socketsundso-internal]",
        # ``on_event("say")``: the call, before its result decorates ``speak``.
        f"chat.py:6: error: The socketsundso mypy plugin failed here (RuntimeError: {BUG}); "
        "please report this  [socketsundso-internal]",
    ]
    # Without the plugin's types, mypy falls back to the runtime's annotations.
    assert 'use.py:5: note: Revealed type is "dict[str, socketsundso.handler.Handler]"' in lines


def test_the_debug_switch_lets_the_exception_through(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DEBUG_VARIABLE, "1")
    _, _, status = api.run([*project.options, *project.files])
    assert status == 2
    captured = capsys.readouterr()
    assert "INTERNAL ERROR" in captured.err
    assert f"RuntimeError: {BUG}" in captured.out
