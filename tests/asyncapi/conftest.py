"""Fixtures of the AsyncAPI tests: the official validator, installed from npm once per session."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.system_tools import npm_project

#: The Node project holding ``@asyncapi/parser`` and ``validate.mjs``.
CHECKER = Path(__file__).resolve().parents[2] / "tools" / "asyncapi-check"
#: Seconds one run of the validator may take.
VALIDATE_TIMEOUT = 120


@pytest.fixture(scope="session")
def asyncapi_checker() -> Path:
    """``tools/asyncapi-check`` with its npm dependencies installed (``npm ci``, once).

    Skips when ``node`` or ``npm`` is absent (fails where CI requires them); fails,
    never skips, when they are present and the install fails.
    """
    return npm_project(CHECKER, "the official AsyncAPI parser")


Validate = Callable[..., dict[str, list[str]]]


@pytest.fixture(scope="session")
def validate(asyncapi_checker: Path, tmp_path_factory: pytest.TempPathFactory) -> Validate:
    """Run ``validate.mjs`` on documents (by name, as keyword arguments) in one Node process.

    Returns each document's output lines, the last one its verdict. The process's
    exit status must agree with the verdicts.
    """
    directory = tmp_path_factory.mktemp("asyncapi")

    def run(**documents: dict[str, Any]) -> dict[str, list[str]]:
        files = {}
        for name, document in documents.items():
            files[name] = directory / f"{name}.json"
            files[name].write_text(json.dumps(document))
        result = subprocess.run(
            ["node", "validate.mjs", *map(str, files.values())],
            cwd=asyncapi_checker,
            capture_output=True,
            text=True,
            timeout=VALIDATE_TIMEOUT,
            check=False,
        )
        assert result.returncode in (0, 1), result.stderr
        lines = {
            name: [
                line.removeprefix(f"{file}: ")
                for line in result.stdout.splitlines()
                if line.startswith(f"{file}: ")
            ]
            for name, file in files.items()
        }
        invalid = any(output[-1] != "valid AsyncAPI 3.0.0 document" for output in lines.values())
        assert result.returncode == int(invalid), result.stdout
        return lines

    return run


@pytest.fixture
def web_component_assets(asyncapi_checker: Path, tmp_path: Path) -> Path:
    """A directory with the web component's bundle and stylesheet, copied from npm's install."""
    modules = asyncapi_checker / "node_modules" / "@asyncapi"
    shutil.copy(modules / "web-component" / "lib" / "asyncapi-web-component.js", tmp_path)
    shutil.copy(modules / "react-component" / "styles" / "default.min.css", tmp_path)
    return tmp_path
