"""Files the command line generates (an AsyncAPI document, a client): write them or check them.

A generated file is committed and compared in CI: ``--check FILE`` exits 1 with a
unified diff when the file no longer matches what the code generates now.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

__all__ = ["matches"]


def matches(path: Path, text: str, source: str, regenerate: str) -> bool:
    """Whether ``path`` holds exactly ``text``; if not, print a diff and ``regenerate``.

    ``source`` names what generated ``text`` in the diff's header; ``regenerate`` says
    how to bring the file up to date (printed on stderr).
    """
    expected = path.read_text(encoding="utf-8") if path.exists() else ""
    if expected == text:
        return True
    sys.stdout.writelines(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=str(path),
            tofile=f"{source} (generated)",
        )
    )
    print(f"{path} is out of date: {regenerate}", file=sys.stderr)
    return False
