"""Fixtures of the generated-client tests: tsc from npm, Node, and the Desk client files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from socketsundso import WebSocketHandlingEndpoint
from socketsundso.typescript import javascript_client, typescript_client
from tests.system_tools import missing_tool, npm_project

from .endpoints import Desk, HistoryDesk

#: The Node project holding TypeScript (tsc) and terser, pinned.
TOOLS = Path(__file__).resolve().parents[2] / "tools" / "typescript"
#: The strictest settings the issue asks the generated code to pass.
STRICT = ["--strict", "--noUncheckedIndexedAccess", "--exactOptionalPropertyTypes"]
#: Module settings for a bundler or a browser: ES modules, no Node types.
MODULES = ["--target", "ES2022", "--module", "ES2022", "--moduleResolution", "bundler"]
#: Seconds one tsc run may take.
TSC_TIMEOUT = 120


@pytest.fixture(scope="session")
def typescript_tools() -> Path:
    """``tools/typescript`` with tsc and terser installed (``npm ci``, once)."""
    return npm_project(TOOLS, "tsc")


@pytest.fixture(scope="session")
def node() -> str:
    """The ``node`` executable (skips, or fails in CI, without it)."""
    found = shutil.which("node")
    if found is None:
        missing_tool("node is absent: the generated clients run in Node")
    return str(found)


def tsc(tools: Path, *arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the pinned ``tsc`` with ``arguments`` in ``cwd``; its output is in the result."""
    return subprocess.run(
        [str(tools / "node_modules" / ".bin" / "tsc"), *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TSC_TIMEOUT,
        check=False,
    )


@pytest.fixture(scope="session")
def desk_typescript(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The TypeScript client of ``Desk``, as ``desk_client.ts`` in a folder of its own."""
    path = tmp_path_factory.mktemp("desk-ts") / "desk_client.ts"
    path.write_text(typescript_client(Desk), encoding="utf-8")
    return path


def javascript_files(endpoint: type[WebSocketHandlingEndpoint], folder: Path, stem: str) -> Path:
    """``endpoint``'s JavaScript client as ``<stem>.js`` beside ``<stem>.d.ts``; the ``.js``."""
    client = javascript_client(endpoint)
    (folder / f"{stem}.js").write_text(client.module, encoding="utf-8")
    (folder / f"{stem}.d.ts").write_text(client.declarations, encoding="utf-8")
    return folder / f"{stem}.js"


@pytest.fixture(scope="session")
def desk_javascript(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JavaScript client of ``Desk``: ``desk_client.js`` beside ``desk_client.d.ts``."""
    return javascript_files(Desk, tmp_path_factory.mktemp("desk-js"), "desk_client")


@pytest.fixture(scope="session")
def history_javascript(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The JavaScript client of ``HistoryDesk`` (its hub keeps a history)."""
    return javascript_files(HistoryDesk, tmp_path_factory.mktemp("history-js"), "history_client")
