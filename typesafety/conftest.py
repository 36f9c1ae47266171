"""Typesafety suite setup.

- Plugin exceptions propagate (``SOCKETSUNDSO_MYPY_DEBUG``): a plugin traceback fails the case.
- ``--mypy-testing-base`` is made absolute (relative to the rootdir) and created: the cases
  run in temporary directories under it, and a relative shared cache dir would be
  resolved inside each of them, so every case would run cold.
- Modules that must not be imported afresh for each case are imported here, once:
  ``--mypy-same-process`` drops what a case imported, and mypy's native parser (a Rust
  extension) cannot be initialised twice in one process, nor ``pydantic.mypy`` reloaded cheaply;
  hypothesis's pytest plugin imports ``hypothesis`` at the end and must find it whole.
- The interpreter's ``bin`` directory goes first on ``PATH``: pytest-mypy-plugins needs a
  ``mypy`` executable even in same-process mode.
- ``static/`` holds plain sources that ``tests/ecosystem/test_static_checkers.py`` runs
  three checkers over, not tests: pytest collects nothing there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import hypothesis  # noqa: F401
import mypy.nativeparse  # noqa: F401
import pydantic.mypy  # noqa: F401
import pytest

from mypy_plugin.guard import DEBUG_VARIABLE

collect_ignore = ["static"]

os.environ.setdefault(DEBUG_VARIABLE, "1")
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])


def pytest_configure(config: pytest.Config) -> None:
    """Anchor the testing base (and so the shared mypy cache) at the project root."""
    base = Path(config.option.mypy_testing_base)
    if not base.is_absolute():
        base = config.rootpath / base
        config.option.mypy_testing_base = str(base)
    base.mkdir(parents=True, exist_ok=True)
