"""The docs' Python code runs as written: each page's blocks in order, then its tests."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import anyio
import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
#: Pages whose ``python`` blocks form one program (error-format.md shows fragments).
PAGES = [
    "index.md",
    "tutorial.md",
    "testing.md",
    "groups.md",
    "server-events.md",
    "reliability.md",
    "clients.md",
]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def python_blocks(page: str) -> list[str]:
    """The ``python`` fenced blocks of ``docs/<page>``, in order.

    Each is padded with the blank lines before it, so tracebacks show the page's lines.
    """
    text = (DOCS / page).read_text(encoding="utf-8")
    return [
        "\n" * text.count("\n", 0, match.start(1)) + match.group(1)
        for match in BLOCK.finditer(text)
    ]


@pytest.mark.parametrize("page", PAGES)
def test_code_blocks_run_and_their_tests_pass(page: str) -> None:
    blocks = python_blocks(page)
    assert blocks, f"docs/{page} has no python blocks"
    namespace: dict[str, Any] = {"__name__": f"docs_{Path(page).stem.replace('-', '_')}"}
    for block in blocks:
        # dont_inherit: this module's ``from __future__`` must not change the page's code.
        exec(compile(block, str(DOCS / page), "exec", dont_inherit=True), namespace)
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    for test in tests:
        if inspect.iscoroutinefunction(test):
            anyio.run(test)
        else:
            test()
    if page != "index.md":
        assert tests, f"docs/{page} shows no test to run"
