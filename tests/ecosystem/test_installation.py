"""``python -m socketsundso --version`` says which copy runs and how it was installed.

Until a release is published, PyPI's ``socketsundso`` is an older 0.0.5: a user who
installed from a checkout, a built wheel or a git URL must see which one Python
imports. Each case lays out what the installer leaves behind (the package and its
``.dist-info``, with the ``direct_url.json`` record of PEP 610) in a folder put first
on ``PYTHONPATH``, as ``pip install --target`` would, and runs the command there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import socketsundso
from socketsundso import __version__

#: The imported package's folder (this checkout's, in an editable install).
PACKAGE = Path(socketsundso.__file__).parent


def version_output(pythonpath: Path | None = None) -> str:
    """What ``python -m socketsundso --version`` prints, with ``pythonpath`` first."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    result = subprocess.run(
        [sys.executable, "-m", "socketsundso", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=env,
        cwd=pythonpath or PACKAGE.parent,
    )
    return result.stdout


def test_the_version_names_the_package_folder_python_imports() -> None:
    assert version_output().startswith(f"socketsundso {__version__} at {PACKAGE} (")


@pytest.mark.parametrize(
    ("record", "said"),
    [
        pytest.param(
            {"url": "file:///home/me/socketsundso", "dir_info": {"editable": True}},
            "(editable install of file:///home/me/socketsundso)",
            id="checkout_editable",
        ),
        pytest.param(
            {"url": "file:///home/me/socketsundso", "dir_info": {}},
            "(installed from file:///home/me/socketsundso)",
            id="checkout",
        ),
        pytest.param(
            {"url": "file:///tmp/dist/socketsundso-0.1.0-py3-none-any.whl", "archive_info": {}},
            "(installed from file:///tmp/dist/socketsundso-0.1.0-py3-none-any.whl)",
            id="built_wheel",
        ),
        pytest.param(
            {
                "url": "https://github.com/example/socketsundso.git",
                "vcs_info": {"vcs": "git", "commit_id": "0123abcd"},
            },
            "(installed from git+https://github.com/example/socketsundso.git at 0123abcd)",
            id="git_url",
        ),
        pytest.param(None, "(installed from a package index)", id="index"),
    ],
)
def test_the_version_says_how_the_running_copy_was_installed(
    tmp_path: Path, record: dict[str, object] | None, said: str
) -> None:
    shutil.copytree(PACKAGE, tmp_path / "socketsundso", ignore=shutil.ignore_patterns("*.pyc"))
    dist_info = tmp_path / f"socketsundso-{__version__}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: socketsundso\nVersion: {__version__}\n"
    )
    if record is not None:
        (dist_info / "direct_url.json").write_text(json.dumps(record))
    output = version_output(tmp_path)
    assert output == f"socketsundso {__version__} at {tmp_path / 'socketsundso'} {said}\n"


def test_a_source_tree_shadowing_another_installed_version_says_so(tmp_path: Path) -> None:
    shutil.copytree(PACKAGE, tmp_path / "socketsundso", ignore=shutil.ignore_patterns("*.pyc"))
    dist_info = tmp_path / "socketsundso-0.0.5.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: socketsundso\nVersion: 0.0.5\n"
    )
    output = version_output(tmp_path)
    assert "(not the installed 0.0.5: imported from a source tree on sys.path)" in output
