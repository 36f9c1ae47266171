"""Every ```python sample of README.md and of the pages moved out of it runs, in order.

README.md's samples, then those of ``docs/handlers.md``, ``docs/wire-protocol.md`` and
``docs/features.md`` (the README's tutorial and references before it became a landing
page), run in one namespace, like a tutorial. Each sample is a test of its own; running
one runs the samples before it first (once), since the samples build on each other.
Replies a sample shows are written as ``assert ws.receive_json() == {...}``, so a page
that drifts from the code fails here.

A block that can't run on its own (a fragment, a type checker's view of the code) is
marked by the line ``<!-- not run: why -->`` right above its fence and is reported as
skipped, with that reason.
"""

from __future__ import annotations

import dataclasses
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.examples.support import call_with_timeout

ROOT = Path(__file__).parents[2]
README = ROOT / "README.md"
#: README.md, then the docs pages that continue its samples, in reading order.
PAGES = [
    README,
    ROOT / "docs" / "handlers.md",
    ROOT / "docs" / "wire-protocol.md",
    ROOT / "docs" / "features.md",
]

#: Seconds one sample may run before the test fails (instead of hanging).
TIMEOUT = 30.0

_FENCE = re.compile(
    r"(?:^<!-- not run: (?P<skip>.*?) -->\n)?^```python\n(?P<code>.*?)^```\n",
    re.MULTILINE | re.DOTALL,
)


@dataclasses.dataclass(frozen=True)
class Sample:
    """One fenced Python block of a Markdown file and the line its code starts on."""

    path: Path
    line: int
    code: str
    #: Why the block is not run (its ``<!-- not run: ... -->`` mark); ``None``: it runs.
    skip: str | None = None


def python_samples(path: Path) -> list[Sample]:
    """The ```python blocks of the Markdown file at ``path``, in order."""
    text = path.read_text(encoding="utf-8")
    return [
        Sample(path, text.count("\n", 0, match.start("code")) + 1, match["code"], match["skip"])
        for match in _FENCE.finditer(text)
    ]


class Script:
    """Samples run one after another in one module's namespace, each at most once.

    The module is registered in ``sys.modules`` while the script lives, as a script
    run with ``python`` is (``__main__``), so pydantic resolves annotations as it
    would for a reader who pastes the samples into a file.
    """

    def __init__(self, samples: list[Sample]) -> None:
        self.samples = samples
        self.module = types.ModuleType("readme_samples")
        self.namespace: dict[str, Any] = self.module.__dict__
        self.done = 0

    def run_through(self, index: int) -> None:
        """Run the samples up to and including ``index`` that have not run yet."""
        while self.done <= index:
            sample = self.samples[self.done]
            self.done += 1
            if sample.skip is None:
                run(sample, self.namespace)


def run(sample: Sample, namespace: dict[str, Any], timeout: float = TIMEOUT) -> None:
    """Execute ``sample`` in ``namespace``; tracebacks point at the Markdown file's lines."""
    # Leading newlines make the compiled code's line numbers the file's own.
    code = compile(
        "\n" * (sample.line - 1) + sample.code, str(sample.path), "exec", dont_inherit=True
    )
    where = f"{sample.path.relative_to(ROOT)} line {sample.line}"
    call_with_timeout(lambda: exec(code, namespace), timeout, where)


SAMPLES = [sample for page in PAGES for sample in python_samples(page)]


@pytest.fixture(scope="module")
def script() -> Iterator[Script]:
    """The README's samples, run lazily in order by the tests below."""
    script = Script(SAMPLES)
    sys.modules[script.module.__name__] = script.module
    try:
        yield script
    finally:
        del sys.modules[script.module.__name__]


@pytest.mark.parametrize(
    "index",
    range(len(SAMPLES)),
    ids=[f"{sample.path.stem}-line{sample.line}" for sample in SAMPLES],
)
def test_readme_sample_runs(script: Script, index: int) -> None:
    skip = script.samples[index].skip
    if skip is not None:
        pytest.skip(f"not run: {skip}")
    script.run_through(index)
