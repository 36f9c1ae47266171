"""The built wheel: the plugin loads as ``socketsundso.mypy``; nothing generic is installed.

Builds the wheel with ``pip wheel --no-deps``, unpacks it (an install of a pure-Python
wheel), and runs Python and mypy without the site directory, so the editable install's
path to this repository is not seen: only the unpacked wheel and the dependencies.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Seconds for building the wheel (pip may fetch the build backend) or running mypy.
TIMEOUT = 600

USE = """
from socketsundso import WebSocketHandlingEndpoint, on_event

class Chat(WebSocketHandlingEndpoint):
    @on_event
    async def on_join(self) -> None: ...

reveal_type(Chat.handlers)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this repository, unpacked: a site directory."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=TIMEOUT,
    )
    (wheel,) = out.glob("socketsundso-*.whl")
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def python(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """This interpreter without its site directory: the wheel, then the dependencies."""
    path = os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]])
    return subprocess.run(
        [sys.executable, "-S", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path},
        timeout=TIMEOUT,
        check=False,
    )


def test_the_wheel_installs_nothing_at_the_top_level_but_the_package(installed: Path) -> None:
    top_level = {path.name for path in installed.iterdir()}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"socketsundso"}
    assert (installed / "socketsundso" / "mypy.py").is_file()
    assert (installed / "socketsundso" / "_mypy_plugin" / "main.py").is_file()
    assert not list(installed.rglob("mypy.ini"))


def test_mypy_loads_the_plugin_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    found = python(
        installed,
        tmp_path,
        "-c",
        "import importlib.util, socketsundso.mypy as m; "
        "print(m._plugin_package.__file__); print(importlib.util.find_spec('mypy_plugin'))",
    )
    assert found.returncode == 0, found.stderr
    location, top_level = found.stdout.splitlines()
    assert Path(location) == installed / "socketsundso" / "_mypy_plugin" / "__init__.py"
    assert top_level == "None"

    (tmp_path / "use.py").write_text(textwrap.dedent(USE))
    (tmp_path / "mypy.ini").write_text(
        f"[mypy]\nstrict = true\nplugins = socketsundso.mypy\nmypy_path = {installed}\n"
    )
    checked = python(
        installed, tmp_path, "-m", "mypy", "--config-file", "mypy.ini", "--no-incremental", "use.py"
    )
    assert checked.stdout.splitlines()[0] == (
        "use.py:8: note: Revealed type is \"socketsundso._typing.EventHandlers[Literal['join']]\""
    ), checked.stdout + checked.stderr
